//! SeaORM entities, one file per table. Every row carries its county (the tenant key).
pub mod admission;
pub mod admission_event;
pub mod admission_target;
pub mod contract;
pub mod contract_clause;
pub mod contract_milestone;
pub mod contract_version;
pub mod county;
pub mod list_change;
pub mod list_item;
pub mod list_version;
pub mod notice;
pub mod organisation;
pub mod session;
pub mod user;
pub mod violation_report;
