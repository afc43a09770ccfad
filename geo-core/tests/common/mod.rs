//! Shared test support: a seeded fixture dataset and checks that take any `&Dataset`, so
//! that they can run on the real demo data too.
#![allow(dead_code, clippy::unwrap_used, clippy::missing_panics_doc)]

pub mod checks;
pub mod fixture;
pub mod python;
