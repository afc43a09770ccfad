//! HTTP handlers, one module per API family.

pub mod admin;
pub mod audit;
pub mod edits;
pub mod features;
pub mod import;
pub mod incident;
pub mod ingest;
pub mod live;
pub mod ops;
pub mod query;
pub mod search;
pub mod session;
pub mod stats;
pub mod style;
pub mod summary;
pub mod tiles;
