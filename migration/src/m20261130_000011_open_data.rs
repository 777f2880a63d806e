//! Open data and the inbox (issue 14): a county's registered OCDS prefix, and which
//! inbox items each user has read (the items themselves are derived from the records,
//! so they appear and clear with the work; only "read" is the user's own state).
//! Photos from phones (issue 16): an attachment scaled down keeps its original's hash
//! and size.
use sea_orm_migration::prelude::*;

use crate::columns::{big, ts};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Counties {
    Table,
    OcidPrefix,
}

#[derive(DeriveIden)]
enum Attachments {
    Table,
    OriginalSha256,
    OriginalSize,
}

#[derive(DeriveIden)]
enum InboxReads {
    Table,
    UserId,
    ItemKey,
    CountyId,
    ReadAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Counties::Table).add_column(ColumnDef::new(Counties::OcidPrefix).string_len(16).null()).to_owned()).await?;
        // SQLite adds one column per ALTER TABLE.
        m.alter_table(Table::alter().table(Attachments::Table).add_column(ColumnDef::new(Attachments::OriginalSha256).string_len(64).null()).to_owned()).await?;
        m.alter_table(Table::alter().table(Attachments::Table).add_column(ColumnDef::new(Attachments::OriginalSize).big_integer().null()).to_owned()).await?;
        m.create_table(
            Table::create()
                .table(InboxReads::Table)
                .col(big(InboxReads::UserId))
                .col(ColumnDef::new(InboxReads::ItemKey).string_len(64).not_null())
                .col(big(InboxReads::CountyId))
                .col(ts(InboxReads::ReadAt))
                .primary_key(Index::create().col(InboxReads::UserId).col(InboxReads::ItemKey))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(InboxReads::Table).to_owned()).await?;
        m.alter_table(Table::alter().table(Attachments::Table).drop_column(Attachments::OriginalSize).to_owned()).await?;
        m.alter_table(Table::alter().table(Attachments::Table).drop_column(Attachments::OriginalSha256).to_owned()).await?;
        m.alter_table(Table::alter().table(Counties::Table).drop_column(Counties::OcidPrefix).to_owned()).await
    }
}
