//! UI components, one per file.

pub mod arch;
pub mod controls;
pub mod data_input;
pub mod embed;
pub mod explain;
pub mod field;
pub mod figure_export;
pub mod header;
pub mod notes;
pub mod open_results;
