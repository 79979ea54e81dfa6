//! The docs cannot go stale silently: every file docs/MATH.md and docs/ARCHITECTURE.md name
//! exists, every source file that cites docs/MATH.md is in its "Code that cites this file"
//! table (and every file there exists), and no section is left a placeholder.

mod common;

use std::path::{Path, PathBuf};

use common::rust_files;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_path_buf()
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The code-formatted file names in `text`: `…` spans ending in a source or doc extension.
fn cited_files(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter(|s| !s.contains(' ') && !s.contains('*'))
        .filter(|s| [".rs", ".md", ".py", ".json", ".toml"].iter().any(|e| s.ends_with(e)))
        .map(str::to_string)
        .collect()
}

/// Where the docs' relative file names are taken from (the core's modules are named from its
/// `src/`, its tests from the crate).
const BASES: [&str; 8] = [
    ".",
    "crates/ntk-core/src",
    "crates/ntk-core",
    "crates/ntk-cli/src",
    "crates/ntk-cli",
    "src",
    "docs",
    "tools/references",
];

fn exists(file: &str) -> bool {
    BASES.iter().any(|b| root().join(b).join(file).exists())
}

#[test]
fn every_file_the_docs_name_exists() {
    for doc in ["docs/MATH.md", "docs/ARCHITECTURE.md"] {
        let missing: Vec<String> = cited_files(&read(doc)).into_iter().filter(|f| !exists(f)).collect();
        assert!(missing.is_empty(), "{doc} names files that do not exist: {missing:?}");
    }
}

/// The files listed in docs/MATH.md's "Code that cites this file" table.
fn citing_table(math: &str) -> Vec<String> {
    let section = math.split("## Code that cites this file").nth(1).expect("the table's section");
    section
        .lines()
        .filter(|l| l.starts_with("| `"))
        .flat_map(|l| cited_files(l.split(" | ").next().unwrap_or("")))
        .collect()
}

#[test]
fn the_code_that_cites_math_md_is_its_table() {
    let math = read("docs/MATH.md");
    let table = citing_table(&math);
    assert!(table.len() >= 10, "the table was not found: {table:?}");
    let missing: Vec<&String> = table.iter().filter(|f| !root().join(f).is_file()).collect();
    assert!(missing.is_empty(), "docs/MATH.md's table lists files that do not exist: {missing:?}");
    let mut sources = Vec::new();
    for dir in ["src", "crates/ntk-core/src", "crates/ntk-core/tests", "crates/ntk-cli/src"] {
        rust_files(&root().join(dir), &mut sources);
    }
    let unlisted: Vec<String> = sources
        .iter()
        .filter(|p| std::fs::read_to_string(p).is_ok_and(|t| t.contains("docs/MATH.md")))
        .map(|p| p.strip_prefix(root()).expect("under the root").to_string_lossy().into_owned())
        .filter(|f| !table.contains(f))
        .collect();
    assert!(unlisted.is_empty(), "cite docs/MATH.md but are not in its table: {unlisted:?}");
}

#[test]
fn no_section_of_math_md_is_a_placeholder() {
    let math = read("docs/MATH.md");
    assert!(!math.to_lowercase().contains("placeholder"), "docs/MATH.md has a placeholder section");
}
