//! The finance bureau's answer to a disputed payment (issue 29): what it found when it
//! checked the payment, by whom and when. The answer returns the payment to the community
//! for confirmation; the community's reason stays beside it.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Disbursements {
    Table,
    Answer,
    AnsweredBy,
    AnsweredAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one column at a time.
        let add = |c: ColumnDef| Table::alter().table(Disbursements::Table).add_column(c).to_owned();
        m.alter_table(add(ColumnDef::new(Disbursements::Answer).text().null().to_owned())).await?;
        m.alter_table(add(ColumnDef::new(Disbursements::AnsweredBy).big_integer().null().to_owned())).await?;
        m.alter_table(add(ColumnDef::new(Disbursements::AnsweredAt).timestamp_with_time_zone().null().to_owned())).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for c in [Disbursements::AnsweredAt, Disbursements::AnsweredBy, Disbursements::Answer] {
            m.alter_table(Table::alter().table(Disbursements::Table).drop_column(c).to_owned()).await?;
        }
        Ok(())
    }
}
