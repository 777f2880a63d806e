//! Connecting to SQLite or PostgreSQL with the same code, and applying migrations.
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut opts = ConnectOptions::new(url.to_string());
    opts.sqlx_logging(false).acquire_timeout(Duration::from_secs(30));
    if url.starts_with("sqlite:") {
        // WAL lets readers go on while one writer writes; the busy timeout makes a second
        // writer wait its turn instead of failing at once.
        opts.max_connections(8).map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(30))
                .foreign_keys(true)
        });
    } else {
        opts.max_connections(16);
    }
    Database::connect(opts).await
}

pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// Every row carries its county. Queries for a caller start from `in_county`, the one
/// place the tenant filter is applied, so a forgotten filter cannot leak another county.
pub trait CountyScoped: sea_orm::EntityTrait {
    fn county_column() -> Self::Column;
}

pub fn in_county<E: CountyScoped>(county_id: i64) -> sea_orm::Select<E> {
    use sea_orm::{ColumnTrait, QueryFilter};
    E::find().filter(E::county_column().eq(county_id))
}

/// One row by primary key, within the county: what `find_by_id` is for county-scoped
/// entities. `tests/api/authz.rs` fails on an unscoped `find()` / `find_by_id` of them
/// outside a short allow-list.
pub fn by_id_in_county<E>(county_id: i64, id: i64) -> sea_orm::Select<E>
where
    E: CountyScoped,
    i64: Into<<E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType>,
{
    use sea_orm::{ColumnTrait, QueryFilter};
    E::find_by_id(id).filter(E::county_column().eq(county_id))
}

/// Rows of several counties: what a city or province reads of the counties under it. The
/// ids come from `region::store::under`, never from the request.
pub fn in_counties<E: CountyScoped>(county_ids: &[i64]) -> sea_orm::Select<E> {
    use sea_orm::{ColumnTrait, QueryFilter};
    E::find().filter(E::county_column().is_in(county_ids.to_vec()))
}

macro_rules! county_scoped {
    ($($m:ident),*) => {$(
        impl CountyScoped for entity::$m::Entity {
            fn county_column() -> Self::Column {
                entity::$m::Column::CountyId
            }
        }
    )*};
}
county_scoped!(organisation, user, list_version, list_item, list_change, admission, admission_target, admission_event, violation_report, notice, contract, contract_version, contract_clause, contract_milestone, ledger_entry, ledger_line, ledger_balance, disbursement, deliverable, attachment, idempotency_key, evaluation, evaluation_item, objection, screening_term, screening_decision, inbox_read, dispute, assessment, filing);

/// A unique index said no: two requests raced for the same key.
pub fn is_unique_violation(e: &sea_orm::DbErr) -> bool {
    matches!(e.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_)))
}

/// Begins a transaction that will write. On SQLite it takes the write lock at once (like
/// `BEGIN IMMEDIATE`, which sea-orm cannot issue): a transaction that first reads and then
/// writes would otherwise fail with "database is locked" when another writer got in
/// between, instead of waiting its turn. On PostgreSQL it is a plain `BEGIN`; row locks
/// and conditional updates do the rest.
///
/// The transaction carries its audit entries and ends with `Tx::commit(entries)`.
pub async fn begin_write<C>(db: &C) -> Result<crate::platform::audit::Tx, sea_orm::DbErr>
where
    C: sea_orm::ConnectionTrait + sea_orm::TransactionTrait,
{
    let txn = db.begin().await?;
    if db.get_database_backend() == sea_orm::DatabaseBackend::Sqlite {
        // A write statement takes the lock even when it matches no row.
        sea_orm::ConnectionTrait::execute_unprepared(&txn, "UPDATE counties SET id = id WHERE 1 = 0").await?;
    }
    Ok(crate::platform::audit::Tx::new(txn))
}
