//! SeaORM entities, one file per table. Every row carries its county (the tenant key).
pub mod county;
pub mod organisation;
pub mod session;
pub mod user;
