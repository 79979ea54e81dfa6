//! The explorer's shareable state: the architecture, the data, the training of the finite
//! networks, the seed and what is displayed, and the keys the theory and the ensemble run are
//! cached by ([`TheoryKey`], [`RunKey`]).

use ntk_core::datasets::{Target1d, Target2d, X_RANGE};
use ntk_core::nets::output_scale::ALPHA_RANGE;
use ntk_core::Architecture;

use super::arch::{self, ArchFields, ACTIVATIONS};
use super::notes::Note;
use super::table::{is_hash, UserTable, MAX_TABLE_BYTES};
use super::{Described, Field, Kind, Value};
use crate::{choice_field, int_field, optional_real_field, real_field};
use ntk_core::datasets::formula::Formula;

/// Everything an explorer link reproduces (conventions of docs/MATH.md: σ's are variances,
/// time t = η·k).
#[derive(Clone, Debug, PartialEq)]
pub struct ExplorerParams {
    /// depth, φ, σ_w², σ_b², parameterization
    pub arch: Architecture,
    /// the data set
    pub data: DataParams,
    /// how the finite networks are trained
    pub training: TrainingParams,
    /// seed of the data and of the networks
    pub seed: u64,
    /// what is shown of the run
    pub display: DisplayParams,
}

/// The data set and the test points shown.
#[derive(Clone, Debug, PartialEq)]
pub struct DataParams {
    /// which set
    pub set: DataChoice,
    /// number of generated training points N
    pub n_train: usize,
    /// standard deviation of the generated targets' noise
    pub noise: f64,
    /// the user's training points (x, y) of the `user` set, kept when another set is shown
    pub points: Vec<(f64, f64)>,
    /// the user's data table of the `table` set (pasted, uploaded or opened), kept when
    /// another set is shown
    pub table: Option<UserTable>,
    /// the target formula y = f(x) of the `formula` set, kept when another set is shown
    pub formula: Formula,
    /// 2-D sets: the segment x(α) = αx₁ + (1 − α)x₂ runs between training points `seg.0` (x₁)
    /// and `seg.1` (x₂) (clamped to the training set)
    pub seg: (usize, usize),
}

/// The finite networks and their training.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainingParams {
    /// hidden width n
    pub width: usize,
    /// learning rate η
    pub lr: f64,
    /// gradient-descent steps K
    pub steps: u64,
    /// ensemble size M
    pub members: usize,
    /// Chizat's output scale α: the networks are trained and shown as g = α (f − f₀) on the
    /// loss scaled by 1/α² (`None`: f itself, the paper's setting)
    pub alpha: Option<f64>,
    /// also train each member's quadratic model `f_quad = f₀ + J₀δ + ½ δᵀH₀δ` (δ = θ − θ₀;
    /// docs/MATH.md "The quadratic model") and draw its ensemble beside the network's
    pub quadratic: bool,
}

/// What is drawn of a run (changes nothing computed).
#[derive(Clone, Debug, PartialEq)]
pub struct DisplayParams {
    /// the step shown (0 ..= steps), or `None` to follow training: the newest checkpoint the
    /// ensemble has reached, the last step once it is done
    pub shown_step: Option<u64>,
    /// individual member functions drawn (paper SM Fig. S1)
    pub curves: usize,
}

/// What the analytic theory depends on: the architecture and the data (with its seed).
#[derive(Clone, Debug, PartialEq)]
pub struct TheoryKey {
    /// the architecture
    pub arch: Architecture,
    /// the data set
    pub data: DataParams,
    /// its seed
    pub seed: u64,
}

/// What an ensemble run depends on: the theory's inputs and the training.
#[derive(Clone, Debug, PartialEq)]
pub struct RunKey {
    /// architecture and data
    pub theory: TheoryKey,
    /// width, η, steps, members
    pub training: TrainingParams,
}

impl ExplorerParams {
    /// The inputs of the theory.
    pub fn theory_key(&self) -> TheoryKey {
        TheoryKey { arch: self.arch, data: self.data.clone(), seed: self.seed }
    }

    /// The inputs of the ensemble run.
    pub fn run_key(&self) -> RunKey {
        RunKey { theory: self.theory_key(), training: self.training.clone() }
    }
}

impl ExplorerParams {
    /// The `ntk spectrum` command printing the spectrum panel's numbers at step `step`, for the
    /// generated sets the command can make (`None` for the user's points, tables, formulas, and
    /// the xor set with noise, which the command draws noise-free).
    pub fn spectrum_command(&self, step: u64) -> Option<String> {
        let (arch, data) = (self.arch_flags(), self.data_flags()?);
        Some(format!("ntk spectrum {arch} {data} --lr {} --steps {step}", self.training.lr))
    }

    /// The `ntk ensemble` command printing the statistics of the explorer's ensemble run (the
    /// same members, checkpoints and numbers on the generated set's test points; on the 2-D
    /// sets the page also evaluates the segment, which the command leaves out), for the sets
    /// [`ExplorerParams::spectrum_command`] can name.
    pub fn ensemble_command(&self) -> Option<String> {
        let (arch, data) = (self.arch_flags(), self.data_flags()?);
        let t = &self.training;
        Some(format!(
            "ntk ensemble {arch} --param {} --width {} --members {} --lr {} --steps {} {data} --seed {} --checkpoints {}",
            self.arch.param,
            t.width,
            t.members,
            t.lr,
            t.steps,
            self.seed,
            crate::services::ensemble::CHECKPOINTS
        ) + &t.alpha.map_or(String::new(), |a| format!(" --alpha {a}"))
            + if t.quadratic { " --quadratic" } else { "" })
    }

    /// `--act φ --depth L --sw2 σ_w² --sb2 σ_b²` of the commands.
    fn arch_flags(&self) -> String {
        let a = &self.arch;
        let act = match a.activation {
            ntk_core::Activation::Custom(c) => format!("'custom:{}'", c.source()),
            other => arch::activation_name(other).to_string(),
        };
        format!("--act {act} --depth {} --sw2 {} --sb2 {}", a.depth, a.sw2, a.sb2)
    }

    /// `--data NAME --points N --noise S --data-seed S` of the commands: `None` for the user's
    /// points, tables, formulas, and the xor set with noise (the commands draw it noise-free).
    fn data_flags(&self) -> Option<String> {
        let name = match self.data.set {
            DataChoice::Sin | DataChoice::Step | DataChoice::Surface => self.data.set.name(),
            DataChoice::Xor if self.data.noise == 0.0 => "xor",
            _ => return None,
        };
        Some(format!(
            "--data {name} --points {} --noise {} --data-seed {}",
            self.data.n_train, self.data.noise, self.seed
        ))
    }
}

impl Default for ExplorerParams {
    /// The neural-tangents cookbook's network and data (2 erf layers, σ_w² = 2.25,
    /// σ_b² = 0.0025, 5 noisy sine points), width 256, 20 members, 3,000 steps.
    fn default() -> Self {
        ExplorerParams {
            arch: arch::COOKBOOK_ARCH,
            data: DataParams {
                set: DataChoice::Sin,
                n_train: 5,
                noise: 0.1,
                points: Vec::new(),
                table: None,
                formula: default_formula(),
                seg: (0, 1),
            },
            training: TrainingParams {
                width: 256,
                lr: 0.1,
                steps: 3000,
                members: 20,
                alpha: None,
                quadratic: false,
            },
            seed: 1,
            display: DisplayParams { shown_step: None, curves: 3 },
        }
    }
}

/// The data sets offered: 1-D targets, the user's own points or table, 2-D targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataChoice {
    /// y = sin x
    Sin,
    /// y = sign x
    Step,
    /// y = a formula in x typed by the user
    Formula,
    /// points placed on the plot by the user
    User,
    /// the user's data table (CSV, 1-D or 2-D)
    Table,
    /// 2-D smooth surface
    Surface,
    /// 2-D ±1 labels (XOR)
    Xor,
}

impl DataChoice {
    /// Every set, in select order.
    pub const ALL: [DataChoice; 7] = [
        DataChoice::Sin,
        DataChoice::Step,
        DataChoice::Formula,
        DataChoice::User,
        DataChoice::Table,
        DataChoice::Surface,
        DataChoice::Xor,
    ];
    /// URL / select names, in select order.
    pub const NAMES: [&'static str; 7] = ["sin", "step", "formula", "user", "table", "surface", "xor"];

    /// Its URL name.
    pub fn name(self) -> &'static str {
        Self::NAMES[Self::ALL.iter().position(|c| *c == self).unwrap_or(0)]
    }

    /// Parses a name of [`DataChoice::NAMES`].
    pub fn from_name(name: &str) -> Option<Self> {
        Self::NAMES.iter().position(|n| *n == name).map(|i| Self::ALL[i])
    }

    /// The 1-D target, if this is a generated 1-D set.
    pub fn target_1d(self) -> Option<Target1d> {
        match self {
            DataChoice::Sin => Some(Target1d::Sin),
            DataChoice::Step => Some(Target1d::Step),
            _ => None,
        }
    }

    /// Whether the set is generated in 1-D from a target function (built-in or typed).
    pub fn is_generated_1d(self) -> bool {
        self.target_1d().is_some() || self == DataChoice::Formula
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

impl DataParams {
    /// Input dimension d of the set shown (a table's own; 1 for the user's points and the
    /// generated 1-D sets, 2 for the generated 2-D sets).
    pub fn dim(&self) -> usize {
        match self.set {
            DataChoice::Table => self.table.as_ref().map_or(1, UserTable::dim),
            s if s.target_2d().is_some() => 2,
            _ => 1,
        }
    }
}

/// Most training points (generated or placed).
pub const MAX_TRAIN: usize = 40;
/// Range of a user point's target y.
pub const USER_Y_RANGE: (f64, f64) = (-2.5, 2.5);
/// Most member functions drawn individually.
pub const MAX_CURVES: usize = 10;
/// Largest width offered.
pub const MAX_WIDTH: usize = 2048;
/// Largest ensemble.
pub const MAX_MEMBERS: usize = 200;
/// Most training steps.
pub const MAX_STEPS: u64 = 100_000;
/// Longest list of user points a link may carry (characters).
const MAX_POINTS_TEXT: usize = 2000;

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

/// The text of user points: `x:y,x:y,…`.
pub fn points_text(points: &[(f64, f64)]) -> String {
    points.iter().map(|(x, y)| format!("{x}:{y}")).collect::<Vec<_>>().join(",")
}

/// Parses `x:y,x:y,…` into user points (each moved into range and rounded like
/// [`user_point`], at most [`MAX_TRAIN`]), with a note for each entry dropped or moved.
pub fn parse_points(raw: &str) -> (Vec<(f64, f64)>, Vec<Note>) {
    let mut points = Vec::new();
    let mut notes = Vec::new();
    for entry in raw.split(',').filter(|e| !e.trim().is_empty()) {
        let parsed = entry.split_once(':').and_then(|(x, y)| {
            let (x, y) = (x.trim().parse::<f64>().ok()?, y.trim().parse::<f64>().ok()?);
            (x.is_finite() && y.is_finite()).then_some((x, y))
        });
        match parsed {
            None => notes
                .push(Note::text("training point ").quote(entry).then(" is not x:y with numbers: left out")),
            Some(_) if points.len() == MAX_TRAIN => {
                notes.push(Note::text(format!(
                    "more than {MAX_TRAIN} training points: the rest are left out"
                )));
                break;
            }
            Some((x, y)) => {
                let p = user_point(x, y);
                if p != (x, y) {
                    notes.push(
                        Note::text("training point ").quote(entry).then(format!(" moved to {}:{}", p.0, p.1)),
                    );
                }
                points.push(p);
            }
        }
    }
    (points, notes)
}

crate::has_arch!(
    ExplorerParams,
    ArchFields {
        depth: Some(&Self::DEPTH),
        param: Some(&Self::PARAM),
        phi: Some(&Self::PHI),
        ..ArchFields::basic(&Self::ACTIVATION, &Self::SW2, &Self::SB2)
    }
);

impl ExplorerParams {
    /// Hidden layers.
    pub const DEPTH: Field<Self> = arch::depth(10);
    /// The nonlinearity.
    pub const ACTIVATION: Field<Self> = arch::activation(&ACTIVATIONS);
    /// The expression of a typed φ.
    pub const PHI: Field<Self> = arch::phi();
    /// σ_w².
    pub const SW2: Field<Self> = arch::sw2(0.01, 10.0, true);
    /// σ_b².
    pub const SB2: Field<Self> = arch::sb2(4.0);
    /// NTK or standard parameterization.
    pub const PARAM: Field<Self> = arch::param();
    /// Hidden width n.
    pub const WIDTH: Field<Self> = int_field!("width", "width n", 8, MAX_WIDTH, true, |s| s.training.width);
    /// Learning rate η.
    pub const LR: Field<Self> = real_field!("lr", "learning rate η", 1e-4, 100.0, true, |s| s.training.lr);
    /// Training steps K.
    pub const STEPS: Field<Self> =
        int_field!("steps", "training steps K", 1, MAX_STEPS, true, |s| s.training.steps);
    /// Ensemble size M.
    pub const MEMBERS: Field<Self> =
        int_field!("members", "ensemble size M", 1, MAX_MEMBERS, true, |s| s.training.members);
    /// Chizat's output scale α (log scale; left out of the link when off).
    pub const ALPHA: Field<Self> = optional_real_field!(
        "alpha",
        "output scale α (large: lazy, small: rich)",
        ALPHA_RANGE.0,
        ALPHA_RANGE.1,
        true,
        |s| s.training.alpha
    );
    /// The members' quadratic models beside the networks: `quad=1`, left out of the link when
    /// off.
    pub const QUADRATIC: Field<Self> =
        crate::flag_field!("quad", "quadratic models f₀ + J₀δ + ½ δᵀH₀δ", |s| s
            .training
            .quadratic);
    /// Seed of the data and the networks.
    pub const SEED: Field<Self> = int_field!("seed", "seed", 0, 1u64 << 53, false, |s| s.seed);
    /// The data set.
    pub const DATA: Field<Self> = choice_field!("data", "data set", DataChoice, |s| s.data.set);
    /// Generated training points N.
    pub const N_TRAIN: Field<Self> =
        int_field!("n", "training points N", 1, MAX_TRAIN, false, |s| s.data.n_train);
    /// Noise of the generated targets.
    pub const NOISE: Field<Self> =
        real_field!("noise", "target noise (std)", 0.0, 1.0, false, |s| s.data.noise);
    /// The step shown (left out of the link while the view follows training).
    pub const SHOWN_STEP: Field<Self> = Field {
        key: "k",
        label: "shown step",
        kind: Kind::Int { min: 0, max: MAX_STEPS, log: false },
        get: |s| s.display.shown_step.map_or(Value::Unset, Value::Int),
        set: |s, v, _| {
            if let Value::Int(k) = v {
                s.display.shown_step = Some(k);
            }
            Vec::new()
        },
    };
    /// First end of the 2-D segment.
    pub const SEG_A: Field<Self> =
        int_field!("sa", "segment end x₁ (training point #)", 0, MAX_TRAIN - 1, false, |s| s.data.seg.0);
    /// Second end of the 2-D segment.
    pub const SEG_B: Field<Self> =
        int_field!("sb", "segment end x₂ (training point #)", 0, MAX_TRAIN - 1, false, |s| s.data.seg.1);
    /// Individual networks drawn.
    pub const CURVES: Field<Self> =
        int_field!("curves", "individual networks drawn", 0, MAX_CURVES, false, |s| s.display.curves);
    /// The user's points.
    pub const POINTS: Field<Self> = Field {
        key: "pts",
        label: "training points x:y",
        kind: Kind::Text { max_len: MAX_POINTS_TEXT },
        get: |s| match s.data.points.is_empty() {
            true => Value::Unset,
            false => Value::Text(points_text(&s.data.points)),
        },
        set: |s, v, _| {
            let Value::Text(raw) = v else { return Vec::new() };
            let (points, notes) = parse_points(&raw);
            s.data.points = points;
            notes
        },
    };
}

impl ExplorerParams {
    /// The user's data table as link text (tables of at most
    /// [`super::table::MAX_LINK_TABLE_CHARS`] characters; left out for larger ones, which
    /// [`ExplorerParams::TABLE_HASH`] names). A table that cannot be read is refused with a
    /// note naming its line and column, and the table held before stays.
    pub const TABLE: Field<Self> = Field {
        key: "csv",
        label: "data table",
        kind: Kind::Text { max_len: MAX_TABLE_BYTES },
        get: |s| match s.data.table.as_ref().and_then(UserTable::link_text) {
            Some(text) => Value::Text(text.to_string()),
            None => Value::Unset,
        },
        set: |s, v, _| {
            let Value::Text(raw) = v else { return Vec::new() };
            match UserTable::from_text(&raw) {
                Ok(table) => {
                    s.data.table = Some(table);
                    Vec::new()
                }
                Err(e) => vec![e.note().prefixed("data table not read: ")],
            }
        },
    };
    /// The hash of a data table too large for the link, stored in this browser
    /// ([`crate::storage`]): read from the [`TableStore`](crate::storage::TableStore) the field is
    /// set with.
    pub const TABLE_HASH: Field<Self> = Field {
        key: "csvh",
        label: "stored data table",
        kind: Kind::Text { max_len: 64 },
        get: |s| match s.data.table.as_ref() {
            Some(t) if t.link_text().is_none() => Value::Text(t.hash().to_string()),
            _ => Value::Unset,
        },
        set: |s, v, tables| {
            let Value::Text(hash) = v else { return Vec::new() };
            if !is_hash(&hash) {
                return vec![Note::text("stored data table ")
                    .quote(&hash)
                    .then(" is not a table's name: ignored")];
            }
            let Some(text) = tables.stored_text(&hash) else {
                return vec![Note::text(format!(
                    "the data table of this link is not stored in this browser (a link carries tables of at \
                     most {} characters itself; larger ones stay in the browser that loaded them): paste or \
                     upload it again",
                    super::table::MAX_LINK_TABLE_CHARS
                ))];
            };
            match UserTable::from_stored(&hash, &text) {
                Ok(table) => {
                    s.data.table = Some(table);
                    Vec::new()
                }
                Err(e) => vec![e.note().prefixed("stored data table not read: ")],
            }
        },
    };
}

/// The formula the `formula` set starts from.
pub const DEFAULT_FORMULA: &str = "x*sin(2*x)/2";

/// [`DEFAULT_FORMULA`], compiled (once).
pub fn default_formula() -> Formula {
    static DEFAULT: std::sync::OnceLock<Formula> = std::sync::OnceLock::new();
    DEFAULT
        .get_or_init(|| Formula::new(DEFAULT_FORMULA).expect("the default formula is finite on [−π, π]"))
        .clone()
}

impl ExplorerParams {
    /// The target formula of the `formula` set (written when it is not the default). A formula
    /// that does not parse or is not finite on [−π, π] is explained under its box, and the
    /// previous one stays.
    pub const FORMULA: Field<Self> = Field {
        key: "fx",
        label: "target y(x) =",
        kind: Kind::Text { max_len: 200 },
        get: |s| {
            if s.data.formula.source() == DEFAULT_FORMULA {
                Value::Unset
            } else {
                Value::Text(s.data.formula.source().to_string())
            }
        },
        set: |s, v, _| {
            let Value::Text(text) = v else { return Vec::new() };
            match Formula::new(&text) {
                Ok(f) => {
                    s.data.formula = f;
                    Vec::new()
                }
                Err(e) => {
                    vec![Note::text("target y(x) = ")
                        .quote(&text)
                        .then(format!(": {e}; kept the previous formula"))]
                }
            }
        },
    };
}

impl Described for ExplorerParams {
    const FIELDS: &'static [Field<Self>] = &[
        Self::DEPTH,
        Self::WIDTH,
        Self::ACTIVATION,
        Self::PHI,
        Self::SW2,
        Self::SB2,
        Self::PARAM,
        Self::LR,
        Self::STEPS,
        Self::MEMBERS,
        Self::ALPHA,
        Self::QUADRATIC,
        Self::SEED,
        Self::DATA,
        Self::N_TRAIN,
        Self::NOISE,
        Self::SHOWN_STEP,
        Self::SEG_A,
        Self::SEG_B,
        Self::CURVES,
        Self::POINTS,
        Self::TABLE,
        Self::TABLE_HASH,
        Self::FORMULA,
    ];

    /// The shown step within the training steps; the `table` set only with a table (else the
    /// sine set).
    fn normalize(&mut self) -> Vec<Note> {
        let mut notes = Vec::new();
        if self.display.shown_step.is_some_and(|k| k > self.training.steps) {
            self.display.shown_step = Some(self.training.steps);
            notes.push(Note::text(format!(
                "shown step clamped to the {} training steps",
                self.training.steps
            )));
        }
        if self.data.set == DataChoice::Table && self.data.table.is_none() {
            self.data.set = DataChoice::Sin;
            notes.push(Note::text("the data set 'table' has no table here: showing the 'sin' set"));
        }
        notes
    }
}
