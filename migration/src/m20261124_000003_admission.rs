//! Admission applications, their target communities and history; violation reports
//! (擅自下沉) and notices (通报); the county's emergency approval deadline.
use sea_orm_migration::prelude::*;

use crate::columns::{big, fk, id, text, ts};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Counties {
    Table,
    Id,
    EmergencyApprovalDays,
}

#[derive(DeriveIden)]
enum Organisations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Admissions {
    Table,
    Id,
    CountyId,
    DepartmentId,
    CreatedBy,
    Title,
    Description,
    Basis,
    WorkPlan,
    Staffing,
    PeriodStart,
    PeriodEnd,
    BudgetFen,
    Emergency,
    NeedsProfessionalQualification,
    NeedsEnforcementAuthority,
    ListItemId,
    Status,
    EnteredAt,
    ApprovalDeadline,
    ReviewOpinion,
    ReviewComment,
    Opinions,
    DecisionComment,
    ApprovalYear,
    ApprovalSeq,
    ApprovalNumber,
    DecidedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AdmissionTargets {
    Table,
    Id,
    CountyId,
    AdmissionId,
    CommunityId,
    Status,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AdmissionEvents {
    Table,
    Id,
    CountyId,
    AdmissionId,
    UserId,
    Action,
    FromStatus,
    ToStatus,
    Comment,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ViolationReports {
    Table,
    Id,
    CountyId,
    CommunityId,
    ReportedBy,
    DepartmentId,
    Task,
    OccurredOn,
    Evidence,
    Status,
    HandledBy,
    HandlingReason,
    HandledAt,
    NoticeId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Notices {
    Table,
    Id,
    CountyId,
    Title,
    Body,
    PublishedBy,
    PublishedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Counties::Table)
                .add_column(ColumnDef::new(Counties::EmergencyApprovalDays).integer().not_null().default(15))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Admissions::Table)
                .col(id(Admissions::Id))
                .col(big(Admissions::CountyId))
                .col(big(Admissions::DepartmentId))
                .col(big(Admissions::CreatedBy))
                .col(text(Admissions::Title))
                .col(text(Admissions::Description))
                .col(text(Admissions::Basis))
                .col(text(Admissions::WorkPlan))
                .col(text(Admissions::Staffing))
                .col(ColumnDef::new(Admissions::PeriodStart).date().null())
                .col(ColumnDef::new(Admissions::PeriodEnd).date().null())
                .col(ColumnDef::new(Admissions::BudgetFen).big_integer().null())
                .col(ColumnDef::new(Admissions::Emergency).boolean().not_null())
                .col(ColumnDef::new(Admissions::NeedsProfessionalQualification).boolean().not_null())
                .col(ColumnDef::new(Admissions::NeedsEnforcementAuthority).boolean().not_null())
                .col(ColumnDef::new(Admissions::ListItemId).big_integer().null())
                .col(ColumnDef::new(Admissions::Status).string_len(32).not_null())
                .col(ColumnDef::new(Admissions::EnteredAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(Admissions::ApprovalDeadline).date().null())
                .col(ColumnDef::new(Admissions::ReviewOpinion).string_len(16).null())
                .col(ColumnDef::new(Admissions::ReviewComment).text().null())
                .col(text(Admissions::Opinions))
                .col(ColumnDef::new(Admissions::DecisionComment).text().null())
                .col(ColumnDef::new(Admissions::ApprovalYear).integer().null())
                .col(ColumnDef::new(Admissions::ApprovalSeq).integer().null())
                .col(ColumnDef::new(Admissions::ApprovalNumber).string().null())
                .col(ColumnDef::new(Admissions::DecidedAt).timestamp_with_time_zone().null())
                .col(ts(Admissions::CreatedAt))
                .col(ts(Admissions::UpdatedAt))
                .foreign_key(&mut fk((Admissions::Table, Admissions::CountyId), (Counties::Table, Counties::Id)))
                .foreign_key(&mut fk((Admissions::Table, Admissions::DepartmentId), (Organisations::Table, Organisations::Id)))
                .foreign_key(&mut fk((Admissions::Table, Admissions::CreatedBy), (Users::Table, Users::Id)))
                .to_owned(),
        )
        .await?;
        // Approval numbers are sequential per county and year; two decisions racing for
        // the same number cannot both commit.
        m.create_index(
            Index::create()
                .name("ux_admissions_approval_seq")
                .table(Admissions::Table)
                .col(Admissions::CountyId)
                .col(Admissions::ApprovalYear)
                .col(Admissions::ApprovalSeq)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_admissions_county_status").table(Admissions::Table).col(Admissions::CountyId).col(Admissions::Status).to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AdmissionTargets::Table)
                .col(id(AdmissionTargets::Id))
                .col(big(AdmissionTargets::CountyId))
                .col(big(AdmissionTargets::AdmissionId))
                .col(big(AdmissionTargets::CommunityId))
                .col(ColumnDef::new(AdmissionTargets::Status).string_len(16).not_null())
                .col(ts(AdmissionTargets::UpdatedAt))
                .foreign_key(&mut fk((AdmissionTargets::Table, AdmissionTargets::AdmissionId), (Admissions::Table, Admissions::Id)))
                .foreign_key(&mut fk((AdmissionTargets::Table, AdmissionTargets::CommunityId), (Organisations::Table, Organisations::Id)))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_admission_targets")
                .table(AdmissionTargets::Table)
                .col(AdmissionTargets::AdmissionId)
                .col(AdmissionTargets::CommunityId)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AdmissionEvents::Table)
                .col(id(AdmissionEvents::Id))
                .col(big(AdmissionEvents::CountyId))
                .col(big(AdmissionEvents::AdmissionId))
                .col(big(AdmissionEvents::UserId))
                .col(ColumnDef::new(AdmissionEvents::Action).string_len(32).not_null())
                .col(ColumnDef::new(AdmissionEvents::FromStatus).string_len(32).null())
                .col(ColumnDef::new(AdmissionEvents::ToStatus).string_len(32).not_null())
                .col(text(AdmissionEvents::Comment))
                .col(ts(AdmissionEvents::CreatedAt))
                .foreign_key(&mut fk((AdmissionEvents::Table, AdmissionEvents::AdmissionId), (Admissions::Table, Admissions::Id)))
                .foreign_key(&mut fk((AdmissionEvents::Table, AdmissionEvents::UserId), (Users::Table, Users::Id)))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_admission_events_admission").table(AdmissionEvents::Table).col(AdmissionEvents::AdmissionId).to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Notices::Table)
                .col(id(Notices::Id))
                .col(big(Notices::CountyId))
                .col(text(Notices::Title))
                .col(text(Notices::Body))
                .col(big(Notices::PublishedBy))
                .col(ts(Notices::PublishedAt))
                .foreign_key(&mut fk((Notices::Table, Notices::CountyId), (Counties::Table, Counties::Id)))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ViolationReports::Table)
                .col(id(ViolationReports::Id))
                .col(big(ViolationReports::CountyId))
                .col(big(ViolationReports::CommunityId))
                .col(big(ViolationReports::ReportedBy))
                .col(big(ViolationReports::DepartmentId))
                .col(text(ViolationReports::Task))
                .col(ColumnDef::new(ViolationReports::OccurredOn).date().not_null())
                .col(text(ViolationReports::Evidence))
                .col(ColumnDef::new(ViolationReports::Status).string_len(16).not_null())
                .col(ColumnDef::new(ViolationReports::HandledBy).big_integer().null())
                .col(ColumnDef::new(ViolationReports::HandlingReason).text().null())
                .col(ColumnDef::new(ViolationReports::HandledAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(ViolationReports::NoticeId).big_integer().null())
                .col(ts(ViolationReports::CreatedAt))
                .foreign_key(&mut fk((ViolationReports::Table, ViolationReports::CommunityId), (Organisations::Table, Organisations::Id)))
                .foreign_key(&mut fk((ViolationReports::Table, ViolationReports::DepartmentId), (Organisations::Table, Organisations::Id)))
                .foreign_key(&mut fk((ViolationReports::Table, ViolationReports::NoticeId), (Notices::Table, Notices::Id)))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            ViolationReports::Table.into_iden(),
            Notices::Table.into_iden(),
            AdmissionEvents::Table.into_iden(),
            AdmissionTargets::Table.into_iden(),
            Admissions::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        m.alter_table(Table::alter().table(Counties::Table).drop_column(Counties::EmergencyApprovalDays).to_owned()).await
    }
}
