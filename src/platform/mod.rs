//! What every capability stands on: configuration, database, errors, authentication.
pub mod auth;
pub mod config;
pub mod db;
pub mod error;
pub mod extract;
pub mod telemetry;
