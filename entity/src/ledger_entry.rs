use sea_orm::entity::prelude::*;

/// A journal entry: one movement of money, its lines in `ledger_line`. Append-only; a
/// correction is a reversing entry.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "ledger_entries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub county_id: i64,
    /// budget | commitment | release | disbursement | receipt
    pub kind: String,
    pub contract_id: Option<i64>,
    pub department_id: Option<i64>,
    pub year: Option<i32>,
    pub memo: String,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
