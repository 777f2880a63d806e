//! An assist assignment whose budget differs from what the item's funding standard gives
//! carries the department's reason (issue 28): the standard is civil affairs' figure, and
//! a department that departs from it says why, on the record civil affairs reads.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Admissions {
    Table,
    BudgetReason,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Admissions::Table).add_column(ColumnDef::new(Admissions::BudgetReason).text().null()).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Admissions::Table).drop_column(Admissions::BudgetReason).to_owned()).await
    }
}
