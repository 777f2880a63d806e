use sea_orm::entity::prelude::*;

/// A file attached to a deliverable, stored with its SHA-256.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "attachments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub county_id: i64,
    pub deliverable_id: i64,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    /// A photo scaled down on arrival: the SHA-256 and size of the file as uploaded.
    pub original_sha256: Option<String>,
    pub original_size: Option<i64>,
    #[serde(skip)]
    pub data: Vec<u8>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
