use sea_orm::entity::prelude::*;

/// The civil affairs reviewer's decision on a doubtful screening finding of an application:
/// confirmed (it stays blocking) or overridden with a reason (kept, shown to the approver
/// and on the approval document).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "screening_decisions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub county_id: i64,
    pub admission_id: i64,
    /// The concept the finding rests on (its key).
    pub concept: String,
    pub code: String,
    pub strength: String,
    /// The evidence as it was when decided (JSON).
    pub evidence: String,
    /// confirmed or overridden.
    pub decision: String,
    pub reason: String,
    pub decided_by: i64,
    pub decided_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
