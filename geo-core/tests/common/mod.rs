//! Shared test support: a seeded fixture dataset and checks that take any `&Dataset`, so
//! that they can run on the real demo data too.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::panic,
    clippy::missing_panics_doc,
    clippy::too_many_lines,
    clippy::many_single_char_names
)]

pub mod checks;
pub mod fixture;
pub mod python;
pub mod tool;
