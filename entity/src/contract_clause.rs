use sea_orm::entity::prelude::*;

/// A clause of one contract version, as rendered from the template.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "contract_clauses")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub county_id: i64,
    pub contract_id: i64,
    pub version: i32,
    pub number: i32,
    pub title: String,
    pub text: String,
    pub performance: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
