//! The lifecycle owner (issue 10): instalments keep their identity across contract
//! versions (`key`), and a contract ended by the system says why in a stable code.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ContractMilestones {
    Table,
    Key,
    Seq,
}

#[derive(DeriveIden)]
enum Contracts {
    Table,
    TerminationCode,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(ContractMilestones::Table)
                .add_column(ColumnDef::new(ContractMilestones::Key).integer().not_null().default(0))
                .to_owned(),
        )
        .await?;
        // Until now an instalment was its position: carry that over as its identity.
        m.exec_stmt(
            Query::update()
                .table(ContractMilestones::Table)
                .value(ContractMilestones::Key, Expr::col(ContractMilestones::Seq))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Contracts::Table)
                .add_column(ColumnDef::new(Contracts::TerminationCode).string_len(32).null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Contracts::Table).drop_column(Contracts::TerminationCode).to_owned()).await?;
        m.alter_table(Table::alter().table(ContractMilestones::Table).drop_column(ContractMilestones::Key).to_owned()).await
    }
}
