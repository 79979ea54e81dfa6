//! The user's own data table in the explorer: 1-D (`x,y`) or 2-D (`x₁,x₂,y`) training points
//! read by the core's CSV reader ([`ntk_core::datasets::csv`], the same reader as the `ntk`
//! command's), and, for a run opened from a result file, that run's own test points.
//!
//! A table has one canonical text ([`UserTable::text`]): the training points as
//! [`Points::to_csv`] writes them (every number in its shortest round-trip form, so the text
//! reads back to the same bits), then, for an opened run, a line [`TEST_MARKER`] and one line
//! per test point (`x` or `x₁,x₂`, then its target if the run had test targets). The link
//! carries that text when it has at most [`MAX_LINK_TABLE_CHARS`] characters; a larger table is
//! kept in the page's storage ([`crate::storage`]) under [`UserTable::hash`], which the link
//! carries instead.

use ntk_core::datasets::csv::{
    parse_points_1d_2d, parse_table, CsvError, CsvLimits, Points, MAX_CSV_COLUMNS,
};
use ntk_core::results::fnv1a_128;

use super::notes::Note;

/// Most training points of a table in the page (the NTK-GP and NNGP solve N × N systems on
/// the main thread; the `ntk` command reads up to 100,000).
pub const MAX_TABLE_POINTS: usize = 256;
/// Most test points of an opened run.
pub const MAX_TABLE_TEST_POINTS: usize = 2000;
/// Largest table text the page reads (bytes).
pub const MAX_TABLE_BYTES: usize = 1 << 20;
/// Longest table text a link carries itself (characters); a larger table is stored in the
/// browser and the link carries its hash.
pub const MAX_LINK_TABLE_CHARS: usize = 2000;
/// The line that starts the test points in a table's canonical text.
pub const TEST_MARKER: &str = "# test points";

/// What the page accepts of a table's training points: [`MAX_TABLE_BYTES`],
/// [`MAX_TABLE_POINTS`] rows, and the core's column limit (the 2-or-3-column check then gives
/// the clearer message).
pub const PAGE_CSV_LIMITS: CsvLimits =
    CsvLimits { max_bytes: MAX_TABLE_BYTES, max_rows: MAX_TABLE_POINTS, max_columns: MAX_CSV_COLUMNS };

/// The test points of an opened run.
#[derive(Clone, Debug, PartialEq)]
pub struct TestPoints {
    /// inputs, each of the table's dimension (1-D: in increasing order)
    pub x: Vec<Vec<f64>>,
    /// their targets, if the run had them
    pub y: Option<Vec<f64>>,
}

/// A data table of the explorer (see the module doc). Two tables are equal when their
/// canonical texts are ([`UserTable::hash`]).
#[derive(Clone, Debug)]
pub struct UserTable {
    /// the training points (x of dimension 1 or 2, targets y, header names if any)
    pub train: Points,
    /// an opened run's test points (`None`: the page lays out its own)
    pub test: Option<TestPoints>,
    text: String,
    hash: String,
}

impl PartialEq for UserTable {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash
    }
}

/// Why a table cannot be used, with where the problem is.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum TableError {
    /// The CSV reader's error (line and column).
    #[error("{}{}", .0, csv_hint(.0))]
    Csv(#[from] CsvError),
    /// Test points that do not fit the training points.
    #[error("test points: {0}")]
    Test(String),
    /// A stored table whose text does not hash to its name.
    #[error("the stored table is damaged (its hash is {computed}, not {stated})")]
    Damaged {
        /// the name it was stored under
        stated: String,
        /// the hash of its text
        computed: String,
    },
}

/// A hint after a CSV error that the page's limits caused.
fn csv_hint(e: &CsvError) -> &'static str {
    match e {
        CsvError::TooManyRows { .. } | CsvError::TooLarge { .. } => {
            " (the page's limit; the `ntk` command reads up to 100,000 points)"
        }
        _ => "",
    }
}

impl TableError {
    /// The error as a note, with the text of the offending field quoted (shown
    /// direction-isolated, shortened) and the line and column in the page's words.
    pub fn note(&self) -> Note {
        match self {
            TableError::Csv(CsvError::NotANumber { line, column, field, hint: fix }) => {
                Note::text(format!("line {line}, column {column}: "))
                    .quote(field)
                    .then(format!(" is not a finite number{fix}"))
            }
            TableError::Csv(CsvError::Missing { line, column, field }) if !field.is_empty() => {
                Note::text(format!("line {line}, column {column}: missing value ")).quote(field)
            }
            TableError::Csv(CsvError::NotFinite { line, column, field }) => {
                Note::text(format!("line {line}, column {column}: "))
                    .quote(field)
                    .then(" is not a finite number (beyond ±1.8e308)")
            }
            other => Note::text(other.to_string()),
        }
    }
}

/// The hash naming a canonical text: 32 hex digits of FNV-1a (128 bit), as result files use.
pub fn text_hash(text: &str) -> String {
    format!("{:032x}", fnv1a_128(text.as_bytes()))
}

/// Whether `s` looks like a table hash (32 lowercase hex digits).
pub fn is_hash(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl UserTable {
    /// A table from pasted or uploaded CSV text: 2 or 3 columns, header optional, at most
    /// [`MAX_TABLE_POINTS`] points (the core's format: `ntk_core::datasets::csv`).
    ///
    /// # Errors
    /// [`TableError::Csv`] naming the line and column of the first problem.
    pub fn from_csv(text: &str) -> Result<UserTable, TableError> {
        let train = parse_points_1d_2d(text, &PAGE_CSV_LIMITS)?;
        Ok(UserTable::new(train, None))
    }

    /// A table of given training points and, for an opened run, its test points (1-D test
    /// points must be in increasing order: see [`sort_test_points`]).
    ///
    /// # Errors
    /// [`TableError::Test`] for test points of another dimension, targets of another count,
    /// non-finite values, unsorted 1-D points or too many; [`TableError::Csv`] for training
    /// points the CSV reader would refuse (count, dimension).
    pub fn with_test(train: Points, test: Option<TestPoints>) -> Result<UserTable, TableError> {
        let d = train.dim();
        if !(1..=2).contains(&d) {
            return Err(CsvError::Columns {
                found: d + 1,
                expected: "the explorer takes 2 (x, y) or 3 (x₁, x₂, y)",
            }
            .into());
        }
        if train.x.len() > MAX_TABLE_POINTS {
            return Err(CsvError::TooManyRows { line: MAX_TABLE_POINTS + 1, max: MAX_TABLE_POINTS }.into());
        }
        if let Some(t) = &test {
            if t.x.is_empty() || t.x.len() > MAX_TABLE_TEST_POINTS {
                return Err(TableError::Test(format!(
                    "{} test points (1 to {MAX_TABLE_TEST_POINTS})",
                    t.x.len()
                )));
            }
            if let Some(p) = t.x.iter().find(|p| p.len() != d) {
                return Err(TableError::Test(format!("a test point of dimension {}, not {d}", p.len())));
            }
            if t.y.as_ref().is_some_and(|y| y.len() != t.x.len()) {
                return Err(TableError::Test("not one target per test point".to_string()));
            }
            let values = t.x.iter().flatten().chain(t.y.iter().flatten());
            if let Some(v) = values.copied().find(|v| !v.is_finite()) {
                return Err(TableError::Test(format!("{v} is not a finite number")));
            }
            if d == 1 && t.x.windows(2).any(|w| w[0][0] > w[1][0]) {
                return Err(TableError::Test("1-D test points must be in increasing order".to_string()));
            }
        }
        Ok(UserTable::new(train, test))
    }

    fn new(train: Points, test: Option<TestPoints>) -> UserTable {
        let mut text = train.to_csv();
        if let Some(t) = &test {
            text.push_str(TEST_MARKER);
            text.push('\n');
            for (i, x) in t.x.iter().enumerate() {
                let mut fields: Vec<String> = x.iter().map(f64::to_string).collect();
                if let Some(y) = &t.y {
                    fields.push(y[i].to_string());
                }
                text.push_str(&fields.join(","));
                text.push('\n');
            }
        }
        let hash = text_hash(&text);
        UserTable { train, test, text, hash }
    }

    /// Reads a canonical text back (a link's `csv` value or a stored table): the training
    /// points, then the test points after [`TEST_MARKER`] if there is that line.
    ///
    /// # Errors
    /// As [`UserTable::from_csv`] for the training part (lines counted in the whole text),
    /// [`TableError::Test`] for the test part.
    pub fn from_text(text: &str) -> Result<UserTable, TableError> {
        let marker = text.lines().position(|l| l.trim() == TEST_MARKER);
        let Some(at) = marker else { return UserTable::from_csv(text) };
        let lines: Vec<&str> = text.lines().collect();
        let train = parse_points_1d_2d(&lines[..at].join("\n"), &PAGE_CSV_LIMITS)?;
        let d = train.dim();
        let limits = CsvLimits { max_rows: MAX_TABLE_TEST_POINTS, ..PAGE_CSV_LIMITS };
        let rest = lines[at + 1..].join("\n");
        let table = parse_table(&rest, &limits).map_err(|e| TableError::Test(e.to_string()))?;
        let with_y = match table.columns() {
            c if c == d => false,
            c if c == d + 1 => true,
            c => return Err(TableError::Test(format!("{c} columns, but {d} (x) or {} (x, y)", d + 1))),
        };
        let x = table.rows.iter().map(|r| r[..d].to_vec()).collect();
        let y = with_y.then(|| table.rows.iter().map(|r| r[d]).collect());
        UserTable::with_test(train, Some(TestPoints { x, y }))
    }

    /// Reads a stored table, checking that its text hashes to the name it was stored under.
    ///
    /// # Errors
    /// [`TableError::Damaged`], or as [`UserTable::from_text`].
    pub fn from_stored(hash: &str, text: &str) -> Result<UserTable, TableError> {
        let computed = text_hash(text);
        if computed != hash {
            return Err(TableError::Damaged { stated: hash.to_string(), computed });
        }
        UserTable::from_text(text)
    }

    /// The canonical text (see the module doc).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The hash of the canonical text ([`text_hash`]).
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// The text a link carries for this table (the canonical text without its last line
    /// break), or `None` when it is longer than [`MAX_LINK_TABLE_CHARS`] (then the link
    /// carries [`UserTable::hash`] and the table is stored).
    pub fn link_text(&self) -> Option<&str> {
        let t = self.text.trim_end();
        (t.chars().count() <= MAX_LINK_TABLE_CHARS).then_some(t)
    }

    /// Input dimension d (1 or 2).
    pub fn dim(&self) -> usize {
        self.train.dim()
    }

    /// Number of training points N.
    pub fn len(&self) -> usize {
        self.train.x.len()
    }

    /// Whether the table has no training points (never, once read).
    pub fn is_empty(&self) -> bool {
        self.train.x.is_empty()
    }

    /// Smallest and largest value of input coordinate `j` over the training points.
    pub fn range(&self, j: usize) -> (f64, f64) {
        self.train
            .x
            .iter()
            .map(|x| x[j])
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)))
    }

    /// One line saying what the table holds: `24 points, 1-D: x in [−2, 3.5], y in [0, 1]`.
    pub fn describe(&self) -> String {
        let names: Vec<String> = match &self.train.header {
            Some(h) => h.clone(),
            None if self.dim() == 1 => vec!["x".into(), "y".into()],
            None => vec!["x₁".into(), "x₂".into(), "y".into()],
        };
        let span =
            |(lo, hi): (f64, f64)| format!("[{}, {}]", crate::format::tidy(lo), crate::format::tidy(hi));
        let mut parts: Vec<String> =
            (0..self.dim()).map(|j| format!("{} in {}", names[j], span(self.range(j)))).collect();
        let y = self
            .train
            .y
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
        parts.push(format!("{} in {}", names[self.dim()], span(y)));
        let test = match &self.test {
            Some(t) => format!(", {} test points of the opened run", t.x.len()),
            None => String::new(),
        };
        format!("{} points, {}-D: {}{test}", self.len(), self.dim(), parts.join(", "))
    }
}

/// Sorts 1-D test points into increasing order; returns the sorted points and, for each
/// position of the sorted list, the index it came from (to reorder values given per test
/// point the same way). 2-D points are left in their order.
pub fn sort_test_points(test: TestPoints) -> (TestPoints, Vec<usize>) {
    let mut order: Vec<usize> = (0..test.x.len()).collect();
    if test.x.first().is_some_and(|x| x.len() == 1) {
        order.sort_by(|&a, &b| test.x[a][0].total_cmp(&test.x[b][0]));
    }
    let x = order.iter().map(|&i| test.x[i].clone()).collect();
    let y = test.y.as_ref().map(|y| order.iter().map(|&i| y[i]).collect());
    (TestPoints { x, y }, order)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::explorer::{DataChoice, ExplorerParams};
    use crate::params::url::{decode, encode, RESERVED};
    use crate::params::Value;
    use crate::storage::NoTables;

    const UNICODE_2D: &str = include_str!("../../tests/data/csv/unicode_2d.csv");
    const SAVETXT_1D: &str = include_str!("../../tests/data/csv/savetxt_1d.csv");
    const MISSING_VALUE: &str = include_str!("../../tests/data/csv/missing_value.csv");
    const DECIMAL_COMMA: &str = include_str!("../../tests/data/csv/decimal_comma.csv");

    /// A 1-D table of `n` points whose coordinates need `digits` decimals.
    fn table_text(n: usize, digits: usize) -> String {
        (0..n).map(|i| format!("{:.digits$},{:.digits$}\n", i as f64 / 7.0, (i as f64).sin())).collect()
    }

    /// The explorer showing `text` as its table (through the link field, as a link does).
    fn with_table(text: &str) -> ExplorerParams {
        let mut p = ExplorerParams::default();
        let notes = (ExplorerParams::TABLE.set)(&mut p, Value::Text(text.to_string()), &NoTables);
        assert!(notes.is_empty(), "{notes:?}");
        p.data.set = DataChoice::Table;
        p
    }

    #[test]
    fn a_table_is_named_by_32_hex_digits_of_its_text() {
        let t = UserTable::from_csv("x,y\n1,2\n").unwrap();
        assert_eq!(t.hash(), text_hash(t.text()));
        assert!(is_hash(t.hash()));
        assert_ne!(t.hash(), UserTable::from_csv("1,3\n").unwrap().hash());
        for not in ["", "0123", &"0".repeat(33), &"A".repeat(32), &"g".repeat(32), "../../etc/passwd"] {
            assert!(!is_hash(not), "{not}");
        }
    }

    #[test]
    fn good_tables_are_read_to_the_last_bit() {
        // The fixture files: 2-D with BOM, quoted Unicode header, `;`, CRLF, a comment line,
        // Unicode minus signs and no-break spaces.
        let t = UserTable::from_csv(UNICODE_2D).unwrap();
        assert_eq!(t.dim(), 2);
        assert_eq!(
            t.train.header.as_deref(),
            Some(&["x₁".to_string(), "x₂".to_string(), "y".to_string()][..])
        );
        assert_eq!(t.train.x, vec![vec![-1.5, 0.25], vec![0.5, -2.0], vec![3.0, 1.125]]);
        assert_eq!(t.train.y, vec![0.75, -0.1, 2.0]);
        assert!(t.describe().starts_with("3 points, 2-D: x₁ in [-1.5, 3]"), "{}", t.describe());
        // numpy's savetxt: space separated, 19 significant digits; every value is the f64 nearest
        // the decimal text (what Rust's parser gives, checked against the literals).
        let s = UserTable::from_csv(SAVETXT_1D).unwrap();
        assert_eq!(s.dim(), 1);
        assert_eq!(s.train.x, vec![vec![-2.0], vec![-0.5], vec![1.0], vec![2.5]]);
        assert_eq!(s.train.y, vec![0.4, -0.1, 0.8, 0.6]);
        // Header optional; tabs; the table's canonical text reads back to the same bits.
        for text in ["x,y\n1,2\n3,4\n", "1\t2\n3\t4", "  1 ,2\n\n3, 4  \n# end\n"] {
            let t = UserTable::from_csv(text).unwrap();
            assert_eq!(t.train.x, vec![vec![1.0], vec![3.0]], "{text:?}");
            let back = UserTable::from_text(t.text()).unwrap();
            assert_eq!(back, t);
            assert_eq!(back.train, t.train);
        }
        // Values that need all 17 digits survive the link.
        let awkward =
            "0.1,0.30000000000000004\n1e-300,-2.2250738585072014e-308\n1.7976931348623157e308,5e-324\n";
        let p = with_table(awkward);
        let (back, notes) = decode::<ExplorerParams>(&encode(&p), RESERVED, &NoTables);
        assert!(notes.is_empty(), "{notes:?}");
        let (a, b) = (&p.data.table.as_ref().unwrap().train, &back.data.table.as_ref().unwrap().train);
        let bits = |v: &Points| v.x.iter().flatten().chain(&v.y).map(|f| f.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(a), bits(b));
        assert_eq!(a.y[0], 0.30000000000000004);
    }

    #[test]
    fn bad_tables_name_the_line_and_column_and_the_data_stays() {
        let mut p = with_table("x,y\n1,2\n3,4\n");
        let before = p.clone();
        for (text, place, what) in [
            (MISSING_VALUE, "line 3, column 2", "missing value 'NA'"),
            (DECIMAL_COMMA, "line 2, column 1", "decimal commas are not accepted"),
            ("1,2\n3,\n", "line 2, column 2", "missing value (empty field)"),
            ("1,2\n3,NaN\n", "line 2, column 2", "missing value 'NaN'"),
            ("1,2\n?,3\n", "line 2, column 1", "missing value '?'"),
            ("1,2\n3,abc\n", "line 2, column 2", "'abc' is not a finite number"),
            ("1,2\n3,1e999\n", "line 2, column 2", "beyond ±1.8e308"),
            ("1,2\n3,4,5\n", "line 2", "ragged rows"),
            ("1,2,3,4\n", "4 columns", "the explorer takes 2 (x, y) or 3"),
            ("x,y\n", "no points", "empty"),
            ("1,2 # note\n", "line 1, column 2", "comments must be on lines of their own"),
        ] {
            let notes = (ExplorerParams::TABLE.set)(&mut p, Value::Text(text.to_string()), &NoTables);
            let note = notes.first().unwrap_or_else(|| panic!("{text:?}: no note")).to_string();
            assert!(note.contains(place) && note.contains(what), "{text:?}: {note}");
            assert_eq!(p, before, "{text:?}: the table held before stays");
        }
        // A field's own text is quoted apart (shortened, shown direction-isolated).
        let e = UserTable::from_csv("1,2\n3,\u{202e}evil\n").unwrap_err();
        let note = e.note();
        assert!(note
            .parts
            .iter()
            .any(|part| matches!(part, crate::params::notes::Part::Quoted(q) if q.contains('\u{202e}'))));
    }

    #[test]
    fn huge_tables_are_refused_before_any_work() {
        let ok = table_text(MAX_TABLE_POINTS, 3);
        assert_eq!(UserTable::from_csv(&ok).unwrap().len(), MAX_TABLE_POINTS);
        let over = table_text(MAX_TABLE_POINTS + 1, 3);
        let e = UserTable::from_csv(&over).unwrap_err();
        assert!(
            matches!(e, TableError::Csv(CsvError::TooManyRows { line, .. }) if line == MAX_TABLE_POINTS + 1),
            "{e:?}"
        );
        assert!(e.to_string().contains("the page's limit"), "{e}");
        // 2 MB of text: refused by its size, before it is split into lines.
        let big = "1,2\n".repeat(500_000);
        let e = UserTable::from_csv(&big).unwrap_err();
        assert!(matches!(e, TableError::Csv(CsvError::TooLarge { bytes: 2_000_000, .. })), "{e:?}");
    }
}
