use sea_orm::entity::prelude::*;

/// What the community delivers against a performance clause.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "deliverables")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub county_id: i64,
    pub contract_id: i64,
    pub clause_id: i64,
    pub summary: String,
    /// submitted | accepted | rejected
    pub status: String,
    pub decision_comment: Option<String>,
    pub submitted_by: i64,
    pub decided_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub decided_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
