use sea_orm::entity::prelude::*;

/// A payment of (part of) a milestone to the community, and its receipt.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "disbursements")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub county_id: i64,
    pub contract_id: i64,
    pub milestone_id: i64,
    pub amount_fen: i64,
    /// paid | confirmed | disputed
    pub status: String,
    pub entry_id: i64,
    pub paid_by: i64,
    pub paid_at: DateTimeUtc,
    pub receipt_by: Option<i64>,
    pub receipt_at: Option<DateTimeUtc>,
    pub dispute_reason: Option<String>,
    /// The finance bureau's answer to the last dispute; it returned the payment to `paid`.
    pub answer: Option<String>,
    pub answered_by: Option<i64>,
    pub answered_at: Option<DateTimeUtc>,
    /// The finance bureau's voucher number (凭证号), when it gave one.
    pub voucher: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
