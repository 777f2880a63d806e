use sea_orm::entity::prelude::*;

/// The running balance of one account (debit-positive, in fen), kept in the same
/// transaction as every journal entry that touches it; `verify-ledger` checks it against
/// the lines.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "ledger_balances")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub county_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub account: String,
    pub balance_fen: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
