use sea_orm::entity::prelude::*;

/// One version of a contract: the first draft, or an amendment. Takes effect when both
/// parties have signed it; never changed afterwards.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "contract_versions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub county_id: i64,
    pub contract_id: i64,
    pub version: i32,
    pub amount_fen: i64,
    pub period_start: Date,
    pub period_end: Date,
    /// pending | effective | superseded | void
    pub status: String,
    pub rationale_code: Option<String>,
    pub rationale: String,
    pub department_signed_by: Option<i64>,
    pub department_signed_at: Option<DateTimeUtc>,
    pub community_signed_by: Option<i64>,
    pub community_signed_at: Option<DateTimeUtc>,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
