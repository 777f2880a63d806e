//! Integration tests: the real server over HTTP, on SQLite and (with DATABASE_URL) on
//! PostgreSQL. One binary, one module per capability.
mod admission;
mod assist;
mod audit;
mod auth;
mod bench;
mod authz;
mod contracts;
mod crash;
mod evaluation;
mod funds;
mod helpers;
mod inbox;
mod indexes;
mod input;
mod lifecycle;
mod lifecycle_model;
mod lists;
mod ocds;
mod orgs;
mod pages;
mod paging;
mod procedure;
mod registers;
mod reports;
mod screening;
mod tasks;
