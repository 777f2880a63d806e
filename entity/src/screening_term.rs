use sea_orm::entity::prelude::*;

/// A word a county added to a screening concept. Removing it stamps `removed_*`; rows are
/// never deleted, so the table is the change log.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "screening_terms")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub county_id: i64,
    pub concept: String,
    /// action, topic, doubtful or exclude.
    pub kind: String,
    pub pattern: String,
    pub reason: String,
    pub added_by: i64,
    pub added_at: DateTimeUtc,
    pub removed_by: Option<i64>,
    pub removed_at: Option<DateTimeUtc>,
    pub removal_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
