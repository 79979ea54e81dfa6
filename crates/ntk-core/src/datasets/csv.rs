//! Tables of numbers from CSV text: the data a user brings (pasted or uploaded in the explorer,
//! or given to the `ntk` command as a file).
//!
//! The accepted format, decided once for the page and the CLI:
//!
//! - one point per line; lines end in `\n`, `\r\n` or a lone `\r`; a leading byte-order mark
//!   (U+FEFF) is skipped;
//! - blank lines and lines whose first non-blank character is `#` are ignored (comments are
//!   whole lines only: `1,2 # note` is an error);
//! - separator: taken from the first line that is not blank or a comment — `;` if it has one,
//!   else a tab if it has one, else `,` if it has one, else runs of spaces (numpy's `savetxt`
//!   default); decimal commas (`1,5`) are **not** numbers, use a point;
//! - an optional header: the first line is a header when **none** of its fields is a number
//!   (`x,y`, `"x₁";"x₂";"y"`); a first line with some numeric and some non-numeric fields is an
//!   error at its first non-numeric field, since it is more likely a typo in the data;
//! - fields are trimmed of Unicode white space (so a non-breaking space is fine) and of one pair
//!   of surrounding double quotes;
//! - numbers are Rust's `f64` syntax (`-1.5`, `+2`, `.5`, `3e-4`), with the Unicode minus sign
//!   `−` (U+2212, what typeset text and the explorer itself show) accepted wherever `-` is;
//! - missing values — an empty field, `NA`, `N/A`, `NaN`, `null`, `None`, `?` — are errors
//!   ([`CsvError::Missing`]), as are infinities and numbers beyond the f64 range
//!   ([`CsvError::NotFinite`]);
//! - every data line has as many fields as the first one;
//! - limits: [`CsvLimits::DEFAULT`] — [`MAX_CSV_BYTES`], [`MAX_CSV_ROWS`], [`MAX_CSV_COLUMNS`].
//!
//! Every error names the line (1-based, counting every line of the text, blank and comment
//! lines included) and, for a field, the column (1-based field number) and the field's text.

use serde::{Deserialize, Serialize};

/// Largest accepted text (bytes, UTF-8): 32 MiB, e.g. 100,000 points of 2 inputs at full f64
/// precision is about 6 MB.
pub const MAX_CSV_BYTES: usize = 32 << 20;
/// Largest accepted number of data lines (points).
pub const MAX_CSV_ROWS: usize = 100_000;
/// Largest accepted number of columns (a 32 × 32 × 3 image and its target fit).
pub const MAX_CSV_COLUMNS: usize = 4096;

/// Size limits of a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CsvLimits {
    /// largest text in bytes
    pub max_bytes: usize,
    /// most data lines
    pub max_rows: usize,
    /// most columns
    pub max_columns: usize,
}

impl CsvLimits {
    /// [`MAX_CSV_BYTES`], [`MAX_CSV_ROWS`], [`MAX_CSV_COLUMNS`].
    pub const DEFAULT: CsvLimits =
        CsvLimits { max_bytes: MAX_CSV_BYTES, max_rows: MAX_CSV_ROWS, max_columns: MAX_CSV_COLUMNS };
}

impl Default for CsvLimits {
    fn default() -> Self {
        CsvLimits::DEFAULT
    }
}

/// The field separator of a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Separator {
    /// `,`
    Comma,
    /// `;`
    Semicolon,
    /// a tab
    Tab,
    /// one or more spaces
    Spaces,
}

impl Separator {
    /// The separator of a first line: `;`, else tab, else `,`, else spaces.
    fn detect(line: &str) -> Separator {
        if line.contains(';') {
            Separator::Semicolon
        } else if line.contains('\t') {
            Separator::Tab
        } else if line.contains(',') {
            Separator::Comma
        } else {
            Separator::Spaces
        }
    }

    /// The fields of a line.
    fn split(self, line: &str) -> Vec<&str> {
        match self {
            Separator::Comma => line.split(',').collect(),
            Separator::Semicolon => line.split(';').collect(),
            Separator::Tab => line.split('\t').collect(),
            Separator::Spaces => line.split(' ').filter(|f| !f.is_empty()).collect(),
        }
    }
}

/// A table that could not be read, with the line (1-based) and column (1-based field number)
/// where that applies.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CsvError {
    /// The text is larger than the limit.
    #[error("the data is {bytes} bytes, more than the limit of {max} bytes")]
    TooLarge {
        /// its size
        bytes: usize,
        /// the limit
        max: usize,
    },
    /// Bytes that are not UTF-8 text.
    #[error("line {line}, byte {byte}: not UTF-8 text (save the file as UTF-8)")]
    NotUtf8 {
        /// line of the first invalid byte
        line: usize,
        /// its 1-based byte offset within the line
        byte: usize,
    },
    /// More data lines than the limit.
    #[error("line {line}: more than {max} points (the limit)")]
    TooManyRows {
        /// the first line over the limit
        line: usize,
        /// the limit
        max: usize,
    },
    /// More columns than the limit.
    #[error("line {line}: {found} columns, more than the limit of {max}")]
    TooManyColumns {
        /// the line
        line: usize,
        /// its number of fields
        found: usize,
        /// the limit
        max: usize,
    },
    /// A field that is not a number.
    #[error("line {line}, column {column}: '{field}' is not a finite number{hint}")]
    NotANumber {
        /// the line
        line: usize,
        /// the field number
        column: usize,
        /// the field's text (trimmed)
        field: String,
        /// how to fix a likely cause, or empty
        hint: &'static str,
    },
    /// An empty field or a missing-value marker.
    #[error("line {line}, column {column}: missing value{}", if .field.is_empty() { " (empty field)".to_string() } else { format!(" '{}'", .field) })]
    Missing {
        /// the line
        line: usize,
        /// the field number
        column: usize,
        /// the marker (empty for an empty field)
        field: String,
    },
    /// An infinity, or a number beyond the f64 range.
    #[error("line {line}, column {column}: '{field}' is not a finite number (beyond ±1.8e308)")]
    NotFinite {
        /// the line
        line: usize,
        /// the field number
        column: usize,
        /// the field's text
        field: String,
    },
    /// A line with a different number of fields than the first.
    #[error("line {line}: ragged rows: {found} columns, but the first line has {expected}")]
    Ragged {
        /// the line
        line: usize,
        /// fields of the first line
        expected: usize,
        /// fields of this line
        found: usize,
    },
    /// A header line with a different number of fields than the data.
    #[error("line {line}: the header has {header} columns, but the data has {data}")]
    HeaderColumns {
        /// the header's line
        line: usize,
        /// its fields
        header: usize,
        /// fields of the data lines
        data: usize,
    },
    /// No data lines.
    #[error("no points (the data is empty, or only a header and comments)")]
    Empty,
    /// A table with a number of columns its use does not accept.
    #[error("{found} columns, but {expected}")]
    Columns {
        /// columns of the table
        found: usize,
        /// what was expected
        expected: &'static str,
    },
}

/// A table of finite numbers: the optional header and the rows, every row the same length.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Table {
    /// the header's names, if the first line was a header
    pub header: Option<Vec<String>>,
    /// the data lines, each with [`Table::columns`] numbers
    pub rows: Vec<Vec<f64>>,
    /// the separator found
    pub separator: Separator,
}

impl Table {
    /// Number of columns.
    pub fn columns(&self) -> usize {
        self.rows.first().map_or(0, Vec::len)
    }
}

/// Regression data read from a table: inputs (all columns but the last) and targets (the last).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Points {
    /// input points, one per row, each of the table's columns − 1 coordinates
    pub x: Vec<Vec<f64>>,
    /// targets y (the last column)
    pub y: Vec<f64>,
    /// the header's names, if any (inputs then target)
    pub header: Option<Vec<String>>,
}

impl Points {
    /// Input dimension d.
    pub fn dim(&self) -> usize {
        self.x.first().map_or(0, Vec::len)
    }

    /// The points as CSV text that [`parse_table`] reads back to the same bits: the header (if
    /// any; separators, quotes, `#` and line breaks in names replaced by `_`, and `_` put before
    /// a name that reads as a number or a missing value), then one line `x₁,…,x_d,y` per
    /// point, every number in its shortest round-trip form (what the page stores in a link or
    /// in its storage).
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        if let Some(names) = &self.header {
            let clean: Vec<String> = names
                .iter()
                .map(|n| {
                    let n = n.trim().replace([',', ';', '\t', '"', '#', '\n', '\r'], "_");
                    // A name that reads as a number or a missing value would not be a header.
                    if matches!(classify(&n), Field::Text) {
                        n
                    } else {
                        format!("_{n}")
                    }
                })
                .collect();
            out.push_str(&clean.join(","));
            out.push('\n');
        }
        for (x, y) in self.x.iter().zip(&self.y) {
            for v in x {
                out.push_str(&format!("{v},"));
            }
            out.push_str(&format!("{y}\n"));
        }
        out
    }
}

/// The lines of a text with their 1-based numbers, split at `\r\n`, `\n` or a lone `\r`.
fn numbered_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let s = rest?;
        match s.find(['\n', '\r']) {
            Some(i) => {
                let next = if s[i..].starts_with("\r\n") { i + 2 } else { i + 1 };
                rest = Some(&s[next..]);
                Some(&s[..i])
            }
            None => {
                rest = None;
                (!s.is_empty()).then_some(s)
            }
        }
    })
    .enumerate()
    .map(|(i, l)| (i + 1, l))
}

/// A field trimmed of white space and one pair of surrounding double quotes.
fn clean(field: &str) -> &str {
    let f = field.trim();
    f.strip_prefix('"').and_then(|g| g.strip_suffix('"')).map_or(f, str::trim)
}

/// Whether a cleaned field is a missing-value marker (or empty).
fn is_missing_marker(f: &str) -> bool {
    f.is_empty() || ["na", "n/a", "nan", "null", "none", "?"].iter().any(|m| f.eq_ignore_ascii_case(m))
}

/// What a cleaned field holds.
enum Field {
    Number(f64),
    Missing,
    Infinite,
    Text,
}

/// Parses a cleaned field as an f64, `−` (U+2212) read as `-`.
fn classify(f: &str) -> Field {
    if is_missing_marker(f) {
        return Field::Missing;
    }
    let parsed = if f.contains('\u{2212}') { f.replace('\u{2212}', "-").parse::<f64>() } else { f.parse() };
    match parsed {
        Ok(v) if v.is_finite() => Field::Number(v),
        Ok(v) if v.is_nan() => Field::Missing,
        Ok(_) => Field::Infinite,
        Err(_) => Field::Text,
    }
}

/// The error for a field that is not a finite number.
fn field_error(line: usize, column: usize, field: &str) -> CsvError {
    match classify(field) {
        Field::Missing => CsvError::Missing { line, column, field: field.to_string() },
        Field::Infinite => CsvError::NotFinite { line, column, field: field.to_string() },
        Field::Number(_) | Field::Text => {
            let hint = if field.contains(',') && field.replace(',', ".").parse::<f64>().is_ok() {
                " (decimal commas are not accepted: write 1.5, not 1,5)"
            } else if field.contains('#') {
                " (comments must be on lines of their own)"
            } else {
                ""
            };
            CsvError::NotANumber { line, column, field: field.to_string(), hint }
        }
    }
}

/// Reads a table from bytes (a file): checks the size limit and that the bytes are UTF-8,
/// then [`parse_table`].
///
/// # Errors
/// [`CsvError::TooLarge`], [`CsvError::NotUtf8`] naming the line and byte, or as
/// [`parse_table`].
pub fn parse_table_bytes(bytes: &[u8], limits: &CsvLimits) -> Result<Table, CsvError> {
    if bytes.len() > limits.max_bytes {
        return Err(CsvError::TooLarge { bytes: bytes.len(), max: limits.max_bytes });
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => parse_table(text, limits),
        Err(e) => {
            let good = &bytes[..e.valid_up_to()];
            let line = 1 + good.iter().filter(|&&b| b == b'\n').count();
            let start = good.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
            Err(CsvError::NotUtf8 { line, byte: good.len() - start + 1 })
        }
    }
}

/// Reads a table of finite numbers from CSV text (the format of the module documentation).
///
/// # Errors
/// [`CsvError`] naming the line and column of the first problem: too large, too many rows or
/// columns, a field that is not a finite number or is missing, ragged rows, a header of the
/// wrong width, no data.
pub fn parse_table(text: &str, limits: &CsvLimits) -> Result<Table, CsvError> {
    if text.len() > limits.max_bytes {
        return Err(CsvError::TooLarge { bytes: text.len(), max: limits.max_bytes });
    }
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut separator = None;
    let mut header: Option<(usize, Vec<String>)> = None;
    let mut rows: Vec<Vec<f64>> = Vec::new();
    for (line, raw) in numbered_lines(text) {
        if raw.trim().is_empty() || raw.trim_start().starts_with('#') {
            continue;
        }
        // Tabs are kept at the ends: a leading or trailing tab is an empty (missing) field.
        let content = raw.trim_matches(|c: char| c.is_whitespace() && c != '\t');
        let first = separator.is_none();
        let sep = *separator.get_or_insert_with(|| Separator::detect(content));
        let fields: Vec<&str> = sep.split(content).into_iter().map(clean).collect();
        if fields.len() > limits.max_columns {
            return Err(CsvError::TooManyColumns { line, found: fields.len(), max: limits.max_columns });
        }
        let values: Vec<Field> = fields.iter().map(|f| classify(f)).collect();
        if first && values.iter().all(|v| matches!(v, Field::Text)) {
            header = Some((line, fields.iter().map(|f| f.to_string()).collect()));
            continue;
        }
        let mut row = Vec::with_capacity(fields.len());
        for (i, (v, f)) in values.into_iter().zip(&fields).enumerate() {
            match v {
                Field::Number(x) => row.push(x),
                _ => return Err(field_error(line, i + 1, f)),
            }
        }
        if let Some(expected) = rows.first().map(Vec::len) {
            if row.len() != expected {
                return Err(CsvError::Ragged { line, expected, found: row.len() });
            }
        } else if let Some((hl, names)) = &header {
            if names.len() != row.len() {
                return Err(CsvError::HeaderColumns { line: *hl, header: names.len(), data: row.len() });
            }
        }
        if rows.len() == limits.max_rows {
            return Err(CsvError::TooManyRows { line, max: limits.max_rows });
        }
        rows.push(row);
    }
    if rows.is_empty() {
        return Err(CsvError::Empty);
    }
    Ok(Table {
        header: header.map(|(_, names)| names),
        rows,
        separator: separator.unwrap_or(Separator::Comma),
    })
}

/// Splits a table into inputs (every column but the last) and targets (the last column).
///
/// # Errors
/// [`CsvError::Columns`] for a table of one column.
pub fn split_targets(table: Table) -> Result<Points, CsvError> {
    if table.columns() < 2 {
        return Err(CsvError::Columns {
            found: table.columns(),
            expected: "regression data needs at least 2 (inputs, then the target y)",
        });
    }
    let (x, y) = table
        .rows
        .into_iter()
        .map(|mut r| {
            let y = r.pop().unwrap_or_default();
            (r, y)
        })
        .unzip();
    Ok(Points { x, y, header: table.header })
}

/// The explorer's data: a 1-D (`x,y`) or 2-D (`x₁,x₂,y`) table, header optional.
///
/// # Errors
/// As [`parse_table`], and [`CsvError::Columns`] for a table of other than 2 or 3 columns.
pub fn parse_points_1d_2d(text: &str, limits: &CsvLimits) -> Result<Points, CsvError> {
    let table = parse_table(text, limits)?;
    if !(2..=3).contains(&table.columns()) {
        return Err(CsvError::Columns {
            found: table.columns(),
            expected: "the explorer takes 2 (x, y) or 3 (x₁, x₂, y)",
        });
    }
    split_targets(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> Result<Table, CsvError> {
        parse_table(text, &CsvLimits::DEFAULT)
    }

    #[test]
    fn lines_split_at_every_line_ending() {
        let lines: Vec<_> = numbered_lines("a\r\nb\rc\n\nd").collect();
        assert_eq!(lines, vec![(1, "a"), (2, "b"), (3, "c"), (4, ""), (5, "d")]);
        assert_eq!(numbered_lines("a\n").count(), 1);
        assert_eq!(numbered_lines("").count(), 0);
    }

    #[test]
    fn separators_are_detected_from_the_first_line() {
        assert_eq!(table("1,2\n").unwrap().separator, Separator::Comma);
        assert_eq!(table("1;2\n").unwrap().separator, Separator::Semicolon);
        assert_eq!(table("1\t2\n").unwrap().separator, Separator::Tab);
        assert_eq!(table("1   2\n").unwrap().rows, vec![vec![1.0, 2.0]]);
        assert_eq!(table("1\n2\n").unwrap().rows, vec![vec![1.0], vec![2.0]]);
    }
}
