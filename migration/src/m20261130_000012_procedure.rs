//! The whole procedure of the seeds (issue 15).
//! - Funded assist-list work (001 §二(三)): a department assigns work of its county's
//!   assist list to a community with period, staffing, guidance and budget. The assignment
//!   (协助事项派单) needs no admission, so it is kept beside the applications, marked by
//!   its origin, and goes through the same contract and funds path.
//! - The baseline negative list (001 §二(四)), published above the county: a county's
//!   lists inherit its items, which the county cannot cancel or weaken (only add to).
//! - Disputes decided (001 §三(五)): a deliverable rejected twice, an evaluation objected
//!   to, a termination the community contests go to civil affairs, which decides with a
//!   reason; a department's termination carries a reason code.
use sea_orm_migration::prelude::*;

use crate::columns::{big, fk, id, text, ts};

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

#[derive(DeriveIden)]
enum Contracts {
    Table,
    Id,
    TerminationReasonCode,
}

#[derive(DeriveIden)]
enum Disputes {
    Table,
    Id,
    CountyId,
    Kind,
    ContractId,
    SubjectId,
    Reason,
    Status,
    DecisionReason,
    RaisedBy,
    DecidedBy,
    CreatedAt,
    DecidedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // `application` (an application for admission, emergency entries included) or
        // `assist` (an assignment of an assist-list item).
        m.alter_table(Table::alter().table(Admissions::Table).add_column(ColumnDef::new(Admissions::Origin).string_len(16).not_null().default("application")).to_owned()).await?;
        m.alter_table(Table::alter().table(ListItems::Table).add_column(ColumnDef::new(ListItems::Baseline).boolean().not_null().default(false)).to_owned()).await?;
        // Why the department ended a contract (the system's own endings keep termination_code).
        m.alter_table(Table::alter().table(Contracts::Table).add_column(ColumnDef::new(Contracts::TerminationReasonCode).string_len(32).null()).to_owned()).await?;
        m.create_table(
            Table::create()
                .table(Disputes::Table)
                .col(id(Disputes::Id))
                .col(big(Disputes::CountyId))
                // deliverable | evaluation | termination
                .col(ColumnDef::new(Disputes::Kind).string_len(16).not_null())
                .col(big(Disputes::ContractId))
                // The deliverable, evaluation or contract disputed.
                .col(big(Disputes::SubjectId))
                .col(text(Disputes::Reason))
                // open | upheld | overturned
                .col(ColumnDef::new(Disputes::Status).string_len(16).not_null())
                .col(ColumnDef::new(Disputes::DecisionReason).text().null())
                .col(big(Disputes::RaisedBy))
                .col(ColumnDef::new(Disputes::DecidedBy).big_integer().null())
                .col(ts(Disputes::CreatedAt))
                .col(ColumnDef::new(Disputes::DecidedAt).timestamp_with_time_zone().null())
                .foreign_key(&mut fk((Disputes::Table, Disputes::ContractId), (Contracts::Table, Contracts::Id)))
                .to_owned(),
        )
        .await?;
        // One dispute per thing disputed: a second request is the same dispute.
        m.create_index(Index::create().name("ux_disputes_subject").table(Disputes::Table).col(Disputes::CountyId).col(Disputes::Kind).col(Disputes::SubjectId).unique().to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Disputes::Table).to_owned()).await?;
        m.alter_table(Table::alter().table(Contracts::Table).drop_column(Contracts::TerminationReasonCode).to_owned()).await?;
        m.alter_table(Table::alter().table(ListItems::Table).drop_column(ListItems::Baseline).to_owned()).await?;
        m.alter_table(Table::alter().table(Admissions::Table).drop_column(Admissions::Origin).to_owned()).await
    }
}
