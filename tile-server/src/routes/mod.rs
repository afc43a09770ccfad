//! HTTP handlers, one module per API family.

pub mod features;
pub mod ops;
pub mod query;
pub mod style;
pub mod tiles;
