//! Damage to a JSON result file, chosen by a seeded generator: what a crashed job, a full disk
//! or an editor does to a file — arrays cut short or extended, entries swapped or duplicated,
//! one field of the spec changed (with or without its hash recomputed), a number replaced by
//! `NaN`, `Infinity`, `−0`, a huge or a tiny one, the text cut at any byte, a value nested
//! thousands deep, the kind changed, a key removed.
//!
//! Each [`Damage`] knows whether it must be refused ([`Damage::must_refuse`]: the file can no
//! longer agree with itself) or may be read (it may still be consistent).

use ntk_core::experiments::single::SingleSpec;
use ntk_core::experiments::widths::WidthSweepSpec;
use ntk_core::nets::ensemble::EnsembleSpec;
use ntk_core::results::spec_hash;
use serde_json::{json, Value};

use crate::rng::SplitMix64;

/// One step of a path into a JSON document.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// an object's key
    Key(String),
    /// an array's index
    Index(usize),
}

/// A path into a JSON document, shown as `checkpoints[3].nn.mean`.
pub type Path = Vec<Step>;

/// The path as text.
pub fn path_text(path: &[Step]) -> String {
    let mut out = String::new();
    for s in path {
        match s {
            Step::Key(k) if out.is_empty() => out.push_str(k),
            Step::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

fn at<'a>(v: &'a mut Value, path: &[Step]) -> &'a mut Value {
    path.iter().fold(v, |v, s| match s {
        Step::Key(k) => &mut v[k.as_str()],
        Step::Index(i) => &mut v[*i],
    })
}

/// Text that replaces a number ([`Damage::Number`]).
pub const LITERALS: [&str; 10] = [
    "NaN",
    "Infinity",
    "-Infinity",
    "1e999",
    "-0",
    "-0.0",
    "1e300",
    "-1e300",
    "5e-324",
    "123456789012345678901234567890",
];

/// Whether a literal of [`LITERALS`] is not a JSON number a reader can hold as a finite f64.
fn unreadable(literal: &str) -> bool {
    matches!(literal, "NaN" | "Infinity" | "-Infinity" | "1e999")
}

/// One damage.
#[derive(Clone, Debug)]
pub enum Damage {
    /// the text cut after `at` bytes (at a character boundary, short of the end)
    Cut {
        /// bytes kept
        at: usize,
    },
    /// an array cut to `len` entries
    Truncate {
        /// the array
        path: Path,
        /// entries kept (fewer than it had)
        len: usize,
    },
    /// an array extended by a copy of its entry `copy_of`
    Extend {
        /// the array
        path: Path,
        /// the entry copied
        copy_of: usize,
    },
    /// two different entries of an array swapped
    Swap {
        /// the array
        path: Path,
        /// one entry
        i: usize,
        /// the other
        j: usize,
    },
    /// entry `to` of an array replaced by a copy of its different entry `from`
    Duplicate {
        /// the array
        path: Path,
        /// the entry copied
        from: usize,
        /// the entry replaced
        to: usize,
    },
    /// one value of the spec changed; the spec hash recomputed or not
    SpecField {
        /// the value (under `spec`)
        path: Path,
        /// its new value
        value: Value,
        /// whether the file's spec hash was recomputed for the edited spec
        rehash: bool,
    },
    /// one number replaced by the text `literal`
    Number {
        /// the number
        path: Path,
        /// what replaces it ([`LITERALS`])
        literal: &'static str,
    },
    /// one value wrapped in `depth` arrays
    Nest {
        /// the value
        path: Path,
        /// how deep
        depth: usize,
    },
    /// the file's kind changed
    Kind {
        /// the new kind
        to: &'static str,
    },
    /// one key of an object removed
    DropKey {
        /// the key
        path: Path,
    },
}

/// Every path of `v` (depth first), with the value there.
fn walk<'a>(v: &'a Value, path: &mut Path, out: &mut Vec<(Path, &'a Value)>) {
    out.push((path.clone(), v));
    match v {
        Value::Array(a) => {
            for (i, e) in a.iter().enumerate() {
                path.push(Step::Index(i));
                walk(e, path, out);
                path.pop();
            }
        }
        Value::Object(o) => {
            for (k, e) in o {
                path.push(Step::Key(k.clone()));
                walk(e, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn in_spec(path: &[Step]) -> bool {
    path.first() == Some(&Step::Key("spec".to_string()))
}

fn is_structured(a: &[Value]) -> bool {
    a.iter().any(|e| e.is_object() || e.is_array())
}

/// The text of a file.
fn text(v: &Value) -> String {
    serde_json::to_string(v).expect("a JSON value serializes")
}

/// The file's spec hash recomputed for its (edited) spec, if the spec is still one of its kind.
fn rehash(v: &mut Value) {
    let spec = v["spec"].clone();
    let hash = match v["kind"].as_str() {
        Some("ensemble" | "ensemble_partial") => {
            serde_json::from_value::<EnsembleSpec>(spec).ok().and_then(|s| spec_hash(&s).ok())
        }
        Some("widths" | "widths_partial") => {
            serde_json::from_value::<WidthSweepSpec>(spec).ok().and_then(|s| spec_hash(&s).ok())
        }
        Some("single") => serde_json::from_value::<SingleSpec>(spec).ok().and_then(|s| spec_hash(&s).ok()),
        _ => None,
    };
    if let Some(h) = hash {
        v["spec_hash"] = json!(h);
    }
}

/// A new value for a spec field of value `old`: another number (an integer stays an integer),
/// the other boolean, another name.
fn changed(old: &Value, rng: &mut SplitMix64) -> Value {
    match old {
        Value::Number(n) if n.is_u64() => {
            let u = n.as_u64().unwrap_or(0);
            json!(*rng.pick(&[u.wrapping_add(1), u ^ 1, u.saturating_mul(2).saturating_add(1), 0, u64::MAX]))
        }
        Value::Number(n) => {
            let f = n.as_f64().unwrap_or(0.0);
            json!(*rng.pick(&[f * 2.0 + 1.0, -f - 1.0, f + 1e-9 * f.abs().max(1.0), 1e300]))
        }
        Value::Bool(b) => json!(!b),
        Value::String(_) => {
            json!(*rng.pick(&["relu", "tanh", "custom", "ntk", "standard", "xent", "mse", ""]))
        }
        Value::Null => json!(1),
        Value::Array(_) | Value::Object(_) => json!(null),
    }
}

impl Damage {
    /// A damage of `file` chosen by `rng`.
    pub fn random(file: &Value, rng: &mut SplitMix64) -> Damage {
        let mut all = Vec::new();
        walk(file, &mut Vec::new(), &mut all);
        let arrays: Vec<(Path, usize, bool)> = all
            .iter()
            .filter_map(|(p, v)| v.as_array().map(|a| (p.clone(), a.len(), is_structured(a))))
            .collect();
        let non_empty: Vec<&(Path, usize, bool)> = arrays.iter().filter(|a| a.1 > 0).collect();
        let numbers: Vec<&Path> = all.iter().filter(|(_, v)| v.is_number()).map(|(p, _)| p).collect();
        let spec_values: Vec<(&Path, &Value)> = all
            .iter()
            .filter(|(p, v)| in_spec(p) && p.len() > 1 && !v.is_array() && !v.is_object())
            .map(|(p, v)| (p, *v))
            .collect();
        let keys: Vec<&Path> =
            all.iter().filter(|(p, _)| matches!(p.last(), Some(Step::Key(_)))).map(|(p, _)| p).collect();
        let len = text(file).len();
        loop {
            let d = match rng.below(10) {
                0 => Damage::Cut { at: rng.below(len.max(1)) },
                1 if !non_empty.is_empty() => {
                    let (p, n, _) = rng.pick(&non_empty);
                    // Often half (the file), else anything shorter.
                    let len = if rng.chance(0.4) { n / 2 } else { rng.below(*n) };
                    Damage::Truncate { path: p.clone(), len }
                }
                2 if !non_empty.is_empty() => {
                    let (p, n, _) = rng.pick(&non_empty);
                    Damage::Extend { path: p.clone(), copy_of: rng.below(*n) }
                }
                3 | 4 => {
                    let pairs: Vec<&(Path, usize, bool)> = arrays.iter().filter(|a| a.1 >= 2).collect();
                    if pairs.is_empty() {
                        continue;
                    }
                    let (p, n, _) = rng.pick(&pairs);
                    let i = rng.below(*n);
                    let j = (i + 1 + rng.below(n - 1)) % n;
                    if rng.chance(0.5) {
                        Damage::Swap { path: p.clone(), i, j }
                    } else {
                        Damage::Duplicate { path: p.clone(), from: i, to: j }
                    }
                }
                5 if !spec_values.is_empty() => {
                    let (p, v) = rng.pick(&spec_values);
                    Damage::SpecField { path: (*p).clone(), value: changed(v, rng), rehash: rng.chance(0.5) }
                }
                6 | 7 if !numbers.is_empty() => {
                    Damage::Number { path: (*rng.pick(&numbers)).clone(), literal: rng.pick_text(&LITERALS) }
                }
                8 if !numbers.is_empty() => Damage::Nest {
                    path: (*rng.pick(&numbers)).clone(),
                    depth: *rng.pick(&[129, 1_000, 20_000]),
                },
                9 if rng.chance(0.3) => Damage::Kind {
                    to: rng.pick_text(&[
                        "ensemble",
                        "ensemble_partial",
                        "widths",
                        "widths_partial",
                        "single",
                        "other",
                    ]),
                },
                9 if !keys.is_empty() => Damage::DropKey { path: (*rng.pick(&keys)).clone() },
                _ => continue,
            };
            if d.changes(file) {
                return d;
            }
        }
    }

    /// Whether the damage changes the file at all (swapping equal entries does not).
    fn changes(&self, file: &Value) -> bool {
        let mut v = file.clone();
        match self {
            Damage::Swap { path, i, j } | Damage::Duplicate { path, from: i, to: j } => {
                let a = at(&mut v, path);
                a[*i] != a[*j]
            }
            Damage::SpecField { path, value, .. } => at(&mut v, path) != value,
            Damage::Kind { to } => file["kind"].as_str() != Some(to),
            _ => true,
        }
    }

    /// The damaged text of `file`.
    pub fn apply(&self, file: &Value) -> String {
        const MARK: &str = "\"__ntk_fuzz_mark__\"";
        let mut v = file.clone();
        let mut replace_mark = None;
        match self {
            Damage::Cut { at } => {
                let t = text(file);
                let mut at = (*at).min(t.len().saturating_sub(1));
                while !t.is_char_boundary(at) {
                    at -= 1;
                }
                return t[..at].to_string();
            }
            Damage::Truncate { path, len } => {
                if let Some(a) = at(&mut v, path).as_array_mut() {
                    a.truncate(*len);
                }
            }
            Damage::Extend { path, copy_of } => {
                if let Some(a) = at(&mut v, path).as_array_mut() {
                    let e = a[*copy_of].clone();
                    a.push(e);
                }
            }
            Damage::Swap { path, i, j } => {
                if let Some(a) = at(&mut v, path).as_array_mut() {
                    a.swap(*i, *j);
                }
            }
            Damage::Duplicate { path, from, to } => {
                if let Some(a) = at(&mut v, path).as_array_mut() {
                    a[*to] = a[*from].clone();
                }
            }
            Damage::SpecField { path, value, rehash: again } => {
                *at(&mut v, path) = value.clone();
                if *again {
                    rehash(&mut v);
                }
            }
            Damage::Number { path, literal } => {
                *at(&mut v, path) = json!("__ntk_fuzz_mark__");
                replace_mark = Some(literal.to_string());
            }
            Damage::Nest { path, depth } => {
                let old = text(at(&mut v, path));
                *at(&mut v, path) = json!("__ntk_fuzz_mark__");
                replace_mark = Some(format!("{}{old}{}", "[".repeat(*depth), "]".repeat(*depth)));
            }
            Damage::Kind { to } => v["kind"] = json!(to),
            Damage::DropKey { path } => {
                let (key, parent) = path.split_last().expect("a key has a parent");
                if let (Step::Key(k), Some(o)) = (key, at(&mut v, parent).as_object_mut()) {
                    o.remove(k);
                }
            }
        }
        let t = text(&v);
        match replace_mark {
            Some(r) => t.replacen(MARK, &r, 1),
            None => t,
        }
    }

    /// Whether a reader must refuse the damaged file: the text cut short, a spec edited
    /// without its hash, a number JSON cannot carry, nesting past any reader's depth, another
    /// kind, and — except in the point lists of a width sweep, which may lack points (a sweep
    /// written before it finished) — any array cut or extended, and entries of records swapped
    /// or duplicated; and any key of an ensemble's quadratic model removed (`quad` or a key
    /// under it, or the spec's `quadratic`: the spec's flag implies every one of them). Other
    /// damage (a spec edited with its hash recomputed, −0, huge or tiny numbers, swapped
    /// numbers, another key with a default removed) may leave the file consistent.
    pub fn must_refuse(&self, file: &Value) -> bool {
        let kind = file["kind"].as_str().unwrap_or("");
        let sweep_points = |path: &Path| {
            kind == "widths" && !in_spec(path) && path.last() == Some(&Step::Key("points".to_string()))
        };
        let structured = |path: &Path| {
            let mut v = file.clone();
            at(&mut v, path).as_array().is_some_and(|a| is_structured(a))
        };
        // A one-network checkpoint's first-layer feature lines: nothing else in the file says
        // which unit is which (swapped or copied lines may be read).
        let features =
            |path: &Path| kind == "single" && path.last() == Some(&Step::Key("features".to_string()));
        match self {
            Damage::Cut { .. } | Damage::Nest { .. } | Damage::Kind { .. } => true,
            Damage::Truncate { path, .. } | Damage::Extend { path, .. } => !sweep_points(path),
            Damage::Swap { path, .. } | Damage::Duplicate { path, .. } => structured(path) && !features(path),
            Damage::SpecField { rehash, .. } => !rehash,
            Damage::Number { literal, .. } => unreadable(literal),
            Damage::DropKey { path } => quadratic_key(path),
        }
    }

    /// The damage in words, e.g. `truncate checkpoints to 3 entries`.
    pub fn describe(&self) -> String {
        match self {
            Damage::Cut { at } => format!("cut the text after {at} bytes"),
            Damage::Truncate { path, len } => format!("truncate {} to {len} entries", path_text(path)),
            Damage::Extend { path, copy_of } => {
                format!("extend {} by a copy of entry {copy_of}", path_text(path))
            }
            Damage::Swap { path, i, j } => format!("swap entries {i} and {j} of {}", path_text(path)),
            Damage::Duplicate { path, from, to } => {
                format!("replace entry {to} of {} by a copy of entry {from}", path_text(path))
            }
            Damage::SpecField { path, value, rehash } => format!(
                "set {} to {value} ({})",
                path_text(path),
                if *rehash { "hash recomputed" } else { "hash kept" }
            ),
            Damage::Number { path, literal } => format!("replace {} by {literal}", path_text(path)),
            Damage::Nest { path, depth } => format!("nest {} {depth} arrays deep", path_text(path)),
            Damage::Kind { to } => format!("change the kind to '{to}'"),
            Damage::DropKey { path } => format!("remove {}", path_text(path)),
        }
    }
}

/// Whether a path names the ensemble's quadratic model or a value of it: a `quad` key (of a
/// record or a checkpoint summary) or below one, or the spec's `quadratic` flag. Removing
/// either contradicts the rest of the file: the flag is in the spec's hash, and a spec with it
/// implies the model's numbers at every checkpoint (none of them has a default that agrees).
fn quadratic_key(path: &[Step]) -> bool {
    let key = |k: &str| Step::Key(k.to_string());
    let flag = in_spec(path) && path.last() == Some(&key("quadratic"));
    flag || (!in_spec(path) && path.contains(&key("quad")))
}

/// One case of the corpus: a valid file, its damage, the damaged text.
#[derive(Clone, Debug)]
pub struct Case {
    /// the valid file's name
    pub file: &'static str,
    /// its index in the corpus
    pub index: usize,
    /// the damage
    pub damage: Damage,
    /// whether a reader must refuse it
    pub must_refuse: bool,
    /// the damaged text
    pub text: String,
}

impl Case {
    /// The case in words, for a failure message.
    pub fn describe(&self) -> String {
        format!("case {} of the {}: {}", self.index, self.file, self.damage.describe())
    }
}

/// `cases` damaged copies of each of `files`, from `seed` (the same corpus on every platform).
pub fn corpus(files: &[crate::files::ValidFile], cases: usize, seed: u64) -> Vec<Case> {
    let mut rng = SplitMix64::new(seed);
    let mut out = Vec::with_capacity(files.len() * cases);
    for f in files {
        for index in 0..cases {
            let damage = Damage::random(&f.json, &mut rng);
            out.push(Case {
                file: f.name,
                index,
                must_refuse: damage.must_refuse(&f.json),
                text: damage.apply(&f.json),
                damage,
            });
        }
    }
    out
}
