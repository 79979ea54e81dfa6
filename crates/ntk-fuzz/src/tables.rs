//! Damage to a CSV table, chosen by a seeded generator: the text cut at any byte, a field
//! replaced (`NaN`, `inf`, `1e999`, `−0`, huge and tiny numbers, an empty field, words, a
//! decimal comma, 400 digits), a field dropped or added, lines duplicated, swapped or deleted,
//! blank and comment lines, a byte-order mark or a lone carriage return inserted, a line of
//! 100,000 characters, hundreds of rows more.

use crate::rng::SplitMix64;

/// Text that replaces one field of a data line.
pub const FIELDS: [&str; 18] = [
    "NaN", "nan", "inf", "-inf", "Infinity", "1e999", "", "abc", "0x10", "1e", "--1", "1.5.2", "1,5", "-0",
    "1e300", "5e-324", "−2", "\"3\"",
];

/// Whether a field of [`FIELDS`] is no finite number in any of the reader's formats.
fn bad_field(f: &str) -> bool {
    !matches!(f, "-0" | "1e300" | "5e-324" | "−2" | "\"3\"")
}

/// One damage to a table.
#[derive(Clone, Debug)]
pub enum TableDamage {
    /// the text cut after `at` bytes (at a character boundary)
    Cut {
        /// bytes kept
        at: usize,
    },
    /// field `field` of data line `line` replaced by `text`
    Field {
        /// the line (0-based, of the text's lines)
        line: usize,
        /// the field
        field: usize,
        /// its new text ([`FIELDS`], or 400 digits)
        text: String,
    },
    /// the last field of data line `line` removed
    DropField {
        /// the line
        line: usize,
    },
    /// a field added to data line `line`
    AddField {
        /// the line
        line: usize,
    },
    /// line `line` written twice
    DuplicateLine {
        /// the line
        line: usize,
    },
    /// lines `a` and `b` swapped
    SwapLines {
        /// one line
        a: usize,
        /// the other
        b: usize,
    },
    /// line `line` removed
    DeleteLine {
        /// the line
        line: usize,
    },
    /// `text` inserted before line `line`
    Insert {
        /// the line
        line: usize,
        /// a blank line, a comment, a byte-order mark, a lone carriage return
        text: &'static str,
    },
    /// a line of `chars` characters (`1,1,1,…`) inserted before line `line`
    LongLine {
        /// the line
        line: usize,
        /// its length
        chars: usize,
    },
    /// `rows` copies of the last data line appended
    ManyRows {
        /// how many
        rows: usize,
    },
}

/// The lines of a table as the reader splits them (at `\r\n`, `\n` or `\r`), each with its
/// line ending.
fn lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        cur.push(c);
        if c == '\n' || (c == '\r' && chars.peek() != Some(&'\n')) {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn content(line: &str) -> &str {
    line.trim_end_matches(['\r', '\n'])
}

/// Whether a line holds data (it starts with a number), not a header, comment or blank.
fn is_data(line: &str) -> bool {
    content(line)
        .trim_start()
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_digit() || c == '-' || c == '−' || c == '.')
}

/// The separator of a line (the first of tab, `;`, `,` found; else runs of spaces).
fn separator(line: &str) -> &'static str {
    let c = content(line);
    if c.contains('\t') {
        "\t"
    } else if c.contains(';') {
        ";"
    } else if c.contains(',') {
        ","
    } else {
        " "
    }
}

fn fields(line: &str) -> Vec<String> {
    let sep = separator(line);
    let c = content(line);
    if sep == " " {
        c.split_whitespace().map(str::to_string).collect()
    } else {
        c.split(sep).map(str::to_string).collect()
    }
}

fn ending(line: &str) -> &str {
    &line[content(line).len()..]
}

impl TableDamage {
    /// A damage of `text` chosen by `rng`.
    pub fn random(text: &str, rng: &mut SplitMix64) -> TableDamage {
        let ls = lines(text);
        let data: Vec<usize> = (0..ls.len()).filter(|&i| is_data(&ls[i])).collect();
        loop {
            let line = *rng.pick(&data);
            return match rng.below(10) {
                0 => TableDamage::Cut { at: rng.below(text.len()) },
                1 | 2 => {
                    let n = fields(&ls[line]).len();
                    let text = if rng.chance(0.1) { "9".repeat(400) } else { rng.pick(&FIELDS).to_string() };
                    TableDamage::Field { line, field: rng.below(n), text }
                }
                3 => TableDamage::DropField { line },
                4 => TableDamage::AddField { line },
                5 => TableDamage::DuplicateLine { line },
                6 if ls.len() >= 2 => {
                    let b = (line + 1 + rng.below(ls.len() - 1)) % ls.len();
                    if content(&ls[line]) == content(&ls[b]) {
                        continue;
                    }
                    TableDamage::SwapLines { a: line, b }
                }
                6 => continue,
                7 => TableDamage::DeleteLine { line },
                8 if rng.chance(0.2) => TableDamage::LongLine { line, chars: 100_000 },
                8 => TableDamage::ManyRows { rows: *rng.pick(&[10, 300, 2_500]) },
                _ => TableDamage::Insert {
                    line: rng.below(ls.len() + 1),
                    text: rng.pick_text(&["\n", "# a comment\n", "\u{FEFF}", "\r", "   \t \n"]),
                },
            };
        }
    }

    /// The damaged text.
    pub fn apply(&self, text: &str) -> String {
        let mut ls = lines(text);
        match self {
            TableDamage::Cut { at } => {
                let mut at = *at;
                while !text.is_char_boundary(at) {
                    at -= 1;
                }
                return text[..at].to_string();
            }
            TableDamage::Field { line, field, text } => {
                let l = &ls[*line];
                let mut fs = fields(l);
                fs[*field] = text.clone();
                ls[*line] = format!("{}{}", fs.join(separator(l)), ending(l));
            }
            TableDamage::DropField { line } => {
                let l = &ls[*line];
                let mut fs = fields(l);
                fs.pop();
                ls[*line] = format!("{}{}", fs.join(separator(l)), ending(l));
            }
            TableDamage::AddField { line } => {
                let l = &ls[*line];
                let mut fs = fields(l);
                fs.push("0.5".to_string());
                ls[*line] = format!("{}{}", fs.join(separator(l)), ending(l));
            }
            TableDamage::DuplicateLine { line } => {
                let mut l = ls[*line].clone();
                if ending(&l).is_empty() {
                    l.push('\n');
                }
                ls.insert(*line, l);
            }
            TableDamage::SwapLines { a, b } => {
                let (ea, eb) = (ending(&ls[*a]).to_string(), ending(&ls[*b]).to_string());
                let (ca, cb) = (content(&ls[*a]).to_string(), content(&ls[*b]).to_string());
                ls[*a] = format!("{cb}{ea}");
                ls[*b] = format!("{ca}{eb}");
            }
            TableDamage::DeleteLine { line } => {
                ls.remove(*line);
            }
            TableDamage::Insert { line, text } => {
                if *line == ls.len() && ls.last().is_some_and(|l| ending(l).is_empty()) {
                    ls.push("\n".to_string());
                }
                ls.insert(*line, text.to_string());
            }
            TableDamage::LongLine { line, chars } => {
                let long = "1,".repeat(chars / 2);
                ls.insert(*line, format!("{}\n", long.trim_end_matches(',')));
            }
            TableDamage::ManyRows { rows } => {
                let last = ls.iter().rev().find(|l| is_data(l)).cloned().unwrap_or_default();
                if ls.last().is_some_and(|l| ending(l).is_empty()) {
                    ls.push("\n".to_string());
                }
                let row = format!("{}\n", content(&last));
                ls.extend(std::iter::repeat_n(row, *rows));
            }
        }
        ls.concat()
    }

    /// Whether a reader must refuse the damaged table: a field that is no finite number, a
    /// row of another length (a field dropped or added), a line of 100,000 characters (more
    /// columns than any reader takes). Cuts, moved, repeated and removed lines, blank and
    /// comment lines leave a table a reader may take.
    pub fn must_refuse(&self) -> bool {
        match self {
            TableDamage::Field { text, .. } => bad_field(text) || text.len() > 300,
            TableDamage::DropField { .. } | TableDamage::AddField { .. } | TableDamage::LongLine { .. } => {
                true
            }
            _ => false,
        }
    }

    /// The damage in words.
    pub fn describe(&self) -> String {
        match self {
            TableDamage::Cut { at } => format!("cut the text after {at} bytes"),
            TableDamage::Field { line, field, text } => {
                let shown =
                    if text.len() > 20 { format!("{} digits", text.len()) } else { format!("{text:?}") };
                format!("set field {field} of line {} to {shown}", line + 1)
            }
            TableDamage::DropField { line } => format!("drop the last field of line {}", line + 1),
            TableDamage::AddField { line } => format!("add a field to line {}", line + 1),
            TableDamage::DuplicateLine { line } => format!("write line {} twice", line + 1),
            TableDamage::SwapLines { a, b } => format!("swap lines {} and {}", a + 1, b + 1),
            TableDamage::DeleteLine { line } => format!("delete line {}", line + 1),
            TableDamage::Insert { line, text } => format!("insert {text:?} before line {}", line + 1),
            TableDamage::LongLine { line, chars } => {
                format!("insert a line of {chars} characters before line {}", line + 1)
            }
            TableDamage::ManyRows { rows } => format!("append {rows} rows"),
        }
    }
}

/// One case of the table corpus.
#[derive(Clone, Debug)]
pub struct TableCase {
    /// the valid table's name
    pub table: &'static str,
    /// its index
    pub index: usize,
    /// the damage
    pub damage: TableDamage,
    /// whether a reader must refuse it
    pub must_refuse: bool,
    /// the damaged text
    pub text: String,
}

impl TableCase {
    /// The case in words, for a failure message.
    pub fn describe(&self) -> String {
        format!("case {} of the table '{}': {}", self.index, self.table, self.damage.describe())
    }

    /// The number of data lines of the damaged text (lines that are not blank and not `#`
    /// comments, a byte-order mark at the start ignored), counted here independently of the
    /// reader: a table read must hold this many rows, less its header.
    pub fn content_lines(&self) -> usize {
        let text = self.text.strip_prefix('\u{FEFF}').unwrap_or(&self.text);
        lines(text)
            .iter()
            .filter(|l| !content(l).trim().is_empty() && !content(l).trim_start().starts_with('#'))
            .count()
    }
}

/// `cases` damaged copies of each of `tables`, from `seed`.
pub fn table_corpus(tables: &[crate::files::ValidTable], cases: usize, seed: u64) -> Vec<TableCase> {
    let mut rng = SplitMix64::new(seed ^ 0x7ab1e5);
    let mut out = Vec::with_capacity(tables.len() * cases);
    for t in tables {
        for index in 0..cases {
            let damage = TableDamage::random(&t.text, &mut rng);
            out.push(TableCase {
                table: t.name,
                index,
                must_refuse: damage.must_refuse(),
                text: damage.apply(&t.text),
                damage,
            });
        }
    }
    out
}
