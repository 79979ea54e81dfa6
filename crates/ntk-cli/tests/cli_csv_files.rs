//! The `ntk` command reads the same CSV files as the explorer's data table (the fixtures in
//! `tests/data/csv/`, which the page's table tests read too): a 2-D file with a byte-order
//! mark, a quoted Unicode header, `;` separators, CRLF line ends, a comment line, Unicode minus
//! signs and no-break spaces; a 1-D file as numpy's `savetxt` writes it; and files with a
//! missing value or a decimal comma, refused with their line and column.

use std::path::PathBuf;
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/csv").join(name)
}

fn ensemble(train: &PathBuf, test: &PathBuf) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ntk"))
        .args([
            "ensemble",
            "--act",
            "erf",
            "--depth",
            "1",
            "--sw2",
            "1.5",
            "--sb2",
            "0.1",
            "--lr",
            "0.1",
            "--width",
            "8",
            "--members",
            "1",
            "--steps",
            "2",
            "--checkpoints",
            "2",
        ])
        .arg("--train")
        .arg(train)
        .arg("--test")
        .arg(test)
        .output()
        .unwrap()
}

fn temp_test_points(tag: &str, text: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("ntk-cli-csv-{tag}-{}.csv", std::process::id()));
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn the_pages_tables_are_read_by_the_command() {
    let test_1d = temp_test_points("1d", "-1\n0\n1\n");
    let test_2d = temp_test_points("2d", "0,0\n1,-1\n");
    for (file, test, n) in [("unicode_2d.csv", &test_2d, 3), ("savetxt_1d.csv", &test_1d, 4)] {
        let out = ensemble(&fixture(file), test);
        assert!(out.status.success(), "{file}: {}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["spec"]["x_train"].as_array().unwrap().len(), n, "{file}");
        if file == "unicode_2d.csv" {
            // −1.5 with a Unicode minus, a no-break space before 0.25, +2.
            assert_eq!(v["spec"]["x_train"][0], serde_json::json!([-1.5, 0.25]));
            assert_eq!(v["spec"]["y_train"], serde_json::json!([0.75, -0.1, 2.0]));
        }
    }
}

#[test]
fn bad_tables_are_refused_with_their_line_and_column() {
    let test_1d = temp_test_points("bad", "0\n");
    for (file, place) in
        [("missing_value.csv", "line 3, column 2"), ("decimal_comma.csv", "line 2, column 1")]
    {
        let out = ensemble(&fixture(file), &test_1d);
        assert_eq!(out.status.code(), Some(2), "{file}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(place), "{file}: {err}");
    }
}
