//! The property a reader must have on every case of the corpus: the damaged file is refused
//! with a message, or — only where the damage may leave it consistent — read back holding
//! everything the file holds, unchanged (nothing dropped, cut or altered: no silent partial
//! read). A panic fails the case where it happens.

use ntk_core::datasets::csv::{parse_table, CsvLimits, Points};
use serde_json::Value;

use crate::damage::Case;
use crate::tables::TableCase;

/// Whether `read` holds everything `given` holds, unchanged: every key of an object (a key the
/// reader adds, a default, is allowed), arrays of the same length entry by entry, numbers equal
/// as f64 (`−0` = `0`, `5` = `5.0`), a `null` in `given` for a key `read` leaves out.
///
/// # Errors
/// The path of the first difference.
pub fn holds(read: &Value, given: &Value, path: &str) -> Result<(), String> {
    match (read, given) {
        (Value::Object(r), Value::Object(g)) => {
            for (k, gv) in g {
                let p = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                match r.get(k) {
                    Some(rv) => holds(rv, gv, &p)?,
                    None if gv.is_null() => {}
                    None => return Err(format!("{p} (dropped)")),
                }
            }
            Ok(())
        }
        (Value::Array(r), Value::Array(g)) => {
            if r.len() != g.len() {
                return Err(format!("{path} ({} entries read of {})", r.len(), g.len()));
            }
            r.iter().zip(g).enumerate().try_for_each(|(i, (rv, gv))| holds(rv, gv, &format!("{path}[{i}]")))
        }
        (Value::Number(r), Value::Number(g)) if r.as_f64() == g.as_f64() => Ok(()),
        (r, g) if r == g => Ok(()),
        (r, g) => Err(format!("{path} (read {r}, the file has {g})")),
    }
}

/// The verdict on one case of the JSON corpus: `outcome` is what the reader made of the
/// damaged text — the file it read, as JSON, or its message.
///
/// # Errors
/// What is wrong: refused without a message, read though it must be refused, or read with
/// something of the file dropped or changed.
pub fn judge(case: &Case, outcome: &Result<Value, String>) -> Result<(), String> {
    match outcome {
        Err(m) if m.trim().is_empty() => Err(format!("{}: refused without a message", case.describe())),
        Err(_) => Ok(()),
        Ok(_) if case.must_refuse => {
            Err(format!("{}: read without a word (it must be refused)", case.describe()))
        }
        Ok(read) => {
            let given: Value = serde_json::from_str(&case.text)
                .map_err(|e| format!("{}: read, though the text is not JSON ({e})", case.describe()))?;
            holds(read, &given, "")
                .map_err(|p| format!("{}: read, but not as the file holds it: {p}", case.describe()))
        }
    }
}

/// What a table reader returned: whether it took the first line as a header, and the rows.
#[derive(Clone, Debug, PartialEq)]
pub struct ReadTable {
    /// whether the first line was a header
    pub header: bool,
    /// the rows, each with every column
    pub rows: Vec<Vec<f64>>,
}

impl ReadTable {
    /// Points (inputs, then the target in the last column) as a table.
    pub fn of_points(p: &Points) -> ReadTable {
        let rows = p.x.iter().zip(&p.y).map(|(x, &y)| x.iter().copied().chain([y]).collect()).collect();
        ReadTable { header: p.header.is_some(), rows }
    }
}

/// The verdict on one case of the table corpus: refused with a message, or read holding one
/// row per data line of the text (counted independently: [`TableCase::content_lines`]), every
/// number finite, rows of one length, and written back by [`Points::to_csv`] (when `points` is
/// given) read again to the same rows.
///
/// # Errors
/// What is wrong.
pub fn judge_table(
    case: &TableCase,
    outcome: &Result<ReadTable, String>,
    points: Option<&Points>,
) -> Result<(), String> {
    let t = match outcome {
        Err(m) if m.trim().is_empty() => {
            return Err(format!("{}: refused without a message", case.describe()))
        }
        Err(_) => return Ok(()),
        Ok(_) if case.must_refuse => {
            return Err(format!("{}: read without a word (it must be refused)", case.describe()))
        }
        Ok(t) => t,
    };
    let lines = case.content_lines();
    if t.rows.len() + usize::from(t.header) != lines {
        return Err(format!(
            "{}: read {} rows{}, but the text has {lines} lines of content (a silent partial read)",
            case.describe(),
            t.rows.len(),
            if t.header { " and a header" } else { "" }
        ));
    }
    if let Some(v) = t.rows.iter().flatten().find(|v| !v.is_finite()) {
        return Err(format!("{}: read the number {v}", case.describe()));
    }
    if t.rows.windows(2).any(|w| w[0].len() != w[1].len()) {
        return Err(format!("{}: read rows of different lengths", case.describe()));
    }
    if let Some(p) = points {
        let again = parse_table(&p.to_csv(), &CsvLimits::DEFAULT)
            .map_err(|e| format!("{}: its points written back do not read again ({e})", case.describe()))?;
        let bits = |rows: &[Vec<f64>]| {
            rows.iter().map(|r| r.iter().map(|v| v.to_bits()).collect::<Vec<_>>()).collect::<Vec<_>>()
        };
        if bits(&again.rows) != bits(&t.rows) {
            return Err(format!("{}: its points written back read again differently", case.describe()));
        }
    }
    Ok(())
}
