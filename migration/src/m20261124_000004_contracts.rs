//! Purchase-of-service contracts: the contract, its versions (the first draft and each
//! amendment), each version's clauses and payment milestones.
use sea_orm_migration::prelude::*;

use crate::columns::{big, fk, id, text, ts};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Counties {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Organisations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Admissions {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Contracts {
    Table,
    Id,
    CountyId,
    AdmissionId,
    DepartmentId,
    CommunityId,
    TemplateId,
    Number,
    NumberYear,
    NumberSeq,
    Status,
    CurrentVersion,
    Variables,
    TerminationReason,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ContractVersions {
    Table,
    Id,
    CountyId,
    ContractId,
    Version,
    AmountFen,
    PeriodStart,
    PeriodEnd,
    Status,
    RationaleCode,
    Rationale,
    DepartmentSignedBy,
    DepartmentSignedAt,
    CommunitySignedBy,
    CommunitySignedAt,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ContractClauses {
    Table,
    Id,
    CountyId,
    ContractId,
    Version,
    Number,
    Title,
    Text,
    Performance,
}

#[derive(DeriveIden)]
enum ContractMilestones {
    Table,
    Id,
    CountyId,
    ContractId,
    Version,
    Seq,
    Due,
    AmountFen,
    ClauseId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Contracts::Table)
                .col(id(Contracts::Id))
                .col(big(Contracts::CountyId))
                .col(big(Contracts::AdmissionId))
                .col(big(Contracts::DepartmentId))
                .col(big(Contracts::CommunityId))
                .col(ColumnDef::new(Contracts::TemplateId).string_len(64).not_null())
                .col(ColumnDef::new(Contracts::Number).string().not_null())
                .col(ColumnDef::new(Contracts::NumberYear).integer().not_null())
                .col(ColumnDef::new(Contracts::NumberSeq).integer().not_null())
                .col(ColumnDef::new(Contracts::Status).string_len(16).not_null())
                .col(ColumnDef::new(Contracts::CurrentVersion).integer().not_null())
                .col(text(Contracts::Variables))
                .col(ColumnDef::new(Contracts::TerminationReason).text().null())
                .col(big(Contracts::CreatedBy))
                .col(ts(Contracts::CreatedAt))
                .col(ts(Contracts::UpdatedAt))
                .foreign_key(&mut fk((Contracts::Table, Contracts::CountyId), (Counties::Table, Counties::Id)))
                .foreign_key(&mut fk((Contracts::Table, Contracts::AdmissionId), (Admissions::Table, Admissions::Id)))
                .foreign_key(&mut fk((Contracts::Table, Contracts::DepartmentId), (Organisations::Table, Organisations::Id)))
                .foreign_key(&mut fk((Contracts::Table, Contracts::CommunityId), (Organisations::Table, Organisations::Id)))
                .to_owned(),
        )
        .await?;
        // Contract numbers are sequential per county and year.
        m.create_index(
            Index::create()
                .name("ux_contracts_number")
                .table(Contracts::Table)
                .col(Contracts::CountyId)
                .col(Contracts::NumberYear)
                .col(Contracts::NumberSeq)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ix_contracts_admission").table(Contracts::Table).col(Contracts::AdmissionId).to_owned()).await?;

        m.create_table(
            Table::create()
                .table(ContractVersions::Table)
                .col(id(ContractVersions::Id))
                .col(big(ContractVersions::CountyId))
                .col(big(ContractVersions::ContractId))
                .col(ColumnDef::new(ContractVersions::Version).integer().not_null())
                .col(big(ContractVersions::AmountFen))
                .col(ColumnDef::new(ContractVersions::PeriodStart).date().not_null())
                .col(ColumnDef::new(ContractVersions::PeriodEnd).date().not_null())
                .col(ColumnDef::new(ContractVersions::Status).string_len(16).not_null())
                .col(ColumnDef::new(ContractVersions::RationaleCode).string_len(32).null())
                .col(text(ContractVersions::Rationale))
                .col(ColumnDef::new(ContractVersions::DepartmentSignedBy).big_integer().null())
                .col(ColumnDef::new(ContractVersions::DepartmentSignedAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(ContractVersions::CommunitySignedBy).big_integer().null())
                .col(ColumnDef::new(ContractVersions::CommunitySignedAt).timestamp_with_time_zone().null())
                .col(big(ContractVersions::CreatedBy))
                .col(ts(ContractVersions::CreatedAt))
                .foreign_key(&mut fk((ContractVersions::Table, ContractVersions::ContractId), (Contracts::Table, Contracts::Id)))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_contract_versions")
                .table(ContractVersions::Table)
                .col(ContractVersions::ContractId)
                .col(ContractVersions::Version)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ContractClauses::Table)
                .col(id(ContractClauses::Id))
                .col(big(ContractClauses::CountyId))
                .col(big(ContractClauses::ContractId))
                .col(ColumnDef::new(ContractClauses::Version).integer().not_null())
                .col(ColumnDef::new(ContractClauses::Number).integer().not_null())
                .col(text(ContractClauses::Title))
                .col(text(ContractClauses::Text))
                .col(ColumnDef::new(ContractClauses::Performance).boolean().not_null())
                .foreign_key(&mut fk((ContractClauses::Table, ContractClauses::ContractId), (Contracts::Table, Contracts::Id)))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_contract_clauses")
                .table(ContractClauses::Table)
                .col(ContractClauses::ContractId)
                .col(ContractClauses::Version)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ContractMilestones::Table)
                .col(id(ContractMilestones::Id))
                .col(big(ContractMilestones::CountyId))
                .col(big(ContractMilestones::ContractId))
                .col(ColumnDef::new(ContractMilestones::Version).integer().not_null())
                .col(ColumnDef::new(ContractMilestones::Seq).integer().not_null())
                .col(ColumnDef::new(ContractMilestones::Due).date().not_null())
                .col(big(ContractMilestones::AmountFen))
                .col(ColumnDef::new(ContractMilestones::ClauseId).big_integer().null())
                .foreign_key(&mut fk((ContractMilestones::Table, ContractMilestones::ContractId), (Contracts::Table, Contracts::Id)))
                .foreign_key(&mut fk((ContractMilestones::Table, ContractMilestones::ClauseId), (ContractClauses::Table, ContractClauses::Id)))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_contract_milestones")
                .table(ContractMilestones::Table)
                .col(ContractMilestones::ContractId)
                .col(ContractMilestones::Version)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            ContractMilestones::Table.into_iden(),
            ContractClauses::Table.into_iden(),
            ContractVersions::Table.into_iden(),
            Contracts::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
