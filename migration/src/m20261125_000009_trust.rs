//! Trust (issue 12): the append-only audit trail chained by hash per county, its chain
//! heads, and an idle timeout for sessions.
//!
//! `audit_log` refuses UPDATE and DELETE by trigger on both databases, so the application
//! (whatever its role's privileges) can only append; someone with DDL rights can still
//! drop the trigger, which is why `verify-audit` checks the chain itself.
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

use crate::columns::{big, id, ts};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    CountyId,
    Seq,
    At,
    ActorId,
    Action,
    Entity,
    EntityId,
    Before,
    After,
    RequestId,
    ClientAddr,
    Hash,
    PrevHash,
}

#[derive(DeriveIden)]
enum AuditHeads {
    Table,
    CountyId,
    Seq,
    Hash,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    LastSeenAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(AuditLog::Table)
                .col(id(AuditLog::Id))
                // 0 for entries that belong to no county (a login with an unknown name).
                .col(big(AuditLog::CountyId))
                .col(big(AuditLog::Seq))
                .col(ts(AuditLog::At))
                .col(ColumnDef::new(AuditLog::ActorId).big_integer().null())
                .col(ColumnDef::new(AuditLog::Action).string_len(64).not_null())
                .col(ColumnDef::new(AuditLog::Entity).string_len(64).not_null())
                .col(ColumnDef::new(AuditLog::EntityId).big_integer().null())
                .col(ColumnDef::new(AuditLog::Before).text().null())
                .col(ColumnDef::new(AuditLog::After).text().null())
                .col(ColumnDef::new(AuditLog::RequestId).string_len(64).null())
                .col(ColumnDef::new(AuditLog::ClientAddr).string_len(64).null())
                .col(ColumnDef::new(AuditLog::Hash).string_len(64).not_null())
                .col(ColumnDef::new(AuditLog::PrevHash).string_len(64).not_null())
                .to_owned(),
        )
        .await?;
        for (name, cols) in [
            ("ux_audit_log_county_seq", vec![AuditLog::CountyId, AuditLog::Seq]),
            ("ix_audit_log_record", vec![AuditLog::CountyId, AuditLog::Entity, AuditLog::EntityId]),
            ("ix_audit_log_actor", vec![AuditLog::CountyId, AuditLog::ActorId]),
            ("ix_audit_log_at", vec![AuditLog::CountyId, AuditLog::At]),
        ] {
            let mut ix = Index::create().name(name).table(AuditLog::Table).to_owned();
            for c in cols {
                ix.col(c);
            }
            if name.starts_with("ux_") {
                ix.unique();
            }
            m.create_index(ix).await?;
        }
        m.create_table(
            Table::create()
                .table(AuditHeads::Table)
                .col(ColumnDef::new(AuditHeads::CountyId).big_integer().not_null().primary_key())
                .col(big(AuditHeads::Seq))
                .col(ColumnDef::new(AuditHeads::Hash).string_len(64).not_null())
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        match db.get_database_backend() {
            DatabaseBackend::Postgres => {
                db.execute_unprepared(
                    "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                     BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$;
                     CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
                       FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
                     CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
                       FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();",
                )
                .await?;
            }
            _ => {
                db.execute_unprepared(
                    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
                       BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
                     CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
                       BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;",
                )
                .await?;
            }
        }
        m.alter_table(
            Table::alter()
                .table(Sessions::Table)
                .add_column(ColumnDef::new(Sessions::LastSeenAt).timestamp_with_time_zone().null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Sessions::Table).drop_column(Sessions::LastSeenAt).to_owned()).await?;
        m.drop_table(Table::drop().table(AuditHeads::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(AuditLog::Table).to_owned()).await?;
        if m.get_connection().get_database_backend() == DatabaseBackend::Postgres {
            m.get_connection().execute_unprepared("DROP FUNCTION IF EXISTS audit_log_append_only()").await?;
        }
        Ok(())
    }
}
