//! UI components, one per file.

pub mod controls;
pub mod explain;
pub mod header;
