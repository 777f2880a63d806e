use sea_orm::entity::prelude::*;

/// The half-year assessment of one admitted task (每半年评估): what civil affairs gathered
/// and concluded, and what the leading group decided.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "assessments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub county_id: i64,
    pub admission_id: i64,
    /// 2026-H1 | 2026-H2
    pub period: String,
    pub effect: String,
    /// JSON: [{community_id, residents, deputies}]
    pub views: String,
    /// keep | improve | exit, as civil affairs concluded.
    pub conclusion: Option<String>,
    pub comment: String,
    /// draft | sent | decided
    pub stage: String,
    /// The leading group's decision: keep | improve | exit.
    pub decision: Option<String>,
    pub decision_comment: Option<String>,
    pub recorded_by: i64,
    pub decided_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub decided_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
