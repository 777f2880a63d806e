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
//! - The half-year assessment (004 Yingjiang): per task and half year, what civil affairs
//!   gathered and concluded, and what the leading group decided.
use sea_orm_migration::prelude::*;

use crate::columns::{big, fk, id, text, ts};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Admissions {
    Table,
    Id,
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

#[derive(DeriveIden)]
enum ViolationReports {
    Table,
    AssistItemId,
}

#[derive(DeriveIden)]
enum Assessments {
    Table,
    Id,
    CountyId,
    AdmissionId,
    Period,
    Effect,
    Views,
    Conclusion,
    Comment,
    Stage,
    Decision,
    DecisionComment,
    RecordedBy,
    DecidedBy,
    CreatedAt,
    UpdatedAt,
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
        // A refusal of assist-list work that came without money (001 §二(三)): the item.
        m.alter_table(Table::alter().table(ViolationReports::Table).add_column(ColumnDef::new(ViolationReports::AssistItemId).big_integer().null()).to_owned()).await?;
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
        m.create_index(Index::create().name("ux_disputes_subject").table(Disputes::Table).col(Disputes::CountyId).col(Disputes::Kind).col(Disputes::SubjectId).unique().to_owned()).await?;
        m.create_table(
            Table::create()
                .table(Assessments::Table)
                .col(id(Assessments::Id))
                .col(big(Assessments::CountyId))
                .col(big(Assessments::AdmissionId))
                // 2026-H1 | 2026-H2
                .col(ColumnDef::new(Assessments::Period).string_len(8).not_null())
                .col(text(Assessments::Effect))
                // JSON: [{community_id, residents, deputies}]
                .col(text(Assessments::Views))
                // keep | improve | exit, as civil affairs concluded
                .col(ColumnDef::new(Assessments::Conclusion).string_len(16).null())
                .col(text(Assessments::Comment))
                // draft | sent | decided
                .col(ColumnDef::new(Assessments::Stage).string_len(16).not_null())
                .col(ColumnDef::new(Assessments::Decision).string_len(16).null())
                .col(ColumnDef::new(Assessments::DecisionComment).text().null())
                .col(big(Assessments::RecordedBy))
                .col(ColumnDef::new(Assessments::DecidedBy).big_integer().null())
                .col(ts(Assessments::CreatedAt))
                .col(ts(Assessments::UpdatedAt))
                .col(ColumnDef::new(Assessments::DecidedAt).timestamp_with_time_zone().null())
                .foreign_key(&mut fk((Assessments::Table, Assessments::AdmissionId), (Admissions::Table, Admissions::Id)))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ux_assessments_task_period").table(Assessments::Table).col(Assessments::CountyId).col(Assessments::Period).col(Assessments::AdmissionId).unique().to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Assessments::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(Disputes::Table).to_owned()).await?;
        m.alter_table(Table::alter().table(ViolationReports::Table).drop_column(ViolationReports::AssistItemId).to_owned()).await?;
        m.alter_table(Table::alter().table(Contracts::Table).drop_column(Contracts::TerminationReasonCode).to_owned()).await?;
        m.alter_table(Table::alter().table(ListItems::Table).drop_column(ListItems::Baseline).to_owned()).await?;
        m.alter_table(Table::alter().table(Admissions::Table).drop_column(Admissions::Origin).to_owned()).await
    }
}
