use sea_orm::entity::prelude::*;

/// One change to a list item (add, adjust, cancel), with its reason, the document it
/// rests on, and the item before and after as JSON. Append-only.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "list_changes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub county_id: i64,
    pub version_id: i64,
    pub item_id: i64,
    pub action: String,
    pub reason: String,
    pub document: String,
    pub before: Option<String>,
    pub after: String,
    pub user_id: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
