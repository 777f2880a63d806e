use sea_orm::entity::prelude::*;

/// A dispute civil affairs decides (001 §三(五)): a deliverable rejected twice, an
/// evaluation objected to, or a termination the community contests.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "disputes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub county_id: i64,
    /// deliverable | evaluation | termination
    pub kind: String,
    pub contract_id: i64,
    /// The deliverable, evaluation or contract disputed.
    pub subject_id: i64,
    pub reason: String,
    /// open | upheld | overturned
    pub status: String,
    pub decision_reason: Option<String>,
    pub raised_by: i64,
    pub decided_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub decided_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
