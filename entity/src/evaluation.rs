use sea_orm::entity::prelude::*;

/// An evaluation of a contract, by the department or by residents' representatives.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "evaluations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub county_id: i64,
    pub contract_id: i64,
    /// department | residents
    pub evaluator: String,
    /// satisfied | basically_satisfied | unsatisfied
    pub overall: String,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
