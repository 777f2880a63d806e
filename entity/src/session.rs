use sea_orm::entity::prelude::*;

/// A login: API bearer tokens and the web cookie are both rows here. Only the SHA-256 of
/// the token is stored, so a leaked table does not leak usable tokens.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    #[serde(skip)]
    pub token_hash: String,
    pub user_id: i64,
    pub county_id: i64,
    pub expires_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    /// Last request seen, for the idle timeout (checked at most once a minute).
    pub last_seen_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
