//! Counties (the tenant of every row), the organisation tree, users and login sessions.
use sea_orm_migration::prelude::*;

use crate::columns::{id, ts};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Counties {
    Table,
    Id,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Organisations {
    Table,
    Id,
    CountyId,
    ParentId,
    Kind,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    CountyId,
    OrgId,
    Username,
    DisplayName,
    Role,
    PasswordHash,
    Active,
    FailedLogins,
    LockedUntil,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    TokenHash,
    UserId,
    CountyId,
    ExpiresAt,
    CreatedAt,
}


#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Counties::Table)
                .col(id(Counties::Id))
                .col(ColumnDef::new(Counties::Name).string().not_null().unique_key())
                .col(ts(Counties::CreatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Organisations::Table)
                .col(id(Organisations::Id))
                .col(ColumnDef::new(Organisations::CountyId).big_integer().not_null())
                .col(ColumnDef::new(Organisations::ParentId).big_integer().null())
                .col(ColumnDef::new(Organisations::Kind).string_len(32).not_null())
                .col(ColumnDef::new(Organisations::Name).string().not_null())
                .col(ts(Organisations::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Organisations::Table, Organisations::CountyId)
                        .to(Counties::Table, Counties::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Organisations::Table, Organisations::ParentId)
                        .to(Organisations::Table, Organisations::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_organisations_county_name")
                .table(Organisations::Table)
                .col(Organisations::CountyId)
                .col(Organisations::Name)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Users::Table)
                .col(id(Users::Id))
                .col(ColumnDef::new(Users::CountyId).big_integer().not_null())
                .col(ColumnDef::new(Users::OrgId).big_integer().not_null())
                .col(ColumnDef::new(Users::Username).string_len(64).not_null().unique_key())
                .col(ColumnDef::new(Users::DisplayName).string().not_null())
                .col(ColumnDef::new(Users::Role).string_len(32).not_null())
                .col(ColumnDef::new(Users::PasswordHash).string().not_null())
                .col(ColumnDef::new(Users::Active).boolean().not_null().default(true))
                .col(ColumnDef::new(Users::FailedLogins).integer().not_null().default(0))
                .col(ColumnDef::new(Users::LockedUntil).timestamp_with_time_zone().null())
                .col(ts(Users::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Users::Table, Users::CountyId)
                        .to(Counties::Table, Counties::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Users::Table, Users::OrgId)
                        .to(Organisations::Table, Organisations::Id),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Sessions::Table)
                .col(id(Sessions::Id))
                .col(ColumnDef::new(Sessions::TokenHash).string_len(64).not_null().unique_key())
                .col(ColumnDef::new(Sessions::UserId).big_integer().not_null())
                .col(ColumnDef::new(Sessions::CountyId).big_integer().not_null())
                .col(ColumnDef::new(Sessions::ExpiresAt).timestamp_with_time_zone().not_null())
                .col(ts(Sessions::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Sessions::Table, Sessions::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            Sessions::Table.into_iden(),
            Users::Table.into_iden(),
            Organisations::Table.into_iden(),
            Counties::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
