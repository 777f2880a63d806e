//! Levels above the county (issue 15; 001's title: 备案).
//! - A jurisdiction (`counties` row) may sit under a city or province, itself a row of the
//!   same table with its own organisations, lists and procedure (one level up).
//! - A county files (备案) its lists each year and its admissions as they are decided; the
//!   filing keeps what was filed (content and its SHA-256) and when, for the level above.
//! - An assist-list item may carry a funding standard (001 §二(三): assist work still needs
//!   the department's funding): an amount per month of the work or per task.
use sea_orm_migration::prelude::*;

use crate::columns::{big, id, text, ts};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Counties {
    Table,
    ParentId,
    Level,
}

#[derive(DeriveIden)]
enum ListItems {
    Table,
    FundingFen,
    FundingUnit,
}

#[derive(DeriveIden)]
enum Filings {
    Table,
    Id,
    CountyId,
    RegionId,
    Kind,
    RecordId,
    Year,
    Title,
    Content,
    Digest,
    FollowsId,
    FiledBy,
    FiledAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Counties::Table).add_column(ColumnDef::new(Counties::ParentId).big_integer().null()).to_owned()).await?;
        // province | city | county
        m.alter_table(Table::alter().table(Counties::Table).add_column(ColumnDef::new(Counties::Level).string_len(16).not_null().default("county")).to_owned()).await?;
        m.alter_table(Table::alter().table(ListItems::Table).add_column(ColumnDef::new(ListItems::FundingFen).big_integer().null()).to_owned()).await?;
        // month | task
        m.alter_table(Table::alter().table(ListItems::Table).add_column(ColumnDef::new(ListItems::FundingUnit).string_len(16).null()).to_owned()).await?;
        m.create_table(
            Table::create()
                .table(Filings::Table)
                .col(id(Filings::Id))
                // The jurisdiction that files.
                .col(big(Filings::CountyId))
                // The level above at the time of filing; none when there is none.
                .col(ColumnDef::new(Filings::RegionId).big_integer().null())
                // lists | admission
                .col(ColumnDef::new(Filings::Kind).string_len(16).not_null())
                // The list version or the admission filed.
                .col(big(Filings::RecordId))
                .col(ColumnDef::new(Filings::Year).integer().not_null())
                .col(text(Filings::Title))
                // JSON snapshot of what was filed.
                .col(text(Filings::Content))
                .col(ColumnDef::new(Filings::Digest).string_len(64).not_null())
                // A lists filing names the one it follows (0 for the first), so that two
                // racing filings of the same lists cannot both be taken; none for admissions.
                .col(ColumnDef::new(Filings::FollowsId).big_integer().null())
                .col(ColumnDef::new(Filings::FiledBy).big_integer().null())
                .col(ts(Filings::FiledAt))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ix_filings_county_kind").table(Filings::Table).col(Filings::CountyId).col(Filings::Kind).col(Filings::Id).to_owned()).await?;
        m.create_index(Index::create().name("ux_filings_follows").table(Filings::Table).col(Filings::CountyId).col(Filings::Kind).col(Filings::FollowsId).unique().to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Filings::Table).to_owned()).await?;
        m.alter_table(Table::alter().table(ListItems::Table).drop_column(ListItems::FundingUnit).to_owned()).await?;
        m.alter_table(Table::alter().table(ListItems::Table).drop_column(ListItems::FundingFen).to_owned()).await?;
        m.alter_table(Table::alter().table(Counties::Table).drop_column(Counties::Level).to_owned()).await?;
        m.alter_table(Table::alter().table(Counties::Table).drop_column(Counties::ParentId).to_owned()).await
    }
}
