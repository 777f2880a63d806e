//! The whole procedure of the seeds (issue 15).
//! - Funded assist-list work (001 §二(三)): a department assigns work of its county's
//!   assist list to a community with period, staffing, guidance and budget. The assignment
//!   (协助事项派单) needs no admission, so it is kept beside the applications, marked by
//!   its origin, and goes through the same contract and funds path.
//! - The baseline negative list (001 §二(四)), published above the county: a county's
//!   lists inherit its items, which the county cannot cancel or weaken (only add to).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Admissions {
    Table,
    Origin,
}

#[derive(DeriveIden)]
enum ListItems {
    Table,
    Baseline,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // `application` (an application for admission, emergency entries included) or
        // `assist` (an assignment of an assist-list item).
        m.alter_table(Table::alter().table(Admissions::Table).add_column(ColumnDef::new(Admissions::Origin).string_len(16).not_null().default("application")).to_owned()).await?;
        m.alter_table(Table::alter().table(ListItems::Table).add_column(ColumnDef::new(ListItems::Baseline).boolean().not_null().default(false)).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(ListItems::Table).drop_column(ListItems::Baseline).to_owned()).await?;
        m.alter_table(Table::alter().table(Admissions::Table).drop_column(Admissions::Origin).to_owned()).await
    }
}
