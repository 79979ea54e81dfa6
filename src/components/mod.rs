//! UI components, one per file.

pub mod arch;
pub mod controls;
pub mod explain;
pub mod field;
pub mod header;
pub mod notes;
