use sea_orm::entity::prelude::*;

/// A community's report of work pushed down without admission (擅自下沉).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "violation_reports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub county_id: i64,
    pub community_id: i64,
    pub reported_by: i64,
    pub department_id: i64,
    pub task: String,
    pub occurred_on: Date,
    pub evidence: String,
    /// reported | confirmed | dismissed
    pub status: String,
    pub handled_by: Option<i64>,
    pub handling_reason: Option<String>,
    pub handled_at: Option<DateTimeUtc>,
    /// The notice (通报) that published it.
    pub notice_id: Option<i64>,
    pub created_at: DateTimeUtc,
    /// Set when the work refused is an assist-list item assigned without money (001 §二(三)).
    pub assist_item_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
