//! Integration tests: the real server over HTTP, on SQLite and (with DATABASE_URL) on
//! PostgreSQL. One binary, one module per capability.
mod admission;
mod auth;
mod contracts;
mod evaluation;
mod funds;
mod helpers;
mod lifecycle;
mod lifecycle_model;
mod lists;
mod orgs;
mod pages;
mod screening;
