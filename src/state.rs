//! The shareable state of the explorer (architecture, data, training, seed, time shown) and its
//! URL form. Every parameter is described once in [`PARAMS`]; parsing and serialising both loop
//! over that table. Parsing never fails: a bad or out-of-range value is clamped or replaced by
//! its default, with a note the page shows.

use std::fmt::Write as _;

use ntk_core::datasets::{Target1d, Target2d, X_RANGE};
use ntk_core::{Activation, Parameterization};

/// Everything a link reproduces (conventions of docs/MATH.md: σ's are variances, time t = η·k).
#[derive(Clone, Debug, PartialEq)]
pub struct ExplorerParams {
    /// hidden layers L
    pub depth: usize,
    /// hidden width n of the finite networks
    pub width: usize,
    /// nonlinearity φ
    pub activation: Activation,
    /// σ_w²
    pub sw2: f64,
    /// σ_b²
    pub sb2: f64,
    /// NTK or standard parameterization of the finite networks
    pub param: Parameterization,
    /// learning rate η
    pub lr: f64,
    /// gradient-descent steps K
    pub steps: u64,
    /// ensemble size M
    pub members: usize,
    /// seed of the data and of the networks
    pub seed: u64,
    /// the data set
    pub data: DataChoice,
    /// the user's training points (x, y) of the `user` data set, kept when another set is shown
    pub points: Vec<(f64, f64)>,
    /// 2-D sets: the segment x(α) = αx₁ + (1 − α)x₂ runs between training points `seg.0` (x₁)
    /// and `seg.1` (x₂) (indices clamped to the training set)
    pub seg: (usize, usize),
    /// individual member functions drawn (paper SM Fig. S1)
    pub curves: usize,
    /// number of training points N
    pub n_train: usize,
    /// standard deviation of the target noise
    pub noise: f64,
    /// the step whose predictions are shown (0 ..= steps)
    pub shown_step: u64,
}

impl Default for ExplorerParams {
    /// The neural-tangents cookbook's network and data, with fewer members and steps so the
    /// first view fills in within seconds.
    fn default() -> Self {
        ExplorerParams {
            depth: 2,
            width: 256,
            activation: Activation::Erf,
            sw2: 2.25,
            sb2: 0.0025,
            param: Parameterization::Ntk,
            lr: 0.1,
            steps: 3000,
            members: 20,
            seed: 1,
            data: DataChoice::Sin,
            points: Vec::new(),
            seg: (0, 1),
            curves: 3,
            n_train: 5,
            noise: 0.1,
            shown_step: 3000,
        }
    }
}

/// The data sets offered: 1-D targets, the user's own points, 2-D targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataChoice {
    /// y = sin x
    Sin,
    /// y = sign x
    Step,
    /// points placed on the plot by the user
    User,
    /// 2-D smooth surface
    Surface,
    /// 2-D ±1 labels (XOR)
    Xor,
}

impl DataChoice {
    /// URL / select names, in select order.
    pub const NAMES: [&'static str; 5] = ["sin", "step", "user", "surface", "xor"];

    /// Its URL name.
    pub fn name(self) -> &'static str {
        match self {
            DataChoice::Sin => "sin",
            DataChoice::Step => "step",
            DataChoice::User => "user",
            DataChoice::Surface => "surface",
            DataChoice::Xor => "xor",
        }
    }

    /// Parses a name of [`DataChoice::NAMES`].
    pub fn from_name(name: &str) -> Option<Self> {
        DataChoice::NAMES.iter().position(|n| *n == name).map(|i| {
            [DataChoice::Sin, DataChoice::Step, DataChoice::User, DataChoice::Surface, DataChoice::Xor][i]
        })
    }

    /// The 1-D target, if this is a generated 1-D set.
    pub fn target_1d(self) -> Option<Target1d> {
        match self {
            DataChoice::Sin => Some(Target1d::Sin),
            DataChoice::Step => Some(Target1d::Step),
            _ => None,
        }
    }

    /// The 2-D target, if this is a 2-D set.
    pub fn target_2d(self) -> Option<Target2d> {
        match self {
            DataChoice::Surface => Some(Target2d::Surface),
            DataChoice::Xor => Some(Target2d::Xor),
            _ => None,
        }
    }
}

/// Most training points (generated or placed).
pub const MAX_TRAIN: usize = 40;
/// Range of a user point's target y.
pub const USER_Y_RANGE: (f64, f64) = (-2.5, 2.5);
/// Most member functions drawn individually.
pub const MAX_CURVES: u64 = 10;

/// A user point moved into the plot's range and rounded to 3 decimals (what the URL keeps).
pub fn user_point(x: f64, y: f64) -> (f64, f64) {
    let round = |v: f64| (v * 1000.0).round() / 1000.0;
    let x = round(x.clamp(X_RANGE.0, X_RANGE.1));
    // Rounding may step just outside ±π: step back by one unit of the last decimal.
    let x = if x > X_RANGE.1 {
        x - 0.001
    } else if x < X_RANGE.0 {
        x + 0.001
    } else {
        x
    };
    (round(x), round(y.clamp(USER_Y_RANGE.0, USER_Y_RANGE.1)))
}

/// The kind and range of a URL parameter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    /// an integer in [min, max]
    Int { min: u64, max: u64 },
    /// a real number in [min, max]
    Real { min: f64, max: f64 },
    /// one of a list of names
    Name(&'static [&'static str]),
}

/// One URL parameter: its key, label and range.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Param {
    /// key in the query string
    pub key: &'static str,
    /// what it is, for notes
    pub label: &'static str,
    /// accepted values
    pub kind: Kind,
}

/// Activation names offered by the page.
pub const ACTIVATIONS: [&str; 8] = ["erf", "relu", "tanh", "identity", "sin", "gelu", "softplus", "sigmoid"];
/// Parameterization names.
pub const PARAMETERIZATIONS: [&str; 2] = ["ntk", "standard"];

/// Largest width offered.
pub const MAX_WIDTH: u64 = 2048;
/// Largest ensemble.
pub const MAX_MEMBERS: u64 = 200;
/// Most training steps.
pub const MAX_STEPS: u64 = 100_000;

/// Every URL parameter, in URL order.
pub const PARAMS: [Param; 17] = [
    Param { key: "depth", label: "depth", kind: Kind::Int { min: 1, max: 10 } },
    Param { key: "width", label: "width", kind: Kind::Int { min: 8, max: MAX_WIDTH } },
    Param { key: "act", label: "activation", kind: Kind::Name(&ACTIVATIONS) },
    Param { key: "sw2", label: "σ_w²", kind: Kind::Real { min: 0.01, max: 10.0 } },
    Param { key: "sb2", label: "σ_b²", kind: Kind::Real { min: 0.0, max: 4.0 } },
    Param { key: "param", label: "parameterization", kind: Kind::Name(&PARAMETERIZATIONS) },
    Param { key: "lr", label: "learning rate", kind: Kind::Real { min: 1e-4, max: 100.0 } },
    Param { key: "steps", label: "steps", kind: Kind::Int { min: 1, max: MAX_STEPS } },
    Param { key: "members", label: "ensemble size", kind: Kind::Int { min: 1, max: MAX_MEMBERS } },
    Param { key: "seed", label: "seed", kind: Kind::Int { min: 0, max: 1 << 53 } },
    Param { key: "data", label: "data set", kind: Kind::Name(&DataChoice::NAMES) },
    Param { key: "n", label: "training points", kind: Kind::Int { min: 1, max: MAX_TRAIN as u64 } },
    Param { key: "noise", label: "noise", kind: Kind::Real { min: 0.0, max: 1.0 } },
    Param { key: "k", label: "shown step", kind: Kind::Int { min: 0, max: MAX_STEPS } },
    Param { key: "sa", label: "segment end x₁", kind: Kind::Int { min: 0, max: MAX_TRAIN as u64 - 1 } },
    Param { key: "sb", label: "segment end x₂", kind: Kind::Int { min: 0, max: MAX_TRAIN as u64 - 1 } },
    Param { key: "curves", label: "member functions drawn", kind: Kind::Int { min: 0, max: MAX_CURVES } },
];

/// URL key of the user's points: `pts=x:y,x:y,…`.
pub const POINTS_KEY: &str = "pts";

/// A parsed value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// an integer
    Int(u64),
    /// a real number
    Real(f64),
    /// one of a list of names
    Name(&'static str),
}

impl ExplorerParams {
    fn get(&self, key: &str) -> Value {
        match key {
            "depth" => Value::Int(self.depth as u64),
            "width" => Value::Int(self.width as u64),
            "act" => Value::Name(activation_name(self.activation)),
            "sw2" => Value::Real(self.sw2),
            "sb2" => Value::Real(self.sb2),
            "param" => Value::Name(if self.param == Parameterization::Ntk { "ntk" } else { "standard" }),
            "lr" => Value::Real(self.lr),
            "steps" => Value::Int(self.steps),
            "members" => Value::Int(self.members as u64),
            "seed" => Value::Int(self.seed),
            "data" => Value::Name(self.data.name()),
            "n" => Value::Int(self.n_train as u64),
            "noise" => Value::Real(self.noise),
            "k" => Value::Int(self.shown_step),
            "sa" => Value::Int(self.seg.0 as u64),
            "sb" => Value::Int(self.seg.1 as u64),
            "curves" => Value::Int(self.curves as u64),
            _ => unreachable!("every key of PARAMS is handled"),
        }
    }

    fn set(&mut self, key: &str, value: Value) {
        match (key, value) {
            ("depth", Value::Int(v)) => self.depth = v as usize,
            ("width", Value::Int(v)) => self.width = v as usize,
            ("act", Value::Name(v)) => self.activation = v.parse().unwrap_or(Activation::Erf),
            ("sw2", Value::Real(v)) => self.sw2 = v,
            ("sb2", Value::Real(v)) => self.sb2 = v,
            ("param", Value::Name(v)) => self.param = v.parse().unwrap_or_default(),
            ("lr", Value::Real(v)) => self.lr = v,
            ("steps", Value::Int(v)) => self.steps = v,
            ("members", Value::Int(v)) => self.members = v as usize,
            ("seed", Value::Int(v)) => self.seed = v,
            ("data", Value::Name(v)) => self.data = DataChoice::from_name(v).unwrap_or(DataChoice::Sin),
            ("n", Value::Int(v)) => self.n_train = v as usize,
            ("noise", Value::Real(v)) => self.noise = v,
            ("k", Value::Int(v)) => self.shown_step = v,
            ("sa", Value::Int(v)) => self.seg.0 = v as usize,
            ("sb", Value::Int(v)) => self.seg.1 = v as usize,
            ("curves", Value::Int(v)) => self.curves = v as usize,
            _ => {}
        }
    }

    /// The query string of this state (`depth=2&width=256&…`), every parameter included.
    pub fn to_query(&self) -> String {
        let mut q = String::new();
        for (i, p) in PARAMS.iter().enumerate() {
            if i > 0 {
                q.push('&');
            }
            let _ = match self.get(p.key) {
                Value::Int(v) => write!(q, "{}={v}", p.key),
                Value::Real(v) => write!(q, "{}={v}", p.key),
                Value::Name(v) => write!(q, "{}={v}", p.key),
            };
        }
        if !self.points.is_empty() {
            let _ = write!(q, "&{POINTS_KEY}=");
            for (i, (x, y)) in self.points.iter().enumerate() {
                let _ = write!(q, "{}{x}:{y}", if i > 0 { "," } else { "" });
            }
        }
        q
    }

    /// Parses a query string (with or without the leading `?`). Never fails: unknown keys are
    /// ignored, bad values fall back to the default and out-of-range values are clamped, each
    /// with a note for the page. The shown step is clamped to the number of steps.
    pub fn from_query(query: &str) -> (ExplorerParams, Vec<String>) {
        let mut state = ExplorerParams::default();
        let mut notes = Vec::new();
        let mut seen_k = false;
        for pair in query.trim_start_matches('?').split('&').filter(|s| !s.is_empty()) {
            let (key, raw) = pair.split_once('=').unwrap_or((pair, ""));
            let (key, raw) = (percent_decode(key), percent_decode(raw));
            if key == "view" {
                continue;
            }
            if key == POINTS_KEY {
                let (points, mut bad) = parse_points(&raw);
                state.points = points;
                notes.append(&mut bad);
                continue;
            }
            let Some(param) = PARAMS.iter().find(|p| p.key == key) else {
                notes.push(format!("ignored unknown link parameter '{}'", shorten(&key)));
                continue;
            };
            seen_k |= param.key == "k";
            match parse_value(param, raw.trim()) {
                Ok((value, None)) => state.set(param.key, value),
                Ok((value, Some(note))) => {
                    notes.push(note);
                    state.set(param.key, value);
                }
                Err(note) => notes.push(note),
            }
        }
        if !seen_k || state.shown_step > state.steps {
            if seen_k {
                notes.push(format!("shown step clamped to the {} training steps", state.steps));
            }
            state.shown_step = state.steps;
        }
        (state, notes)
    }
}

/// Parses `x:y,x:y,…` into user points (each moved into range and rounded like
/// [`user_point`], at most [`MAX_TRAIN`]), with a note for each entry dropped or moved.
fn parse_points(raw: &str) -> (Vec<(f64, f64)>, Vec<String>) {
    let mut points = Vec::new();
    let mut notes = Vec::new();
    for entry in raw.split(',').filter(|e| !e.trim().is_empty()) {
        let parsed = entry.split_once(':').and_then(|(x, y)| {
            let (x, y) = (x.trim().parse::<f64>().ok()?, y.trim().parse::<f64>().ok()?);
            (x.is_finite() && y.is_finite()).then_some((x, y))
        });
        match parsed {
            None => {
                notes.push(format!("training point '{}' is not x:y with numbers: left out", shorten(entry)))
            }
            Some(_) if points.len() == MAX_TRAIN => {
                notes.push(format!("more than {MAX_TRAIN} training points: the rest are left out"));
                break;
            }
            Some((x, y)) => {
                let p = user_point(x, y);
                if p != (x, y) {
                    notes.push(format!(
                        "training point {}:{} moved to {}:{}",
                        shorten(&x.to_string()),
                        shorten(&y.to_string()),
                        p.0,
                        p.1
                    ));
                }
                points.push(p);
            }
        }
    }
    (points, notes)
}

/// Parses `query` against a table of parameters: calls `set` with each usable value (clamped
/// ones included) and returns the notes (unknown keys, clamped or unusable values). Keys in
/// `silent` are skipped without a note (those of the page, such as `view`).
pub fn parse_query(
    query: &str,
    table: &[Param],
    silent: &[&str],
    mut set: impl FnMut(&'static str, Value),
) -> Vec<String> {
    let mut notes = Vec::new();
    for pair in query.trim_start_matches('?').split('&').filter(|s| !s.is_empty()) {
        let (key, raw) = pair.split_once('=').unwrap_or((pair, ""));
        let (key, raw) = (percent_decode(key), percent_decode(raw));
        if silent.contains(&key.as_str()) {
            continue;
        }
        let Some(param) = table.iter().find(|p| p.key == key) else {
            notes.push(format!("ignored unknown link parameter '{}'", shorten(&key)));
            continue;
        };
        match parse_value(param, raw.trim()) {
            Ok((value, note)) => {
                notes.extend(note);
                set(param.key, value);
            }
            Err(note) => notes.push(note),
        }
    }
    notes
}

/// The query string `key=value&…` of a table of parameters, values from `get`.
pub fn write_query(table: &[Param], get: impl Fn(&str) -> Value) -> String {
    let mut q = String::new();
    for (i, p) in table.iter().enumerate() {
        if i > 0 {
            q.push('&');
        }
        let _ = match get(p.key) {
            Value::Int(v) => write!(q, "{}={v}", p.key),
            Value::Real(v) => write!(q, "{}={v}", p.key),
            Value::Name(v) => write!(q, "{}={v}", p.key),
        };
    }
    q
}

/// The URL name of an activation.
pub fn activation_name(a: Activation) -> &'static str {
    match a {
        Activation::Relu => "relu",
        Activation::LeakyRelu { .. } => "leaky_relu",
        Activation::Erf => "erf",
        Activation::Identity => "identity",
        Activation::Sin => "sin",
        Activation::Gelu => "gelu",
        Activation::Tanh => "tanh",
        Activation::Softplus => "softplus",
        Activation::Sigmoid => "sigmoid",
    }
}

/// At most 24 characters of `s` (for notes about hostile input).
pub fn shorten(s: &str) -> String {
    let mut out: String = s.chars().take(24).collect();
    if s.chars().count() > 24 {
        out.push('…');
    }
    out
}

/// A value and an optional note (when it was clamped), or a note (when it was unusable).
pub fn parse_value(param: &Param, raw: &str) -> Result<(Value, Option<String>), String> {
    let bad = || format!("{} '{}' is not valid: kept the default", param.label, shorten(raw));
    match param.kind {
        Kind::Int { min, max } => {
            let v: f64 = raw.parse().map_err(|_| bad())?;
            if !v.is_finite() {
                return Err(bad());
            }
            let clamped = v.round().clamp(min as f64, max as f64);
            let note =
                (clamped != v).then(|| format!("{} {} clamped to {}", param.label, shorten(raw), clamped));
            Ok((Value::Int(clamped as u64), note))
        }
        Kind::Real { min, max } => {
            let v: f64 = raw.parse().map_err(|_| bad())?;
            if !v.is_finite() {
                return Err(bad());
            }
            let clamped = v.clamp(min, max);
            let note =
                (clamped != v).then(|| format!("{} {} clamped to {}", param.label, shorten(raw), clamped));
            Ok((Value::Real(clamped), note))
        }
        Kind::Name(names) => {
            let lower = raw.to_ascii_lowercase();
            names.iter().find(|n| **n == lower).map(|n| (Value::Name(n), None)).ok_or_else(bad)
        }
    }
}

/// Decodes `%XX` escapes and `+` (invalid escapes are kept as they are).
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"), 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

    /// Every field within the ranges of [`PARAMS`].
    fn assert_valid(s: &ExplorerParams, query: &str) {
        for p in &PARAMS {
            match (p.kind, s.get(p.key)) {
                (Kind::Int { min, max }, Value::Int(v)) => {
                    assert!((min..=max).contains(&v), "{query}: {}", p.key)
                }
                (Kind::Real { min, max }, Value::Real(v)) => {
                    assert!(v.is_finite() && v >= min && v <= max, "{query}: {}", p.key)
                }
                (Kind::Name(names), Value::Name(v)) => assert!(names.contains(&v), "{query}: {}", p.key),
                (kind, value) => panic!("{query}: {} has {value:?} for {kind:?}", p.key),
            }
        }
        assert!(s.shown_step <= s.steps, "{query}");
        assert!(s.points.len() <= MAX_TRAIN, "{query}");
        for &(x, y) in &s.points {
            assert!((X_RANGE.0..=X_RANGE.1).contains(&x), "{query}: point x {x}");
            assert!((USER_Y_RANGE.0..=USER_Y_RANGE.1).contains(&y), "{query}: point y {y}");
            assert_eq!(user_point(x, y), (x, y), "{query}: point not in its rounded form");
        }
    }

    #[test]
    fn random_and_hostile_queries_always_give_a_valid_state() {
        // A seeded generator of query strings made of keys, separators, escapes, numbers and junk.
        let mut rng = ntk_core::rng::Normal::new(42);
        let pieces = [
            "depth",
            "width",
            "act",
            "sw2",
            "sb2",
            "param",
            "lr",
            "steps",
            "members",
            "seed",
            "data",
            "n",
            "noise",
            "k",
            "sa",
            "sb",
            "curves",
            "pts",
            ":",
            ",",
            "user",
            "xor",
            "=",
            "&",
            "==",
            "&&",
            "%",
            "%2",
            "%zz",
            "%26",
            "%3D",
            "+",
            "-",
            ".",
            "e",
            "1e308",
            "-1e308",
            "NaN",
            "inf",
            "-0",
            "0",
            "1",
            "7",
            "0.5",
            "99999999999999999999",
            "tanh",
            "relu",
            "ntk",
            "step",
            "sin",
            "\u{0}",
            "é",
            "🙂",
            " ",
            "?",
            "#",
            "<script>",
        ];
        for _ in 0..3000 {
            let len = (rng.uniform() * 24.0) as usize;
            let query: String =
                (0..len).map(|_| pieces[(rng.uniform() * pieces.len() as f64) as usize]).collect();
            let (state, _notes) = ExplorerParams::from_query(&query);
            assert_valid(&state, &query);
            let (again, notes) = ExplorerParams::from_query(&state.to_query());
            assert_eq!(again, state, "{query}");
            assert!(notes.is_empty(), "{query}: {notes:?}");
        }
    }

    #[test]
    fn round_trip() {
        let s = ExplorerParams {
            activation: Activation::Tanh,
            lr: 0.37,
            shown_step: 17,
            data: DataChoice::User,
            points: vec![(-1.5, 0.25), (0.001, -2.5), (3.0, 1.0)],
            seg: (3, 7),
            curves: 0,
            ..ExplorerParams::default()
        };
        let (back, notes) = ExplorerParams::from_query(&s.to_query());
        assert_eq!(back, s);
        assert!(notes.is_empty(), "{notes:?}");
    }

    #[test]
    fn hostile_values_are_clamped_or_rejected_with_notes() {
        let (s, notes) =
            ExplorerParams::from_query("?depth=0&width=1e9&lr=NaN&act=%3Cscript%3E&k=99999999&zzz=1&sw2=-3");
        assert_eq!(s.depth, 1);
        assert_eq!(s.width, MAX_WIDTH as usize);
        assert_eq!(s.lr, ExplorerParams::default().lr);
        assert_eq!(s.activation, Activation::Erf);
        assert_eq!(s.sw2, 0.01);
        assert_eq!(s.shown_step, s.steps);
        assert_eq!(notes.len(), 8, "{notes:?}");
        let (s, notes) = ExplorerParams::from_query("data=user&pts=1:2,x:1,9:0.5,0.1234:-7,,NaN:1");
        assert_eq!(s.data, DataChoice::User);
        assert_eq!(s.points, vec![(1.0, 2.0), user_point(9.0, 0.5), (0.123, -2.5)]);
        assert_eq!(s.points[1].0, (std::f64::consts::PI * 1000.0).floor() / 1000.0, "x clamped into [−π, π]");
        assert_eq!(notes.len(), 4, "{notes:?}");
        let many: Vec<String> = (0..50).map(|i| format!("0.{i:02}:0")).collect();
        let (s, notes) = ExplorerParams::from_query(&format!("pts={}", many.join(",")));
        assert_eq!(s.points.len(), MAX_TRAIN);
        assert_eq!(notes.len(), 1, "{notes:?}");
    }
}
