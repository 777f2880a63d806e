use sea_orm::entity::prelude::*;

/// A filing (备案) with the level above: a year's lists or a decided admission, as filed.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "filings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The jurisdiction that filed.
    pub county_id: i64,
    /// The level above when it was filed.
    pub region_id: Option<i64>,
    /// lists | admission
    pub kind: String,
    pub record_id: i64,
    pub year: i32,
    pub title: String,
    /// JSON snapshot of what was filed.
    #[serde(skip)]
    pub content: String,
    /// SHA-256 of `content`.
    pub digest: String,
    /// A lists filing: the one it follows (0 for the first). Unique per county.
    pub follows_id: Option<i64>,
    pub filed_by: Option<i64>,
    pub filed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
