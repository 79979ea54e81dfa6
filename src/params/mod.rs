//! The one description of every parameter a view shares through its link.
//!
//! A parameter is described once, as a [`Field`] of its view's state: its URL key, its label,
//! its kind and range (which is also the slider's scale), and how to read and write it. From
//! that description alone come the URL codec ([`url::encode`], [`url::decode`]), the sliders and
//! selects of the page ([`crate::components::field`]) and the notes a bad link gets
//! ([`notes`]). A view's state lists its fields in [`Described::FIELDS`]; a new slider is one
//! `const` field there plus one line in the view.
//!
//! Each view's state embeds the core's [`ntk_core::Architecture`] ([`arch`]), so the shared
//! architecture controls are one component over one set of fields.

pub mod arch;
pub mod catapult;
pub mod explorer;
pub mod notes;
pub mod phase;
pub mod single;
pub mod table;
pub mod url;
pub mod widths;

use crate::storage::TableStore;
use notes::Note;

/// The kind and range of a parameter, which is also the scale of its control.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    /// An integer in `[min, max]`; `log` for a slider on a logarithmic scale (`min ≥ 1`).
    Int {
        /// smallest value
        min: u64,
        /// largest value
        max: u64,
        /// logarithmic slider
        log: bool,
    },
    /// A real number in `[min, max]`; `log` for a slider on a logarithmic scale (`min > 0`).
    Real {
        /// smallest value
        min: f64,
        /// largest value
        max: f64,
        /// logarithmic slider
        log: bool,
    },
    /// One of a list of names (a select).
    Choice(&'static [&'static str]),
    /// Free text of at most `max_len` characters, parsed by the field's `set` (a list of
    /// points, an expression).
    Text {
        /// longest text kept from a link
        max_len: usize,
    },
}

/// A parameter's value, as the URL and the controls carry it.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// an integer
    Int(u64),
    /// a real number
    Real(f64),
    /// one of the names of a [`Kind::Choice`]
    Choice(&'static str),
    /// text
    Text(String),
    /// not set (left out of the URL; the default applies): e.g. the time shown while it
    /// follows training, or an empty list of points
    Unset,
}

impl Value {
    /// The number a slider shows (0 for names and text).
    pub fn as_f64(&self) -> f64 {
        match self {
            Value::Int(v) => *v as f64,
            Value::Real(v) => *v,
            Value::Choice(_) | Value::Text(_) | Value::Unset => 0.0,
        }
    }

    /// The text a URL carries.
    pub fn to_url_text(&self) -> String {
        match self {
            Value::Int(v) => v.to_string(),
            Value::Real(v) => v.to_string(),
            Value::Choice(v) => (*v).to_string(),
            Value::Text(v) => v.clone(),
            Value::Unset => String::new(),
        }
    }
}

/// One parameter of a view's state `S`.
pub struct Field<S: 'static> {
    /// its key in the URL (unique within the view, never `view`)
    pub key: &'static str,
    /// what the page calls it (control labels and notes)
    pub label: &'static str,
    /// kind and range
    pub kind: Kind,
    /// reads it from the state
    pub get: fn(&S) -> Value,
    /// writes a value of its kind, already within range, reading any table the value names
    /// from the given store (`csvh`); returns notes about what it could not take as given (text
    /// fields)
    pub set: fn(&mut S, Value, &dyn TableStore) -> Vec<Note>,
}

/// A view's shareable state: the fields it is made of, and the constraints between them.
pub trait Described: Clone + Default + PartialEq + 'static {
    /// Every parameter, in URL order.
    const FIELDS: &'static [Field<Self>];

    /// Restores constraints between fields after a link was read (e.g. the time shown within
    /// the training steps), with a note for each change.
    fn normalize(&mut self) -> Vec<Note> {
        Vec::new()
    }
}

impl Kind {
    /// Clamps a number into range (rounded for integers); `None` if it is not finite.
    pub fn clamp(&self, v: f64) -> Option<Value> {
        if !v.is_finite() {
            return None;
        }
        match *self {
            Kind::Int { min, max, .. } => Some(Value::Int(v.round().clamp(min as f64, max as f64) as u64)),
            Kind::Real { min, max, .. } => Some(Value::Real(v.clamp(min, max))),
            Kind::Choice(_) | Kind::Text { .. } => None,
        }
    }

    /// Rounds a slider or typed number to what the page keeps: integers, or 3 significant
    /// digits, within range.
    pub fn tidy(&self, v: f64) -> Option<Value> {
        match self.clamp(v)? {
            Value::Real(v) if v != 0.0 => {
                let mag = 10f64.powf(v.abs().log10().floor() - 2.0);
                self.clamp((v / mag).round() * mag)
            }
            other => Some(other),
        }
    }
}

/// A [`Field`] whose `set` only stores a number (`Int` as `usize`/`u64`, `Real` as `f64`):
/// `int_field!(key, label, min, max, log, |s| s.x)` / `real_field!(…)`.
#[macro_export]
macro_rules! int_field {
    ($key:literal, $label:literal, $min:expr, $max:expr, $log:expr, |$s:ident| $place:expr) => {
        $crate::params::Field {
            key: $key,
            label: $label,
            kind: $crate::params::Kind::Int { min: $min as u64, max: $max as u64, log: $log },
            get: |$s| $crate::params::Value::Int($place as u64),
            set: |$s, v, _| {
                if let $crate::params::Value::Int(v) = v {
                    $place = v as _;
                }
                Vec::new()
            },
        }
    };
}

/// A [`Field`] storing a real number; see [`int_field!`].
#[macro_export]
macro_rules! real_field {
    ($key:literal, $label:literal, $min:expr, $max:expr, $log:expr, |$s:ident| $place:expr) => {
        $crate::params::Field {
            key: $key,
            label: $label,
            kind: $crate::params::Kind::Real { min: $min, max: $max, log: $log },
            get: |$s| $crate::params::Value::Real($place),
            set: |$s, v, _| {
                if let $crate::params::Value::Real(v) = v {
                    $place = v;
                }
                Vec::new()
            },
        }
    };
}

/// A [`Field`] storing an on/off flag: `key=1` in the link when on, left out when off; see
/// [`int_field!`].
#[macro_export]
macro_rules! flag_field {
    ($key:literal, $label:literal, |$s:ident| $place:expr) => {
        $crate::params::Field {
            key: $key,
            label: $label,
            kind: $crate::params::Kind::Int { min: 0, max: 1, log: false },
            get: |$s| if $place { $crate::params::Value::Int(1) } else { $crate::params::Value::Unset },
            set: |$s, v, _| {
                if let $crate::params::Value::Int(k) = v {
                    $place = k == 1;
                }
                Vec::new()
            },
        }
    };
}

/// A [`Field`] storing an optional real number (`None`: left out of the link); see
/// [`int_field!`].
#[macro_export]
macro_rules! optional_real_field {
    ($key:literal, $label:literal, $min:expr, $max:expr, $log:expr, |$s:ident| $place:expr) => {
        $crate::params::Field {
            key: $key,
            label: $label,
            kind: $crate::params::Kind::Real { min: $min, max: $max, log: $log },
            get: |$s| $place.map_or($crate::params::Value::Unset, $crate::params::Value::Real),
            set: |$s, v, _| {
                if let $crate::params::Value::Real(a) = v {
                    $place = Some(a);
                }
                Vec::new()
            },
        }
    };
}

/// A [`Field`] choosing one of `NAMES` of a type with `name()` and `from_name()`; see
/// [`int_field!`].
#[macro_export]
macro_rules! choice_field {
    ($key:literal, $label:literal, $ty:ty, |$s:ident| $place:expr) => {
        $crate::params::Field {
            key: $key,
            label: $label,
            kind: $crate::params::Kind::Choice(&<$ty>::NAMES),
            get: |$s| $crate::params::Value::Choice($place.name()),
            set: |$s, v, _| {
                if let Some(c) = match v {
                    $crate::params::Value::Choice(n) => <$ty>::from_name(n),
                    _ => None,
                } {
                    $place = c;
                }
                Vec::new()
            },
        }
    };
}

/// The field of `S` with this key (for tests and generic code; views use the named consts).
pub fn field<S: Described>(key: &str) -> Option<&'static Field<S>> {
    S::FIELDS.iter().find(|f| f.key == key)
}

#[cfg(test)]
mod tests {
    use super::explorer::ExplorerParams;
    use super::url::{decode, encode, parse_value, RESERVED};
    use super::widths::{AxisChoice, WidthsParams};
    use super::*;
    use crate::params::catapult::CatapultParams;
    use crate::storage::{MemoryStorage, NoTables, Tables};

    /// The keys in a query string, in order.
    fn keys(query: &str) -> Vec<String> {
        form_urlencoded::parse(query.as_bytes()).map(|(k, _)| k.into_owned()).collect()
    }

    /// A value of `field`'s kind other than `current` (text fields: `sample`; an integer not
    /// set: its largest, what a flag such as `quad=1` means when present).
    fn another(field: &Field<impl Sized>, current: &Value, sample: &str) -> Value {
        match field.kind {
            Kind::Int { min, max, .. } => {
                Value::Int(if *current == Value::Int(min) || *current == Value::Unset { max } else { min })
            }
            Kind::Real { min, max, .. } => {
                let mid = if min > 0.0 { (min * max).sqrt() } else { 0.5 * (min + max) };
                Value::Real(if *current == Value::Real(mid) { max } else { (mid * 1000.0).round() / 1000.0 })
            }
            Kind::Choice(names) => {
                Value::Choice(names.iter().find(|n| Value::Choice(n) != *current).unwrap())
            }
            Kind::Text { .. } => Value::Text(sample.to_string()),
        }
    }

    /// Every field of `S`, set alone to another value on `base`, comes back from the URL
    /// unchanged and without a note; the keys read are the keys written; keys are unique and
    /// none is the page's own; out-of-range numbers are clamped with one note naming the field.
    fn check_described<S: Described + std::fmt::Debug>(
        base: S,
        samples: &[(&str, &str)],
        tables: &dyn TableStore,
    ) {
        let mut seen = Vec::new();
        for f in S::FIELDS {
            assert!(!seen.contains(&f.key), "key {} described twice", f.key);
            assert!(!RESERVED.contains(&f.key), "key {} is the page's own", f.key);
            seen.push(f.key);
        }
        let (back, notes) = decode::<S>(&encode(&base), RESERVED, tables);
        assert_eq!(back, base);
        assert!(notes.is_empty(), "{notes:?}");
        for f in S::FIELDS {
            let sample = samples.iter().find(|(k, _)| *k == f.key).map_or("", |(_, v)| v);
            let mut s = base.clone();
            let value = another(f, &(f.get)(&s), sample);
            let set_notes = (f.set)(&mut s, value.clone(), tables);
            assert!(set_notes.is_empty(), "{}: {set_notes:?}", f.key);
            assert_eq!((f.get)(&s), value, "{}: set then get", f.key);
            // What the page keeps after an edit (constraints between fields restored).
            s.normalize();
            assert_ne!(s, base, "{}: the value changes the state", f.key);
            let query = encode(&s);
            let (back, notes) = decode::<S>(&query, RESERVED, tables);
            assert_eq!(back, s, "{}: {query}", f.key);
            assert!(notes.is_empty(), "{}: {notes:?}", f.key);
            let written: Vec<String> = keys(&query);
            assert!(written.contains(&f.key.to_string()), "{} written", f.key);
            let mut expected: Vec<&str> =
                S::FIELDS.iter().filter(|g| (g.get)(&s) != Value::Unset).map(|g| g.key).collect();
            expected.sort_unstable();
            let mut got: Vec<&str> = written.iter().map(String::as_str).collect();
            got.sort_unstable();
            assert_eq!(got, expected, "keys written = fields set");
            let range = match f.kind {
                Kind::Int { min, max, .. } => Some((min as f64, max as f64)),
                Kind::Real { min, max, .. } => Some((min, max)),
                Kind::Choice(_) | Kind::Text { .. } => None,
            };
            if let Some((min, max)) = range {
                for (raw, want) in [(max * 10.0 + 1.0, max), (min - 1.0 - min.abs(), min)] {
                    let (v, note) = parse_value(f, &raw.to_string()).unwrap();
                    assert_eq!(v.as_f64(), want, "{} {raw}", f.key);
                    let note = note.unwrap_or_else(|| panic!("{} {raw}: no note", f.key)).to_string();
                    assert!(note.contains(f.label) && note.contains("clamped"), "{note}");
                }
                let note = parse_value(f, "abc").unwrap_err().to_string();
                assert!(note.contains(f.label) && note.contains("not valid"), "{note}");
            }
        }
    }

    #[test]
    fn every_parameter_round_trips_through_the_url_and_is_clamped_with_a_note() {
        let explorer = ExplorerParams::default();
        // A table too large for the link, stored in this browser (the `csvh` field's sample).
        let rows: String = (0..150).map(|i| format!("{},{i}\n", i as f64 / 7.0)).collect();
        let big = super::table::UserTable::from_csv(&rows).unwrap();
        let tables = Tables(MemoryStorage::default());
        tables.store(&big).unwrap();
        check_described(
            explorer,
            &[
                ("pts", "1:2,-0.5:0.25"),
                ("csv", "1,2\n3,4"),
                ("csvh", big.hash()),
                ("phi", "sin(3*x)+0.1*x"),
                ("fx", "x^2/4-1"),
            ],
            &tables,
        );
        check_described(CatapultParams::default(), &[], &NoTables);
        check_described(super::single::SingleParams::default(), &[("phi", "sin(3*x)+0.1*x")], &NoTables);
        check_described(super::phase::PhaseParams::default(), &[("phi", "sin(3*x)+0.1*x")], &NoTables);
        check_described(
            WidthsParams::default().with_axis(AxisChoice::Depth),
            &[("axv", "2,4"), ("alphas", "0.5,2")],
            &NoTables,
        );
    }

    #[test]
    fn unknown_keys_and_bad_values_keep_the_defaults_with_notes() {
        let (s, notes) = decode::<ExplorerParams>(
            "?depth=0&width=1e9&lr=NaN&act=%3Cscript%3E&k=99999999&zzz=1&sw2=-3&view=widths",
            RESERVED,
            &NoTables,
        );
        let d = ExplorerParams::default();
        assert_eq!(s.arch.depth, 1);
        assert_eq!(s.training.width, explorer::MAX_WIDTH);
        assert_eq!(s.training.lr, d.training.lr);
        assert_eq!(s.arch.activation, d.arch.activation);
        assert_eq!(s.arch.sw2, 0.01);
        assert_eq!(s.display.shown_step, Some(s.training.steps), "clamped to the steps");
        // depth, width, lr, act, k (range), zzz, sw2, k (steps): `view` is the page's own.
        assert_eq!(notes.len(), 8, "{notes:?}");
        let (s, notes) =
            decode::<ExplorerParams>("data=user&pts=1:2,x:1,9:0.5,0.1234:-7,,NaN:1", RESERVED, &NoTables);
        assert_eq!(s.data.points, vec![(1.0, 2.0), explorer::user_point(9.0, 0.5), (0.123, -2.5)]);
        assert_eq!(notes.len(), 4, "{notes:?}");
    }

    #[test]
    fn a_formula_target_travels_in_the_link_and_a_bad_one_keeps_the_previous() {
        let (s, notes) =
            decode::<ExplorerParams>("data=formula&fx=x%5E2%2F4&noise=0&n=9", RESERVED, &NoTables);
        assert!(notes.is_empty(), "{notes:?}");
        assert_eq!(s.data.formula.source(), "x^2/4");
        // The default is written canonically (the field leaves it out of the link by its text).
        assert_eq!(explorer::default_formula().source(), explorer::DEFAULT_FORMULA);
        assert_eq!(decode::<ExplorerParams>(&encode(&s), RESERVED, &NoTables).0, s);
        let p = crate::problem::problem(&s.data, s.seed).unwrap();
        assert_eq!(p.points.x_train.len(), 9);
        for (x, &y) in p
            .points
            .x_train
            .iter()
            .zip(&p.points.y_train)
            .chain(p.points.x_test.iter().zip(p.points.y_test.as_ref().unwrap()))
        {
            let direct = x[0] * x[0] / 4.0;
            assert!((y - direct).abs() <= 1e-15 * (1.0 + direct), "x = {}: {y} vs {direct}", x[0]);
        }
        for (bad, reason) in [("x^", "parse"), ("1/x", "not finite")] {
            let mut t = s.clone();
            let notes = (ExplorerParams::FORMULA.set)(&mut t, Value::Text(bad.into()), &NoTables);
            assert_eq!(t, s, "{bad}: the previous formula stays");
            let text = notes.iter().map(ToString::to_string).collect::<String>();
            assert!(text.contains(reason), "{bad}: {text}");
        }
    }

    #[test]
    fn a_typed_phi_travels_in_the_link_and_a_bad_one_keeps_the_previous_with_its_reason() {
        use ntk_core::Activation;
        let (s, notes) = decode::<ExplorerParams>("act=custom&phi=x*tanh(x)", RESERVED, &NoTables);
        assert!(notes.is_empty(), "{notes:?}");
        let Activation::Custom(c) = s.arch.activation else { panic!("{:?}", s.arch.activation) };
        assert_eq!(c.source(), "x*tanh(x)");
        assert_eq!(decode::<ExplorerParams>(&encode(&s), RESERVED, &NoTables).0, s);
        // "custom" alone: the default expression.
        let (s, _) = decode::<ExplorerParams>("act=custom", RESERVED, &NoTables);
        assert_eq!((ExplorerParams::PHI.get)(&s), Value::Text(arch::DEFAULT_PHI.into()));
        // Each kind of bad expression: a note with the reason, the previous φ kept.
        for (bad, reason) in
            [("x*(", "parse"), ("foo(x)", "unknown function"), ("exp(x*x)", "grows"), ("1/x", "finite")]
        {
            let mut t = s.clone();
            let notes = (ExplorerParams::PHI.set)(&mut t, Value::Text(bad.into()), &NoTables);
            assert_eq!(t, s, "{bad}: the previous φ stays");
            assert_eq!(notes.len(), 1, "{bad}");
            let text = notes[0].to_string();
            assert!(text.contains(bad) && text.to_lowercase().contains(reason), "{bad}: {text}");
        }
    }
}
