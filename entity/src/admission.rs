use sea_orm::entity::prelude::*;

/// An application for admission (准入审批表) and its decision.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "admissions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub county_id: i64,
    pub department_id: i64,
    pub created_by: i64,
    pub title: String,
    pub description: String,
    pub basis: String,
    pub work_plan: String,
    pub staffing: String,
    pub period_start: Option<Date>,
    pub period_end: Option<Date>,
    /// Money in fen.
    pub budget_fen: Option<i64>,
    pub emergency: bool,
    pub needs_professional_qualification: bool,
    pub needs_enforcement_authority: bool,
    pub list_item_id: Option<i64>,
    pub status: String,
    pub entered_at: Option<DateTimeUtc>,
    pub approval_deadline: Option<Date>,
    pub review_opinion: Option<String>,
    pub review_comment: Option<String>,
    /// JSON array of {body, opinion}: the opinions civil affairs gathered.
    pub opinions: String,
    pub decision_comment: Option<String>,
    pub approval_year: Option<i32>,
    pub approval_seq: Option<i32>,
    pub approval_number: Option<String>,
    pub decided_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// `application` or `assist` (an assignment of an assist-list item, needing no admission).
    pub origin: String,
    /// An assist assignment's budget that differs from the item's funding standard: why.
    #[sea_orm(column_type = "Text", nullable)]
    pub budget_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
