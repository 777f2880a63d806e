//! Screening: the words a county adds to the seeded concepts (kept, never deleted, so the
//! list of changes is the table itself), and the reviewer's decisions on doubtful findings.
use sea_orm_migration::prelude::*;

use crate::columns::{big, fk, id, text, ts};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Admissions {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ScreeningTerms {
    Table,
    Id,
    CountyId,
    Concept,
    Kind,
    Pattern,
    Reason,
    AddedBy,
    AddedAt,
    RemovedBy,
    RemovedAt,
    RemovalReason,
}

#[derive(DeriveIden)]
enum ScreeningDecisions {
    Table,
    Id,
    CountyId,
    AdmissionId,
    Concept,
    Code,
    Strength,
    Evidence,
    Decision,
    Reason,
    DecidedBy,
    DecidedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ScreeningTerms::Table)
                .col(id(ScreeningTerms::Id))
                .col(big(ScreeningTerms::CountyId))
                .col(ColumnDef::new(ScreeningTerms::Concept).string_len(64).not_null())
                .col(ColumnDef::new(ScreeningTerms::Kind).string_len(16).not_null())
                .col(text(ScreeningTerms::Pattern))
                .col(text(ScreeningTerms::Reason))
                .col(big(ScreeningTerms::AddedBy))
                .col(ts(ScreeningTerms::AddedAt))
                .col(ColumnDef::new(ScreeningTerms::RemovedBy).big_integer().null())
                .col(ColumnDef::new(ScreeningTerms::RemovedAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(ScreeningTerms::RemovalReason).text().null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_screening_terms_county").table(ScreeningTerms::Table).col(ScreeningTerms::CountyId).to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ScreeningDecisions::Table)
                .col(id(ScreeningDecisions::Id))
                .col(big(ScreeningDecisions::CountyId))
                .col(big(ScreeningDecisions::AdmissionId))
                .col(ColumnDef::new(ScreeningDecisions::Concept).string_len(64).not_null())
                .col(ColumnDef::new(ScreeningDecisions::Code).string_len(64).not_null())
                .col(ColumnDef::new(ScreeningDecisions::Strength).string_len(16).not_null())
                .col(text(ScreeningDecisions::Evidence))
                .col(ColumnDef::new(ScreeningDecisions::Decision).string_len(16).not_null())
                .col(text(ScreeningDecisions::Reason))
                .col(big(ScreeningDecisions::DecidedBy))
                .col(ts(ScreeningDecisions::DecidedAt))
                .foreign_key(&mut fk((ScreeningDecisions::Table, ScreeningDecisions::AdmissionId), (Admissions::Table, Admissions::Id)))
                .to_owned(),
        )
        .await?;
        // One decision per finding of an application: a second reviewer cannot decide it again.
        m.create_index(
            Index::create()
                .name("ux_screening_decisions")
                .table(ScreeningDecisions::Table)
                .col(ScreeningDecisions::AdmissionId)
                .col(ScreeningDecisions::Concept)
                .unique()
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ScreeningDecisions::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(ScreeningTerms::Table).to_owned()).await
    }
}
