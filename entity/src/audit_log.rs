use sea_orm::entity::prelude::*;

/// One entry of the audit trail: who did what to which record, before and after, from
/// where. Append-only (a trigger refuses UPDATE and DELETE); `hash` covers the content and
/// `prev_hash`, the hash of the county's previous entry (`seq` - 1).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// 0 for entries of no county (a failed login with an unknown name).
    pub county_id: i64,
    /// Position in the county's chain, from 1, without gaps.
    pub seq: i64,
    pub at: DateTimeUtc,
    pub actor_id: Option<i64>,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<i64>,
    /// JSON text, hashed as stored.
    pub before: Option<String>,
    pub after: Option<String>,
    pub request_id: Option<String>,
    pub client_addr: Option<String>,
    pub hash: String,
    pub prev_hash: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
