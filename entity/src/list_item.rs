use sea_orm::entity::prelude::*;

/// An item of one of the three lists, in one year's version.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "list_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub county_id: i64,
    pub version_id: i64,
    /// duty | assist | negative
    pub kind: String,
    pub code: String,
    pub title: String,
    pub description: String,
    pub basis: String,
    pub department: String,
    pub category: String,
    /// JSON array of strings.
    pub keywords: String,
    pub needs_professional_qualification: bool,
    pub needs_enforcement_authority: bool,
    pub negative_reason: String,
    /// active | cancelled
    pub status: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Inherited from the baseline negative list published above the county: it cannot be
    /// cancelled or weakened here, only added to.
    pub baseline: bool,
    /// An assist item's funding standard: the amount (fen) per `funding_unit`
    /// (month | task). Set apart from the item's fields, so an import leaves it alone.
    pub funding_fen: Option<i64>,
    pub funding_unit: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
