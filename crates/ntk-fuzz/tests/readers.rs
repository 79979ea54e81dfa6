//! The core's readers under the seeded corpus (`ntk_fuzz`): every damaged result file through
//! `read_result` (the reader of `ntk merge` and of the page's "Open results…") and, for parts
//! that read, through `merge_parts`; every damaged CSV table through `parse_table` and the
//! explorer's `parse_points_1d_2d`. Each case is refused with a message or read whole — never
//! a panic, never a silent partial read. `NTK_FUZZ_CASES=N` (per valid file, default 150) and
//! `NTK_FUZZ_SEED=S` run a longer or another corpus.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use ntk_core::datasets::csv::{parse_points_1d_2d, parse_table, CsvLimits};
use ntk_core::results::{merge_parts, read_result, ResultFile};
use ntk_fuzz::damage::corpus;
use ntk_fuzz::files::{csv_tables, result_files};
use ntk_fuzz::tables::table_corpus;
use ntk_fuzz::verdict::{holds, judge, judge_table, ReadTable};
use ntk_fuzz::{cases_from_env, DEFAULT_CASES};
use serde_json::Value;

fn as_json(file: &ResultFile) -> Value {
    match file {
        ResultFile::Ensemble(r) => serde_json::to_value(r),
        ResultFile::EnsemblePartial(p) => serde_json::to_value(p),
        ResultFile::Widths(r) => serde_json::to_value(r),
        ResultFile::WidthsPartial(p) => serde_json::to_value(p),
        ResultFile::Single(r) => serde_json::to_value(r),
    }
    .expect("a file read serializes")
}

/// A part read alone and merged: the report it makes (all members of the job in one part)
/// passes its own check; a part of some members is refused as incomplete.
fn merged_alone(file: &ResultFile) -> Result<(), String> {
    if !matches!(file, ResultFile::EnsemblePartial(_) | ResultFile::WidthsPartial(_)) {
        return Ok(());
    }
    match merge_parts(vec![file.clone()], &[]) {
        Err(e) if e.to_string().is_empty() => Err("merge refused without a message".into()),
        Err(_) => Ok(()),
        Ok(merged) => {
            merged.check().map_err(|e| format!("the merged report fails its own check: {e}"))?;
            let text = serde_json::to_string(&as_json(&merged)).expect("JSON");
            read_result(&text).map(|_| ()).map_err(|e| format!("the merged report does not read: {e}"))
        }
    }
}

#[test]
fn damaged_result_files_are_refused_or_read_whole() {
    let (cases, seed) = cases_from_env();
    let start = Instant::now();
    let files = result_files();
    for f in &files {
        let text = serde_json::to_string(&f.json).unwrap();
        let read = read_result(&text).unwrap_or_else(|e| panic!("the valid {} is refused: {e}", f.name));
        holds(&as_json(&read), &f.json, "")
            .unwrap_or_else(|p| panic!("the valid {} reads back changed: {p}", f.name));
    }
    assert!(files.iter().any(|f| f.json["diverged"].is_object()), "the single run that diverges does");
    assert!(files.iter().any(|f| f.json["diverged"].as_u64().is_some_and(|d| d > 0)), "some members diverge");
    let built = start.elapsed();
    let corpus = corpus(&files, cases, seed);
    let (mut refused, mut read, mut failures) = (0, 0, Vec::new());
    for case in &corpus {
        let outcome = catch_unwind(AssertUnwindSafe(|| read_result(&case.text)));
        let Ok(outcome) = outcome else {
            failures.push(format!("{}: the reader panicked", case.describe()));
            continue;
        };
        if let Ok(file) = &outcome {
            read += 1;
            match catch_unwind(AssertUnwindSafe(|| merged_alone(file))) {
                Ok(Ok(())) => {}
                Ok(Err(e)) => failures.push(format!("{}: {e}", case.describe())),
                Err(_) => failures.push(format!("{}: the merge panicked", case.describe())),
            }
        } else {
            refused += 1;
        }
        let outcome = outcome.map(|f| as_json(&f)).map_err(|e| e.to_string());
        if let Err(e) = judge(case, &outcome) {
            failures.push(e);
        }
    }
    println!(
        "{} damaged result files (seed {seed}, {cases} per file): {refused} refused, {read} read whole; \
         valid files built in {:.2} s, all read in {:.2} s",
        corpus.len(),
        built.as_secs_f64(),
        start.elapsed().as_secs_f64()
    );
    assert!(
        failures.is_empty(),
        "{} of {} cases failed (NTK_FUZZ_SEED={seed} NTK_FUZZ_CASES={cases}):\n{}",
        failures.len(),
        corpus.len(),
        failures.iter().take(20).cloned().collect::<Vec<_>>().join("\n")
    );
    // The corpus reaches both outcomes, and refuses most damage.
    assert!(
        refused > corpus.len() / 2 && (cases < DEFAULT_CASES || read > 0),
        "{refused} refused, {read} read"
    );
}

#[test]
fn damaged_tables_are_refused_or_read_whole() {
    let (cases, seed) = cases_from_env();
    let corpus = table_corpus(&csv_tables(), cases, seed);
    let mut failures = Vec::new();
    let (mut refused, mut read) = (0, 0);
    for case in &corpus {
        let table = catch_unwind(|| parse_table(&case.text, &CsvLimits::DEFAULT));
        let points = catch_unwind(|| parse_points_1d_2d(&case.text, &CsvLimits::DEFAULT));
        let (Ok(table), Ok(points)) = (table, points) else {
            failures.push(format!("{}: the reader panicked", case.describe()));
            continue;
        };
        if table.is_ok() {
            read += 1;
        } else {
            refused += 1;
        }
        let outcome =
            table.map(|t| ReadTable { header: t.header.is_some(), rows: t.rows }).map_err(|e| e.to_string());
        failures.extend(judge_table(case, &outcome, None).err());
        let p = points.as_ref().ok();
        let outcome = points.as_ref().map(ReadTable::of_points).map_err(|e| e.to_string());
        failures.extend(judge_table(case, &outcome, p).err());
    }
    println!("{} damaged tables (seed {seed}): {refused} refused, {read} read whole", corpus.len());
    assert!(
        failures.is_empty(),
        "{} of {} cases failed (NTK_FUZZ_SEED={seed} NTK_FUZZ_CASES={cases}):\n{}",
        failures.len(),
        corpus.len(),
        failures.iter().take(20).cloned().collect::<Vec<_>>().join("\n")
    );
    assert!(refused > 0 && read > 0, "{refused} refused, {read} read");
}
