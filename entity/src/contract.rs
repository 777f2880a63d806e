use sea_orm::entity::prelude::*;

/// A purchase-of-service contract between a department and a community.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "contracts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub county_id: i64,
    pub admission_id: i64,
    pub department_id: i64,
    pub community_id: i64,
    pub template_id: String,
    pub number: String,
    pub number_year: i32,
    pub number_seq: i32,
    /// draft | active | completed | closed | terminated
    pub status: String,
    /// The version in force (the first draft until it is signed).
    pub current_version: i32,
    /// JSON object of the template variables as filled in.
    pub variables: String,
    pub termination_reason: Option<String>,
    /// Why the system ended it (e.g. EMERGENCY_REJECTED); none when the department did.
    pub termination_code: Option<String>,
    /// Why the department ended the contract (`contracts::TerminationReason`).
    pub termination_reason_code: Option<String>,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
