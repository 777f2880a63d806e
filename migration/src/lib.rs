//! Schema migrations. One file per change; a migration is never edited once it has landed.
pub use sea_orm_migration::prelude::*;

mod columns;

mod m20261124_000001_platform;
mod m20261124_000002_lists;
mod m20261124_000003_admission;
mod m20261124_000004_contracts;
mod m20261124_000005_funds;
mod m20261124_000006_evaluation;
mod m20261125_000007_lifecycle;
mod m20261125_000008_screening;
mod m20261125_000009_trust;
mod m20261125_000010_scale;
mod m20261130_000011_open_data;
mod m20261130_000012_procedure;
mod m20261130_000013_region;
mod m20261203_000014_assist_budget;
mod m20261206_000015_payment_answer;
mod m20261206_000016_payment_voucher;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_platform::Migration),
            Box::new(m20261124_000002_lists::Migration),
            Box::new(m20261124_000003_admission::Migration),
            Box::new(m20261124_000004_contracts::Migration),
            Box::new(m20261124_000005_funds::Migration),
            Box::new(m20261124_000006_evaluation::Migration),
            Box::new(m20261125_000007_lifecycle::Migration),
            Box::new(m20261125_000008_screening::Migration),
            Box::new(m20261125_000009_trust::Migration),
            Box::new(m20261125_000010_scale::Migration),
            Box::new(m20261130_000011_open_data::Migration),
            Box::new(m20261130_000012_procedure::Migration),
            Box::new(m20261130_000013_region::Migration),
            Box::new(m20261203_000014_assist_budget::Migration),
            Box::new(m20261206_000015_payment_answer::Migration),
            Box::new(m20261206_000016_payment_voucher::Migration),
        ]
    }
}
