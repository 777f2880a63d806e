//! The three lists: a version per county and year, its items, and the log of changes.
use sea_orm_migration::prelude::*;

use crate::columns::{id, text};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ListVersions {
    Table,
    Id,
    CountyId,
    Year,
    BasedOnYear,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ListItems {
    Table,
    Id,
    CountyId,
    VersionId,
    Kind,
    Code,
    Title,
    Description,
    Basis,
    Department,
    Category,
    Keywords,
    NeedsProfessionalQualification,
    NeedsEnforcementAuthority,
    NegativeReason,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ListChanges {
    Table,
    Id,
    CountyId,
    VersionId,
    ItemId,
    Action,
    Reason,
    Document,
    Before,
    After,
    UserId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Counties {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}


#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ListVersions::Table)
                .col(id(ListVersions::Id))
                .col(ColumnDef::new(ListVersions::CountyId).big_integer().not_null())
                .col(ColumnDef::new(ListVersions::Year).integer().not_null())
                .col(ColumnDef::new(ListVersions::BasedOnYear).integer().null())
                .col(ColumnDef::new(ListVersions::CreatedBy).big_integer().null())
                .col(ColumnDef::new(ListVersions::CreatedAt).timestamp_with_time_zone().not_null())
                .foreign_key(ForeignKey::create().from(ListVersions::Table, ListVersions::CountyId).to(Counties::Table, Counties::Id))
                .foreign_key(ForeignKey::create().from(ListVersions::Table, ListVersions::CreatedBy).to(Users::Table, Users::Id))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_list_versions_county_year")
                .table(ListVersions::Table)
                .col(ListVersions::CountyId)
                .col(ListVersions::Year)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ListItems::Table)
                .col(id(ListItems::Id))
                .col(ColumnDef::new(ListItems::CountyId).big_integer().not_null())
                .col(ColumnDef::new(ListItems::VersionId).big_integer().not_null())
                .col(ColumnDef::new(ListItems::Kind).string_len(16).not_null())
                .col(ColumnDef::new(ListItems::Code).string_len(32).not_null())
                .col(text(ListItems::Title))
                .col(text(ListItems::Description))
                .col(text(ListItems::Basis))
                .col(text(ListItems::Department))
                .col(text(ListItems::Category))
                .col(text(ListItems::Keywords))
                .col(ColumnDef::new(ListItems::NeedsProfessionalQualification).boolean().not_null())
                .col(ColumnDef::new(ListItems::NeedsEnforcementAuthority).boolean().not_null())
                .col(text(ListItems::NegativeReason))
                .col(ColumnDef::new(ListItems::Status).string_len(16).not_null())
                .col(ColumnDef::new(ListItems::CreatedAt).timestamp_with_time_zone().not_null())
                .col(ColumnDef::new(ListItems::UpdatedAt).timestamp_with_time_zone().not_null())
                .foreign_key(ForeignKey::create().from(ListItems::Table, ListItems::CountyId).to(Counties::Table, Counties::Id))
                .foreign_key(ForeignKey::create().from(ListItems::Table, ListItems::VersionId).to(ListVersions::Table, ListVersions::Id))
                .to_owned(),
        )
        .await?;
        // A code names one item within a year's lists; two reviewers adding the same code
        // at once cannot both succeed.
        m.create_index(
            Index::create()
                .name("ux_list_items_version_code")
                .table(ListItems::Table)
                .col(ListItems::VersionId)
                .col(ListItems::Code)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ListChanges::Table)
                .col(id(ListChanges::Id))
                .col(ColumnDef::new(ListChanges::CountyId).big_integer().not_null())
                .col(ColumnDef::new(ListChanges::VersionId).big_integer().not_null())
                .col(ColumnDef::new(ListChanges::ItemId).big_integer().not_null())
                .col(ColumnDef::new(ListChanges::Action).string_len(16).not_null())
                .col(text(ListChanges::Reason))
                .col(text(ListChanges::Document))
                .col(ColumnDef::new(ListChanges::Before).text().null())
                .col(text(ListChanges::After))
                .col(ColumnDef::new(ListChanges::UserId).big_integer().not_null())
                .col(ColumnDef::new(ListChanges::CreatedAt).timestamp_with_time_zone().not_null())
                .foreign_key(ForeignKey::create().from(ListChanges::Table, ListChanges::VersionId).to(ListVersions::Table, ListVersions::Id))
                .foreign_key(ForeignKey::create().from(ListChanges::Table, ListChanges::ItemId).to(ListItems::Table, ListItems::Id))
                .foreign_key(ForeignKey::create().from(ListChanges::Table, ListChanges::UserId).to(Users::Table, Users::Id))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_list_changes_item").table(ListChanges::Table).col(ListChanges::ItemId).to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [ListChanges::Table.into_iden(), ListItems::Table.into_iden(), ListVersions::Table.into_iden()] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
