//! What every capability stands on: configuration, database, errors, authentication.
pub mod audit;
pub mod auth;
pub mod clock;
pub mod config;
pub mod cpu;
pub mod db;
pub mod error;
pub mod extract;
pub mod input;
pub mod memory;
pub mod page;
pub mod telemetry;
