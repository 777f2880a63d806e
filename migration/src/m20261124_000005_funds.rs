//! Funds follow the task: an append-only double-entry ledger, disbursements and their
//! receipts, deliverables with attachments, and idempotency keys.
use sea_orm_migration::prelude::*;

use crate::columns::{big, fk, id, text, ts};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Contracts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ContractMilestones {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ContractClauses {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum LedgerEntries {
    Table,
    Id,
    CountyId,
    Kind,
    ContractId,
    DepartmentId,
    Year,
    Memo,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum LedgerLines {
    Table,
    Id,
    CountyId,
    EntryId,
    Account,
    DebitFen,
    CreditFen,
}

#[derive(DeriveIden)]
enum Disbursements {
    Table,
    Id,
    CountyId,
    ContractId,
    MilestoneId,
    AmountFen,
    Status,
    EntryId,
    PaidBy,
    PaidAt,
    ReceiptBy,
    ReceiptAt,
    DisputeReason,
}

#[derive(DeriveIden)]
enum Deliverables {
    Table,
    Id,
    CountyId,
    ContractId,
    ClauseId,
    Summary,
    Status,
    DecisionComment,
    SubmittedBy,
    DecidedBy,
    CreatedAt,
    DecidedAt,
}

#[derive(DeriveIden)]
enum Attachments {
    Table,
    Id,
    CountyId,
    DeliverableId,
    Filename,
    ContentType,
    Size,
    Sha256,
    Data,
    CreatedAt,
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    Id,
    CountyId,
    UserId,
    Key,
    RequestHash,
    StatusCode,
    Body,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(LedgerEntries::Table)
                .col(id(LedgerEntries::Id))
                .col(big(LedgerEntries::CountyId))
                .col(ColumnDef::new(LedgerEntries::Kind).string_len(32).not_null())
                .col(ColumnDef::new(LedgerEntries::ContractId).big_integer().null())
                .col(ColumnDef::new(LedgerEntries::DepartmentId).big_integer().null())
                .col(ColumnDef::new(LedgerEntries::Year).integer().null())
                .col(text(LedgerEntries::Memo))
                .col(big(LedgerEntries::CreatedBy))
                .col(ts(LedgerEntries::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(LedgerLines::Table)
                .col(id(LedgerLines::Id))
                .col(big(LedgerLines::CountyId))
                .col(big(LedgerLines::EntryId))
                .col(ColumnDef::new(LedgerLines::Account).string_len(64).not_null())
                .col(big(LedgerLines::DebitFen))
                .col(big(LedgerLines::CreditFen))
                .foreign_key(&mut fk((LedgerLines::Table, LedgerLines::EntryId), (LedgerEntries::Table, LedgerEntries::Id)))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ix_ledger_lines_account").table(LedgerLines::Table).col(LedgerLines::CountyId).col(LedgerLines::Account).to_owned()).await?;

        m.create_table(
            Table::create()
                .table(Disbursements::Table)
                .col(id(Disbursements::Id))
                .col(big(Disbursements::CountyId))
                .col(big(Disbursements::ContractId))
                .col(big(Disbursements::MilestoneId))
                .col(big(Disbursements::AmountFen))
                .col(ColumnDef::new(Disbursements::Status).string_len(16).not_null())
                .col(big(Disbursements::EntryId))
                .col(big(Disbursements::PaidBy))
                .col(ts(Disbursements::PaidAt))
                .col(ColumnDef::new(Disbursements::ReceiptBy).big_integer().null())
                .col(ColumnDef::new(Disbursements::ReceiptAt).timestamp_with_time_zone().null())
                .col(ColumnDef::new(Disbursements::DisputeReason).text().null())
                .foreign_key(&mut fk((Disbursements::Table, Disbursements::ContractId), (Contracts::Table, Contracts::Id)))
                .foreign_key(&mut fk((Disbursements::Table, Disbursements::MilestoneId), (ContractMilestones::Table, ContractMilestones::Id)))
                .foreign_key(&mut fk((Disbursements::Table, Disbursements::EntryId), (LedgerEntries::Table, LedgerEntries::Id)))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Deliverables::Table)
                .col(id(Deliverables::Id))
                .col(big(Deliverables::CountyId))
                .col(big(Deliverables::ContractId))
                .col(big(Deliverables::ClauseId))
                .col(text(Deliverables::Summary))
                .col(ColumnDef::new(Deliverables::Status).string_len(16).not_null())
                .col(ColumnDef::new(Deliverables::DecisionComment).text().null())
                .col(big(Deliverables::SubmittedBy))
                .col(ColumnDef::new(Deliverables::DecidedBy).big_integer().null())
                .col(ts(Deliverables::CreatedAt))
                .col(ColumnDef::new(Deliverables::DecidedAt).timestamp_with_time_zone().null())
                .foreign_key(&mut fk((Deliverables::Table, Deliverables::ContractId), (Contracts::Table, Contracts::Id)))
                .foreign_key(&mut fk((Deliverables::Table, Deliverables::ClauseId), (ContractClauses::Table, ContractClauses::Id)))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Attachments::Table)
                .col(id(Attachments::Id))
                .col(big(Attachments::CountyId))
                .col(big(Attachments::DeliverableId))
                .col(text(Attachments::Filename))
                .col(ColumnDef::new(Attachments::ContentType).string_len(128).not_null())
                .col(big(Attachments::Size))
                .col(ColumnDef::new(Attachments::Sha256).string_len(64).not_null())
                .col(ColumnDef::new(Attachments::Data).binary().not_null())
                .col(ts(Attachments::CreatedAt))
                .foreign_key(&mut fk((Attachments::Table, Attachments::DeliverableId), (Deliverables::Table, Deliverables::Id)))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(IdempotencyKeys::Table)
                .col(id(IdempotencyKeys::Id))
                .col(big(IdempotencyKeys::CountyId))
                .col(big(IdempotencyKeys::UserId))
                .col(ColumnDef::new(IdempotencyKeys::Key).string_len(128).not_null())
                .col(ColumnDef::new(IdempotencyKeys::RequestHash).string_len(64).not_null())
                .col(ColumnDef::new(IdempotencyKeys::StatusCode).integer().not_null())
                .col(text(IdempotencyKeys::Body))
                .col(ts(IdempotencyKeys::CreatedAt))
                .to_owned(),
        )
        .await?;
        // One answer per key and user: a replay finds it, a racing duplicate waits for it.
        m.create_index(
            Index::create()
                .name("ux_idempotency_keys")
                .table(IdempotencyKeys::Table)
                .col(IdempotencyKeys::UserId)
                .col(IdempotencyKeys::Key)
                .unique()
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            IdempotencyKeys::Table.into_iden(),
            Attachments::Table.into_iden(),
            Deliverables::Table.into_iden(),
            Disbursements::Table.into_iden(),
            LedgerLines::Table.into_iden(),
            LedgerEntries::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
