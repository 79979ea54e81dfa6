//! UI components, one per file.

pub mod header;
