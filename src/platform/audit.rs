//! The audit trail: every change of state, written in the same transaction as the change
//! to the append-only table `audit_log`, chained by hash per county.
//!
//! Write paths end with [`commit`] instead of `txn.commit()` (a lint test below keeps it
//! so): the entries are appended last, after the change itself, so the per-county chain
//! head (`audit_heads`, locked while appending) is always the last lock a transaction
//! takes and cannot deadlock against the domain's own lock order. Request id and client
//! address come from the request's task-local [`RequestMeta`], set by [`request_context`].
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use chrono::{DateTime, SubsecRound, Utc};
use entity::audit_log;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, Statement, TransactionTrait,
};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::platform::auth::Caller;
use crate::platform::db::begin_write;
use crate::platform::error::AppResult;

/// Adds a non-empty comment or reason to a snapshot, so the trail says why.
pub fn with_comment(mut v: Value, comment: &str) -> Value {
    let comment = comment.trim();
    if !comment.is_empty() {
        if let Value::Object(map) = &mut v {
            map.insert("comment".into(), Value::String(comment.to_string()));
        }
    }
    v
}

/// The hash a county's first entry links to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What one request carries into the entries it causes.
#[derive(Clone, Debug, Default)]
pub struct RequestMeta {
    pub request_id: String,
    pub client_addr: Option<String>,
}

tokio::task_local! {
    static REQUEST: RequestMeta;
}

/// The current request's id and address (none outside a request: CLI, deadline job).
pub fn current() -> RequestMeta {
    REQUEST.try_with(|m| m.clone()).unwrap_or_default()
}

/// The client of a request: the peer, or, when the peer is a trusted proxy, the last
/// address in `X-Forwarded-For` that is not itself a trusted proxy (each proxy appends the
/// address it saw, so entries left of it are the client's own word and may be forged).
pub fn client_of(peer: Option<std::net::IpAddr>, forwarded: Option<&str>, trusted: &[std::net::IpAddr]) -> Option<std::net::IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let hops: Vec<std::net::IpAddr> = forwarded.unwrap_or("").split(',').filter_map(|h| h.trim().parse().ok()).collect();
    Some(hops.iter().rev().find(|h| !trusted.contains(h)).or(hops.first()).copied().unwrap_or(peer))
}

/// Gives each request an id (a sane `X-Request-Id` from a proxy, else a fresh one),
/// remembers the client address (`client_of`) for the audit trail and the login
/// throttle, and echoes the id in the answer.
pub async fn request_context(trusted: std::sync::Arc<Vec<std::net::IpAddr>>, req: Request, next: Next) -> Response {
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        .map(str::to_string)
        .unwrap_or_else(|| hex::encode(rand::random::<[u8; 12]>()));
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let forwarded = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
    let client_addr = client_of(peer, forwarded, &trusted).map(|ip| ip.to_string());
    let meta = RequestMeta { request_id: request_id.clone(), client_addr };
    let mut res = REQUEST.scope(meta, next.run(req)).await;
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        res.headers_mut().insert("x-request-id", v);
    }
    res
}

/// The client address of the current request, for rate limits.
pub fn client_addr() -> Option<String> {
    current().client_addr
}

/// One change to record.
#[derive(Clone, Debug)]
pub struct Entry {
    pub county_id: i64,
    pub actor_id: Option<i64>,
    pub action: String,
    pub entity: &'static str,
    pub entity_id: Option<i64>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl Entry {
    /// `caller` did `action` (e.g. `contract.sign`) to `entity` `id`.
    pub fn by(caller: &Caller, action: impl Into<String>, entity: &'static str, id: impl Into<Option<i64>>) -> Entry {
        Entry::new(caller.county_id, Some(caller.user_id), action, entity, id)
    }

    pub fn new(county_id: i64, actor_id: Option<i64>, action: impl Into<String>, entity: &'static str, id: impl Into<Option<i64>>) -> Entry {
        Entry { county_id, actor_id, action: action.into(), entity, entity_id: id.into(), before: None, after: None }
    }

    pub fn before(mut self, v: impl Serialize) -> Entry {
        self.before = serde_json::to_value(v).ok();
        self
    }

    pub fn after(mut self, v: impl Serialize) -> Entry {
        self.after = serde_json::to_value(v).ok();
        self
    }
}

/// The content an entry's hash covers, in a fixed order; `at` in microseconds (what both
/// databases keep).
fn entry_hash(e: &audit_log::Model) -> String {
    let content = serde_json::json!([
        e.county_id,
        e.seq,
        e.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        e.actor_id,
        e.action,
        e.entity,
        e.entity_id,
        e.before,
        e.after,
        e.request_id,
        e.client_addr,
        e.prev_hash,
    ]);
    hex::encode(Sha256::digest(content.to_string().as_bytes()))
}

/// Appends entries to their counties' chains inside `txn`. Call it last in a transaction.
pub async fn append(txn: &impl ConnectionTrait, entries: Vec<Entry>) -> AppResult<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let meta = current();
    let at: DateTime<Utc> = Utc::now().trunc_subsecs(6);
    let mut counties: Vec<i64> = entries.iter().map(|e| e.county_id).collect();
    counties.sort_unstable();
    counties.dedup();
    for county in counties {
        let (mut seq, mut prev) = lock_head(txn, county).await?;
        for e in entries.iter().filter(|e| e.county_id == county) {
            seq += 1;
            let mut row = audit_log::Model {
                id: 0,
                county_id: county,
                seq,
                at,
                actor_id: e.actor_id,
                action: e.action.clone(),
                entity: e.entity.to_string(),
                entity_id: e.entity_id,
                before: e.before.as_ref().map(Value::to_string),
                after: e.after.as_ref().map(Value::to_string),
                request_id: (!meta.request_id.is_empty()).then(|| meta.request_id.clone()),
                client_addr: meta.client_addr.clone(),
                hash: String::new(),
                prev_hash: prev.clone(),
            };
            row.hash = entry_hash(&row);
            prev = row.hash.clone();
            audit_log::ActiveModel {
                county_id: Set(row.county_id),
                seq: Set(row.seq),
                at: Set(row.at),
                actor_id: Set(row.actor_id),
                action: Set(row.action),
                entity: Set(row.entity),
                entity_id: Set(row.entity_id),
                before: Set(row.before),
                after: Set(row.after),
                request_id: Set(row.request_id),
                client_addr: Set(row.client_addr),
                hash: Set(row.hash),
                prev_hash: Set(row.prev_hash),
                ..Default::default()
            }
            .insert(txn)
            .await?;
        }
        let backend = txn.get_database_backend();
        txn.execute(Statement::from_sql_and_values(
            backend,
            sql(backend, "UPDATE audit_heads SET seq = ?, hash = ? WHERE county_id = ?"),
            [seq.into(), prev.into(), county.into()],
        ))
        .await?;
    }
    Ok(())
}

/// The county's chain head, locked until the transaction ends (on SQLite the write lock
/// `begin_write` took already serialises writers).
async fn lock_head(txn: &impl ConnectionTrait, county: i64) -> AppResult<(i64, String)> {
    let backend = txn.get_database_backend();
    txn.execute(Statement::from_sql_and_values(
        backend,
        sql(backend, "INSERT INTO audit_heads (county_id, seq, hash) VALUES (?, 0, ?) ON CONFLICT (county_id) DO NOTHING"),
        [county.into(), GENESIS.into()],
    ))
    .await?;
    let lock = if backend == DatabaseBackend::Postgres { " FOR UPDATE" } else { "" };
    let row = txn
        .query_one(Statement::from_sql_and_values(
            backend,
            sql(backend, &format!("SELECT seq, hash FROM audit_heads WHERE county_id = ?{lock}")),
            [county.into()],
        ))
        .await?
        .ok_or_else(|| crate::platform::error::AppError::internal("audit head missing"))?;
    Ok((row.try_get("", "seq")?, row.try_get("", "hash")?))
}

/// `?` placeholders as the backend wants them.
fn sql(backend: DatabaseBackend, s: &str) -> String {
    if backend != DatabaseBackend::Postgres {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    let mut n = 0;
    for ch in s.chars() {
        if ch == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(ch);
        }
    }
    out
}

/// A write transaction that carries its audit entries: code anywhere inside it notes what
/// it changed ([`Tx::note`]); [`Tx::commit`] appends them last and commits. It is a
/// connection like any other, so the domain's functions take it as `&impl ConnectionTrait`.
/// Per county, how many write transactions have committed in this process: what was read
/// from a county (an inbox) is still true while its count is unchanged.
static GENERATIONS: std::sync::LazyLock<std::sync::Mutex<std::collections::HashMap<i64, u64>>> = std::sync::LazyLock::new(Default::default);

pub fn generation(county_id: i64) -> u64 {
    GENERATIONS.lock().map(|g| g.get(&county_id).copied().unwrap_or(0)).unwrap_or(0)
}

/// A write outside `Tx` (an inbox read mark) that derived views must see.
pub fn bump(county_id: i64) {
    if let Ok(mut g) = GENERATIONS.lock() {
        *g.entry(county_id).or_default() += 1;
    }
}

pub struct Tx {
    txn: DatabaseTransaction,
    notes: std::sync::Mutex<Vec<Entry>>,
}

impl Tx {
    pub fn new(txn: DatabaseTransaction) -> Tx {
        Tx { txn, notes: Default::default() }
    }

    /// Records a change made in this transaction.
    pub fn note(&self, e: Entry) {
        self.notes.lock().expect("audit notes").push(e);
    }

    /// Appends the noted entries (and `more`) to the trail and commits. A write that noted
    /// nothing is a bug: every change of state names who made it.
    pub async fn commit(self, more: Vec<Entry>) -> AppResult<()> {
        let mut entries = self.notes.into_inner().expect("audit notes");
        entries.extend(more);
        debug_assert!(!entries.is_empty(), "a write transaction committed without an audit entry");
        let counties: Vec<i64> = entries.iter().map(|e| e.county_id).collect();
        append(&self.txn, entries).await?;
        self.txn.commit().await?;
        for c in counties {
            bump(c);
        }
        Ok(())
    }

    /// Undoes everything (a dry run).
    pub async fn rollback(self) -> AppResult<()> {
        self.txn.rollback().await?;
        Ok(())
    }

    /// Commits a transaction that turned out to change nothing (a retry answered from
    /// the stored result, a job that found no work).
    pub async fn commit_unchanged(self) -> AppResult<()> {
        debug_assert!(self.notes.lock().expect("audit notes").is_empty(), "commit_unchanged after a change was noted");
        self.txn.commit().await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Tx {
    fn get_database_backend(&self) -> DatabaseBackend {
        self.txn.get_database_backend()
    }
    async fn execute(&self, stmt: Statement) -> Result<sea_orm::ExecResult, sea_orm::DbErr> {
        self.txn.execute(stmt).await
    }
    async fn execute_unprepared(&self, sql: &str) -> Result<sea_orm::ExecResult, sea_orm::DbErr> {
        self.txn.execute_unprepared(sql).await
    }
    async fn query_one(&self, stmt: Statement) -> Result<Option<sea_orm::QueryResult>, sea_orm::DbErr> {
        self.txn.query_one(stmt).await
    }
    async fn query_all(&self, stmt: Statement) -> Result<Vec<sea_orm::QueryResult>, sea_orm::DbErr> {
        self.txn.query_all(stmt).await
    }
}

/// Nested transactions (savepoints), so a procedure made of several audited steps (the
/// demo county) can still be all or nothing.
#[async_trait::async_trait]
impl TransactionTrait for Tx {
    async fn begin(&self) -> Result<DatabaseTransaction, sea_orm::DbErr> {
        self.txn.begin().await
    }
    async fn begin_with_config(
        &self,
        isolation_level: Option<sea_orm::IsolationLevel>,
        access_mode: Option<sea_orm::AccessMode>,
    ) -> Result<DatabaseTransaction, sea_orm::DbErr> {
        self.txn.begin_with_config(isolation_level, access_mode).await
    }
    async fn transaction<F, T, E>(&self, callback: F) -> Result<T, sea_orm::TransactionError<E>>
    where
        F: for<'c> FnOnce(&'c DatabaseTransaction) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, E>> + Send + 'c>> + Send,
        T: Send,
        E: std::fmt::Display + std::fmt::Debug + Send,
    {
        self.txn.transaction(callback).await
    }
    async fn transaction_with_config<F, T, E>(
        &self,
        callback: F,
        isolation_level: Option<sea_orm::IsolationLevel>,
        access_mode: Option<sea_orm::AccessMode>,
    ) -> Result<T, sea_orm::TransactionError<E>>
    where
        F: for<'c> FnOnce(&'c DatabaseTransaction) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, E>> + Send + 'c>> + Send,
        T: Send,
        E: std::fmt::Display + std::fmt::Debug + Send,
    {
        self.txn.transaction_with_config(callback, isolation_level, access_mode).await
    }
}

/// Records that `caller` took a copy of a record out of the system (a PDF, a workbook).
pub async fn exported(db: &(impl ConnectionTrait + TransactionTrait), caller: &Caller, what: &str, entity: &'static str, id: Option<i64>) -> AppResult<()> {
    record(db, vec![Entry::by(caller, format!("export.{what}"), entity, id)]).await
}

/// Records entries in a transaction of their own (for events that change nothing else,
/// such as a failed login or an export).
pub async fn record(db: &(impl ConnectionTrait + TransactionTrait), entries: Vec<Entry>) -> AppResult<()> {
    begin_write(db).await?.commit(entries).await
}

// ---- verification ------------------------------------------------------------------

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditBreach {
    pub county_id: i64,
    pub seq: Option<i64>,
    pub entry_id: Option<i64>,
    /// edited | broken_link | missing | reordered | head_mismatch
    pub kind: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditReport {
    pub ok: bool,
    pub entries: u64,
    pub breaches: Vec<AuditBreach>,
    /// Each county's last hash: write it down elsewhere (e.g. in the half-year report) and
    /// a rewrite of the whole chain becomes visible too.
    pub heads: Vec<AuditHead>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditHead {
    pub county_id: i64,
    pub seq: i64,
    pub hash: String,
}

/// Walks every chain (one county's, or all) and reports each edited, removed, inserted or
/// reordered entry. Reads in pages so a long trail does not sit in memory.
pub async fn verify(db: &impl ConnectionTrait, county_id: Option<i64>) -> AppResult<AuditReport> {
    let backend = db.get_database_backend();
    let heads_sql = match county_id {
        Some(c) => Statement::from_sql_and_values(backend, sql(backend, "SELECT county_id, seq, hash FROM audit_heads WHERE county_id = ? ORDER BY county_id"), [c.into()]),
        None => Statement::from_string(backend, "SELECT county_id, seq, hash FROM audit_heads ORDER BY county_id"),
    };
    let mut heads = Vec::new();
    for r in db.query_all(heads_sql).await? {
        heads.push(AuditHead { county_id: r.try_get("", "county_id")?, seq: r.try_get("", "seq")?, hash: r.try_get("", "hash")? });
    }
    // Counties that have entries but (somehow) no head are checked too.
    let mut q = audit_log::Entity::find().select_only().column(audit_log::Column::CountyId).distinct();
    if let Some(c) = county_id {
        q = q.filter(audit_log::Column::CountyId.eq(c));
    }
    let mut counties: Vec<i64> = q
        .into_tuple()
        .all(db)
        .await?;
    counties.extend(heads.iter().map(|h| h.county_id));
    counties.sort_unstable();
    counties.dedup();

    let mut breaches = Vec::new();
    let mut total = 0u64;
    for county in counties {
        let breach = |seq: Option<i64>, id: Option<i64>, kind: &str, message: String| AuditBreach {
            county_id: county,
            seq,
            entry_id: id,
            kind: kind.into(),
            message,
        };
        let (mut expect_seq, mut prev_hash, mut prev_id) = (1i64, GENESIS.to_string(), 0i64);
        loop {
            let page = audit_log::Entity::find()
                .filter(audit_log::Column::CountyId.eq(county))
                .filter(audit_log::Column::Seq.gte(expect_seq))
                .order_by_asc(audit_log::Column::Seq)
                .limit(1000)
                .all(db)
                .await?;
            if page.is_empty() {
                break;
            }
            for e in page {
                total += 1;
                if e.seq != expect_seq {
                    breaches.push(breach(Some(expect_seq), None, "missing", format!("第{}至{}条记录缺失（被删除）", expect_seq, e.seq - 1)));
                }
                if e.id <= prev_id {
                    breaches.push(breach(Some(e.seq), Some(e.id), "reordered", format!("第{}条记录的顺序被改动", e.seq)));
                }
                if e.prev_hash != prev_hash {
                    breaches.push(breach(Some(e.seq), Some(e.id), "broken_link", format!("第{}条记录与前一条不相连（插入或删除）", e.seq)));
                }
                if entry_hash(&e) != e.hash {
                    breaches.push(breach(Some(e.seq), Some(e.id), "edited", format!("第{}条记录的内容被改动", e.seq)));
                }
                expect_seq = e.seq + 1;
                prev_hash = e.hash.clone();
                prev_id = e.id;
            }
        }
        match heads.iter().find(|h| h.county_id == county) {
            Some(h) if h.seq == expect_seq - 1 && h.hash == prev_hash => {}
            Some(h) => breaches.push(breach(
                Some(h.seq),
                None,
                "head_mismatch",
                format!("链头记为第{}条，实际最后一条为第{}条（末尾记录被删除或插入）", h.seq, expect_seq - 1),
            )),
            None => breaches.push(breach(None, None, "head_mismatch", "审计链缺少链头".into())),
        }
    }
    Ok(AuditReport { ok: breaches.is_empty(), entries: total, breaches, heads })
}

// ---- browsing ------------------------------------------------------------------------

#[derive(Debug, Default, Clone, serde::Deserialize, utoipa::IntoParams)]
pub struct AuditFilter {
    pub entity: Option<String>,
    pub entity_id: Option<i64>,
    pub actor_id: Option<i64>,
    pub action: Option<String>,
    /// From this date (YYYY-MM-DD), inclusive.
    pub from: Option<chrono::NaiveDate>,
    /// To this date (YYYY-MM-DD), inclusive.
    pub to: Option<chrono::NaiveDate>,
    /// Entries per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

/// A page of a county's entries, newest first; the cursor is the last id shown.
pub async fn page(db: &impl ConnectionTrait, county_id: i64, f: &AuditFilter) -> AppResult<(Vec<audit_log::Model>, Option<String>)> {
    let limit = f.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(crate::platform::error::AppError::invalid("limit", "每页条数须为1至500"));
    }
    let mut q = audit_log::Entity::find().filter(audit_log::Column::CountyId.eq(county_id));
    if let Some(e) = f.entity.as_deref().filter(|s| !s.is_empty()) {
        q = q.filter(audit_log::Column::Entity.eq(e));
    }
    if let Some(id) = f.entity_id {
        q = q.filter(audit_log::Column::EntityId.eq(id));
    }
    if let Some(a) = f.actor_id {
        q = q.filter(audit_log::Column::ActorId.eq(a));
    }
    if let Some(a) = f.action.as_deref().filter(|s| !s.is_empty()) {
        // `contract` matches every contract action, `contract.sign` just that one.
        q = q.filter(audit_log::Column::Action.eq(a).or(audit_log::Column::Action.starts_with(format!("{a}."))));
    }
    if let Some(d) = f.from {
        q = q.filter(audit_log::Column::At.gte(d.and_hms_opt(0, 0, 0).unwrap().and_utc()));
    }
    if let Some(d) = f.to {
        q = q.filter(audit_log::Column::At.lt(d.and_hms_opt(0, 0, 0).unwrap().and_utc() + chrono::Duration::days(1)));
    }
    if let Some(c) = f.cursor.as_deref().filter(|s| !s.is_empty()) {
        let id: i64 = c.parse().map_err(|_| crate::platform::error::AppError::invalid("cursor", "翻页标记无效"))?;
        q = q.filter(audit_log::Column::Id.lt(id));
    }
    let mut rows = q.order_by_desc(audit_log::Column::Id).limit(limit + 1).all(db).await?;
    let next = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.id.to_string())
    } else {
        None
    };
    Ok((rows, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: i64, prev: &str) -> audit_log::Model {
        let mut e = audit_log::Model {
            id: seq,
            county_id: 1,
            seq,
            at: DateTime::parse_from_rfc3339("2026-11-25T10:00:00.123456Z").unwrap().with_timezone(&Utc),
            actor_id: Some(7),
            action: "contract.sign".into(),
            entity: "contract".into(),
            entity_id: Some(3),
            before: Some(r#"{"status":"draft"}"#.into()),
            after: Some(r#"{"status":"active"}"#.into()),
            request_id: Some("abc".into()),
            client_addr: Some("10.0.0.1".into()),
            hash: String::new(),
            prev_hash: prev.into(),
        };
        e.hash = entry_hash(&e);
        e
    }

    #[test]
    fn the_hash_covers_every_field_and_the_link() {
        let e = entry(1, GENESIS);
        let base = entry_hash(&e);
        let changes: Vec<Box<dyn Fn(&mut audit_log::Model)>> = vec![
            Box::new(|e| e.county_id = 2),
            Box::new(|e| e.seq = 2),
            Box::new(|e| e.at += chrono::Duration::microseconds(1)),
            Box::new(|e| e.actor_id = Some(8)),
            Box::new(|e| e.action = "contract.terminate".into()),
            Box::new(|e| e.entity = "admission".into()),
            Box::new(|e| e.entity_id = Some(4)),
            Box::new(|e| e.before = None),
            Box::new(|e| e.after = Some(r#"{"status":"terminated"}"#.into())),
            Box::new(|e| e.request_id = None),
            Box::new(|e| e.client_addr = Some("10.0.0.2".into())),
            Box::new(|e| e.prev_hash = entry(1, GENESIS).hash),
        ];
        for (i, change) in changes.iter().enumerate() {
            let mut x = e.clone();
            change(&mut x);
            assert_ne!(entry_hash(&x), base, "change {i} left the hash unchanged");
        }
        assert_eq!(entry_hash(&e.clone()), base);
    }

    #[test]
    fn placeholders_follow_the_backend() {
        assert_eq!(sql(DatabaseBackend::Postgres, "a = ? AND b = ?"), "a = $1 AND b = $2");
        assert_eq!(sql(DatabaseBackend::Sqlite, "a = ?"), "a = ?");
    }

    /// Every write transaction is a `Tx` from `begin_write` and ends in `Tx::commit(entries)`,
    /// so none can change state unrecorded: no bare transaction begins or commits elsewhere.
    #[test]
    fn no_write_transaction_goes_around_the_audit_trail() {
        let mut offenders = Vec::new();
        for path in crate::source_files() {
            if path.ends_with("platform/audit.rs") || path.ends_with("platform/db.rs") {
                continue;
            }
            // `zhunru bench` bulk-loads generated data and times a raw insert loop into
            // scratch databases of its own, deliberately outside the application's steps.
            if path.components().any(|c| c.as_os_str() == "bench") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for (n, line) in text.lines().enumerate() {
                if line.contains(".commit().await") || line.contains(".begin().await") {
                    offenders.push(format!("{}:{}", path.display(), n + 1));
                }
            }
        }
        assert!(offenders.is_empty(), "begin with db::begin_write and end with Tx::commit(entries): {offenders:?}");
    }
}
