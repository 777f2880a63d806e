use sea_orm::entity::prelude::*;

/// A payment milestone of one contract version. With a clause, it is paid only after a
/// deliverable for that clause is accepted; without, on its due date.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "contract_milestones")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub county_id: i64,
    pub contract_id: i64,
    pub version: i32,
    /// Position in this version's schedule, for display (第N期).
    pub seq: i32,
    /// The instalment's identity across versions: what was paid against a key stays paid.
    pub key: i32,
    pub due: Date,
    pub amount_fen: i64,
    pub clause_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
