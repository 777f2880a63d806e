use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "counties")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    /// Days an emergency entry (先进后批) has to be approved.
    pub emergency_approval_days: i32,
    /// The county's registered OCDS prefix (`ocds-` and six characters); none: the default.
    pub ocid_prefix: Option<String>,
    /// The city or province above, if any (a jurisdiction of the same table).
    pub parent_id: Option<i64>,
    /// province | city | county
    pub level: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
