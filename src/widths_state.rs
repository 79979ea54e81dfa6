//! The shareable state of the width-scaling view (paper Theorem 2.1, Figure 1, Figure S5): the
//! architecture, the generated data, the learning rate as a fraction of η_critical, the steps,
//! the log2 grid of widths, the seeds per width and an optional second axis (depths or
//! training-set sizes). Parsed and written through the same table machinery as the explorer's
//! state ([`crate::state::parse_query`]); parsing never fails.

use ntk_core::datasets::Target1d;
use ntk_core::experiments::widths::{
    log2_grid, LearningRate, SweepAxis, SweepData, WidthError, WidthSweepSpec,
};
use ntk_core::{Activation, Architecture, Parameterization};

use crate::state::{activation_name, parse_query, shorten, write_query, Kind, Param, Value, ACTIVATIONS};

/// Smallest width the page offers (a log2 grid starts at or above it).
pub const MIN_BROWSER_WIDTH: usize = 32;
/// Largest width the page offers.
pub const MAX_BROWSER_WIDTH: usize = 4096;
/// Most seeds per width in the page.
pub const MAX_BROWSER_SEEDS: usize = 32;
/// Most training points in the page (and on a training-size axis).
pub const MAX_BROWSER_TRAIN: usize = 256;
/// Deepest network in the page (and on a depth axis).
pub const MAX_BROWSER_DEPTH: usize = 8;
/// Most values on the second axis.
pub const MAX_AXIS_VALUES: usize = 5;
/// Most gradient-descent steps in the page.
pub const MAX_BROWSER_STEPS: u64 = 100_000;

/// The optional second axis of a sweep (paper Figure S5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AxisChoice {
    /// a single series of widths
    None,
    /// one series per depth L
    Depth,
    /// one series per training-set size N
    TrainSize,
}

impl AxisChoice {
    /// URL / select names, in select order.
    pub const NAMES: [&'static str; 3] = ["none", "depth", "size"];

    /// Its URL name.
    pub fn name(self) -> &'static str {
        match self {
            AxisChoice::None => "none",
            AxisChoice::Depth => "depth",
            AxisChoice::TrainSize => "size",
        }
    }

    /// Parses a name of [`AxisChoice::NAMES`].
    pub fn from_name(name: &str) -> Option<AxisChoice> {
        match name {
            "none" => Some(AxisChoice::None),
            "depth" => Some(AxisChoice::Depth),
            "size" => Some(AxisChoice::TrainSize),
            _ => None,
        }
    }

    /// The accepted range of its values.
    pub fn range(self) -> (usize, usize) {
        match self {
            AxisChoice::Depth => (1, MAX_BROWSER_DEPTH),
            AxisChoice::TrainSize | AxisChoice::None => (1, MAX_BROWSER_TRAIN),
        }
    }

    /// The values offered when the axis is chosen (Figure S5 uses depths 1…, sizes up to 4096).
    pub fn default_values(self) -> Vec<usize> {
        match self {
            AxisChoice::None => Vec::new(),
            AxisChoice::Depth => vec![1, 2, 4],
            AxisChoice::TrainSize => vec![4, 16, 64],
        }
    }

    /// What a series of this axis is called in legends: `L = 2`, `N = 16`.
    pub fn series_name(self, value: Option<usize>) -> String {
        match (self, value) {
            (AxisChoice::Depth, Some(v)) => format!("L = {v}"),
            (AxisChoice::TrainSize, Some(v)) => format!("N = {v}"),
            _ => String::new(),
        }
    }
}

/// Everything a width-scaling link reproduces (conventions of docs/MATH.md: NTK parameterization,
/// σ's are variances, loss `1/(2N) Σ (f − y)²`).
#[derive(Clone, Debug, PartialEq)]
pub struct WidthsParams {
    /// hidden layers L (replaced by each value of a depth axis)
    pub depth: usize,
    /// nonlinearity φ
    pub activation: Activation,
    /// σ_w²
    pub sw2: f64,
    /// σ_b²
    pub sb2: f64,
    /// the target the training points sample
    pub target: Target1d,
    /// training points N (replaced by each value of a training-size axis)
    pub n_train: usize,
    /// standard deviation of the target noise
    pub noise: f64,
    /// seed of the data
    pub data_seed: u64,
    /// η as a fraction of η_critical = 2N/(λ_min + λ_max) of the analytic train NTK (Thm 2.1)
    pub lr_fraction: f64,
    /// gradient-descent steps K
    pub steps: u64,
    /// smallest width of the log2 grid
    pub min_width: usize,
    /// largest width of the log2 grid (≥ `min_width`)
    pub max_width: usize,
    /// seeds per width
    pub seeds: usize,
    /// seed of the networks (seed m of every width derives from it)
    pub seed: u64,
    /// the second axis
    pub axis: AxisChoice,
    /// its values, strictly increasing, within [`AxisChoice::range`] (empty without an axis)
    pub axis_values: Vec<usize>,
}

impl Default for WidthsParams {
    /// The explorer's network (two erf layers, σ_w² = 2.25, σ_b² = 0.0025) on 8 noisy sine
    /// points, widths 32…1024, 4 seeds, 300 steps at ½ η_critical: the `ntk widths` defaults,
    /// about half a minute in a tab.
    fn default() -> Self {
        WidthsParams {
            depth: 2,
            activation: Activation::Erf,
            sw2: 2.25,
            sb2: 0.0025,
            target: Target1d::Sin,
            n_train: 8,
            noise: 0.1,
            data_seed: 1,
            lr_fraction: 0.5,
            steps: 300,
            min_width: 32,
            max_width: 1024,
            seeds: 4,
            seed: 0,
            axis: AxisChoice::None,
            axis_values: Vec::new(),
        }
    }
}

/// URL key of the second axis's values: `axv=1,2,4`.
pub const AXIS_VALUES_KEY: &str = "axv";

/// Every URL parameter of the view but [`AXIS_VALUES_KEY`], in URL order.
pub const WIDTHS_PARAMS: [Param; 15] = [
    Param { key: "depth", label: "depth", kind: Kind::Int { min: 1, max: MAX_BROWSER_DEPTH as u64 } },
    Param { key: "act", label: "activation", kind: Kind::Name(&ACTIVATIONS) },
    Param { key: "sw2", label: "σ_w²", kind: Kind::Real { min: 0.01, max: 10.0 } },
    Param { key: "sb2", label: "σ_b²", kind: Kind::Real { min: 0.0, max: 4.0 } },
    Param { key: "data", label: "target", kind: Kind::Name(&Target1d::NAMES) },
    Param { key: "n", label: "training points", kind: Kind::Int { min: 1, max: MAX_BROWSER_TRAIN as u64 } },
    Param { key: "noise", label: "noise", kind: Kind::Real { min: 0.0, max: 1.0 } },
    Param { key: "dseed", label: "data seed", kind: Kind::Int { min: 0, max: 1 << 53 } },
    Param { key: "lrf", label: "learning rate / η_critical", kind: Kind::Real { min: 0.01, max: 4.0 } },
    Param { key: "steps", label: "steps", kind: Kind::Int { min: 1, max: MAX_BROWSER_STEPS } },
    Param {
        key: "wmin",
        label: "smallest width",
        kind: Kind::Int { min: MIN_BROWSER_WIDTH as u64, max: MAX_BROWSER_WIDTH as u64 },
    },
    Param {
        key: "wmax",
        label: "largest width",
        kind: Kind::Int { min: MIN_BROWSER_WIDTH as u64, max: MAX_BROWSER_WIDTH as u64 },
    },
    Param {
        key: "seeds",
        label: "seeds per width",
        kind: Kind::Int { min: 1, max: MAX_BROWSER_SEEDS as u64 },
    },
    Param { key: "seed", label: "seed", kind: Kind::Int { min: 0, max: 1 << 53 } },
    Param { key: "axis", label: "second axis", kind: Kind::Name(&AxisChoice::NAMES) },
];

/// Parses a comma-separated list of axis values: each an integer clamped into the axis's range,
/// then sorted and deduplicated, at most [`MAX_AXIS_VALUES`]. Returns the values and a note for
/// each entry dropped or moved.
pub fn parse_axis_values(raw: &str, axis: AxisChoice) -> (Vec<usize>, Vec<String>) {
    let (lo, hi) = axis.range();
    let mut values = Vec::new();
    let mut notes = Vec::new();
    for entry in raw.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        match entry.parse::<f64>() {
            Ok(v) if v.is_finite() => {
                let c = v.round().clamp(lo as f64, hi as f64);
                if c != v {
                    notes.push(format!("axis value {} clamped to {c}", shorten(entry)));
                }
                values.push(c as usize);
            }
            _ => notes.push(format!("axis value '{}' is not a number: left out", shorten(entry))),
        }
    }
    values.sort_unstable();
    values.dedup();
    if values.len() > MAX_AXIS_VALUES {
        notes.push(format!("at most {MAX_AXIS_VALUES} axis values: kept the first {MAX_AXIS_VALUES}"));
        values.truncate(MAX_AXIS_VALUES);
    }
    (values, notes)
}

impl WidthsParams {
    fn get(&self, key: &str) -> Value {
        match key {
            "depth" => Value::Int(self.depth as u64),
            "act" => Value::Name(activation_name(self.activation)),
            "sw2" => Value::Real(self.sw2),
            "sb2" => Value::Real(self.sb2),
            "data" => Value::Name(self.target.name()),
            "n" => Value::Int(self.n_train as u64),
            "noise" => Value::Real(self.noise),
            "dseed" => Value::Int(self.data_seed),
            "lrf" => Value::Real(self.lr_fraction),
            "steps" => Value::Int(self.steps),
            "wmin" => Value::Int(self.min_width as u64),
            "wmax" => Value::Int(self.max_width as u64),
            "seeds" => Value::Int(self.seeds as u64),
            "seed" => Value::Int(self.seed),
            "axis" => Value::Name(self.axis.name()),
            _ => unreachable!("every key of WIDTHS_PARAMS is handled"),
        }
    }

    fn set(&mut self, key: &str, value: Value) {
        match (key, value) {
            ("depth", Value::Int(v)) => self.depth = v as usize,
            ("act", Value::Name(v)) => self.activation = v.parse().unwrap_or(Activation::Erf),
            ("sw2", Value::Real(v)) => self.sw2 = v,
            ("sb2", Value::Real(v)) => self.sb2 = v,
            ("data", Value::Name(v)) => self.target = Target1d::from_name(v).unwrap_or(Target1d::Sin),
            ("n", Value::Int(v)) => self.n_train = v as usize,
            ("noise", Value::Real(v)) => self.noise = v,
            ("dseed", Value::Int(v)) => self.data_seed = v,
            ("lrf", Value::Real(v)) => self.lr_fraction = v,
            ("steps", Value::Int(v)) => self.steps = v,
            ("wmin", Value::Int(v)) => self.min_width = v as usize,
            ("wmax", Value::Int(v)) => self.max_width = v as usize,
            ("seeds", Value::Int(v)) => self.seeds = v as usize,
            ("seed", Value::Int(v)) => self.seed = v,
            ("axis", Value::Name(v)) => self.axis = AxisChoice::from_name(v).unwrap_or(AxisChoice::None),
            _ => {}
        }
    }

    /// The query string of this state, every parameter included (the axis values only with an
    /// axis).
    pub fn to_query(&self) -> String {
        let mut q = write_query(&WIDTHS_PARAMS, |k| self.get(k));
        if self.axis != AxisChoice::None {
            let values: Vec<String> = self.axis_values.iter().map(usize::to_string).collect();
            q.push_str(&format!("&{AXIS_VALUES_KEY}={}", values.join(",")));
        }
        q
    }

    /// Parses a query string (with or without the leading `?`). Never fails: unknown keys are
    /// ignored, bad values fall back to the default and out-of-range values are clamped, each
    /// with a note for the page; a largest width below the smallest is raised to it; an axis
    /// without usable values gets [`AxisChoice::default_values`].
    pub fn from_query(query: &str) -> (WidthsParams, Vec<String>) {
        let mut state = WidthsParams::default();
        let mut notes =
            parse_query(query, &WIDTHS_PARAMS, &["view", AXIS_VALUES_KEY], |k, v| state.set(k, v));
        if state.max_width < state.min_width {
            notes.push(format!(
                "largest width {} is below the smallest, {}: raised to it",
                state.max_width, state.min_width
            ));
            state.max_width = state.min_width;
        }
        let mut raw = query.trim_start_matches('?').split('&').filter_map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (crate::state::percent_decode(k) == AXIS_VALUES_KEY).then(|| crate::state::percent_decode(v))
        });
        let raw: Option<String> = raw.next_back();
        match (state.axis, raw) {
            (AxisChoice::None, _) => state.axis_values.clear(),
            (axis, raw) => {
                let (values, mut bad) = parse_axis_values(raw.as_deref().unwrap_or(""), axis);
                notes.append(&mut bad);
                if values.is_empty() {
                    notes.push(format!(
                        "the {} axis has no values: using {:?}",
                        axis.name(),
                        axis.default_values()
                    ));
                    state.axis_values = axis.default_values();
                } else {
                    state.axis_values = values;
                }
            }
        }
        (state, notes)
    }

    /// Chooses the second axis, with its default values (none for [`AxisChoice::None`]).
    pub fn with_axis(&self, axis: AxisChoice) -> WidthsParams {
        WidthsParams { axis, axis_values: axis.default_values(), ..self.clone() }
    }

    /// The widths of the sweep: the log2 grid `min_width · 2^i ≤ max_width`.
    ///
    /// # Errors
    /// [`WidthError`] for a grid the core refuses (not reachable from a parsed state).
    pub fn widths(&self) -> Result<Vec<usize>, WidthError> {
        log2_grid(self.min_width, self.max_width, 1)
    }

    /// The native command that runs this very sweep and prints the same JSON as the page's
    /// download: `ntk widths --act … --lr-critical … --min-width … --max-width …` (every field
    /// given, reals in their shortest exact form, so nothing depends on the CLI's defaults).
    pub fn cli_command(&self) -> String {
        let mut args = vec![
            "ntk widths".to_string(),
            format!("--act {}", activation_name(self.activation)),
            format!("--depth {}", self.depth),
            format!("--sw2 {}", self.sw2),
            format!("--sb2 {}", self.sb2),
            format!("--target {}", self.target.name()),
            format!("--train-size {}", self.n_train),
            format!("--noise {}", self.noise),
            format!("--data-seed {}", self.data_seed),
            format!("--lr-critical {}", self.lr_fraction),
            format!("--steps {}", self.steps),
            format!("--min-width {}", self.min_width),
            format!("--max-width {}", self.max_width),
            format!("--seeds {}", self.seeds),
            format!("--seed {}", self.seed),
            format!("--checkpoints {}", ntk_core::experiments::widths::DEFAULT_SWEEP_CHECKPOINTS),
        ];
        let values = || self.axis_values.iter().map(usize::to_string).collect::<Vec<_>>().join(",");
        match self.axis {
            AxisChoice::None => {}
            AxisChoice::Depth => args.push(format!("--depths {}", values())),
            AxisChoice::TrainSize => args.push(format!("--train-sizes {}", values())),
        }
        args.join(" ")
    }

    /// The core's sweep of this state: NTK parameterization, the generated 1-D data set,
    /// `η = lr_fraction · η_critical` at every axis value, the log2 width grid.
    ///
    /// # Errors
    /// [`WidthError`] from [`log2_grid`] (not reachable from a parsed state). The spec is not
    /// validated here: see [`WidthSweepSpec::validate_with_cap`].
    pub fn to_spec(&self) -> Result<WidthSweepSpec, WidthError> {
        let axis = match self.axis {
            AxisChoice::None => SweepAxis::None,
            AxisChoice::Depth => SweepAxis::Depth(self.axis_values.clone()),
            AxisChoice::TrainSize => SweepAxis::TrainSize(self.axis_values.clone()),
        };
        Ok(WidthSweepSpec {
            arch: Architecture {
                depth: self.depth,
                activation: self.activation,
                sw2: self.sw2,
                sb2: self.sb2,
                param: Parameterization::Ntk,
            },
            data: SweepData::Generated {
                target: self.target,
                train_size: self.n_train,
                noise: self.noise,
                seed: self.data_seed,
            },
            learning_rate: LearningRate::CriticalFraction(self.lr_fraction),
            steps: self.steps,
            seed: self.seed,
            widths: self.widths()?,
            seeds: self.seeds,
            axis,
            checkpoints: ntk_core::experiments::widths::DEFAULT_SWEEP_CHECKPOINTS,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

    #[test]
    fn round_trip() {
        let s = WidthsParams {
            activation: Activation::Relu,
            target: Target1d::Step,
            lr_fraction: 0.25,
            min_width: 64,
            max_width: 512,
            seeds: 3,
            ..WidthsParams::default()
        }
        .with_axis(AxisChoice::Depth);
        let (back, notes) = WidthsParams::from_query(&format!("view=widths&{}", s.to_query()));
        assert_eq!(back, s);
        assert!(notes.is_empty(), "{notes:?}");
        let d = WidthsParams::default();
        let (back, notes) = WidthsParams::from_query(&d.to_query());
        assert_eq!((back, notes.len()), (d.clone(), 0));
        assert!(!d.to_query().contains(AXIS_VALUES_KEY), "no axis, no values");
        let spec = s.to_spec().unwrap();
        assert_eq!(spec.widths, vec![64, 128, 256, 512]);
        assert_eq!(spec.axis, SweepAxis::Depth(vec![1, 2, 4]));
        spec.validate().unwrap();
    }

    #[test]
    fn cli_command_names_every_field() {
        let s = WidthsParams {
            activation: Activation::Relu,
            sb2: 0.1,
            lr_fraction: 0.25,
            ..WidthsParams::default()
        }
        .with_axis(AxisChoice::TrainSize);
        assert_eq!(
            s.cli_command(),
            "ntk widths --act relu --depth 2 --sw2 2.25 --sb2 0.1 --target sin --train-size 8 --noise 0.1 \
             --data-seed 1 --lr-critical 0.25 --steps 300 --min-width 32 --max-width 1024 --seeds 4 --seed 0 \
             --checkpoints 20 --train-sizes 4,16,64"
        );
        let d = WidthsParams { depth: 3, ..WidthsParams::default() }.with_axis(AxisChoice::Depth);
        assert!(d.cli_command().ends_with("--depths 1,2,4"), "{}", d.cli_command());
        assert!(!WidthsParams::default().cli_command().contains("--depths"));
    }

    #[test]
    fn hostile_values_are_clamped_or_replaced_with_notes() {
        let (s, notes) = WidthsParams::from_query(
            "?depth=0&act=%3Cscript%3E&wmin=1e9&wmax=-3&seeds=NaN&lrf=inf&zz=1&axis=size&axv=0,x,99999,16,16",
        );
        assert_eq!(s.depth, 1);
        assert_eq!(s.activation, Activation::Erf);
        assert_eq!(s.min_width, MAX_BROWSER_WIDTH);
        assert_eq!(s.max_width, MAX_BROWSER_WIDTH, "raised to the smallest width");
        assert_eq!(s.seeds, WidthsParams::default().seeds);
        assert_eq!(s.lr_fraction, WidthsParams::default().lr_fraction);
        assert_eq!(s.axis, AxisChoice::TrainSize);
        assert_eq!(s.axis_values, vec![1, 16, MAX_BROWSER_TRAIN]);
        // depth, act, wmin, wmax (clamped), seeds, lrf, zz, wmax < wmin, 0, x, 99999.
        assert_eq!(notes.len(), 11, "{notes:?}");
        s.to_spec().unwrap().validate_with_cap(u64::MAX).unwrap();
        let (s, notes) = WidthsParams::from_query("axis=depth&axv=");
        assert_eq!(s.axis_values, AxisChoice::Depth.default_values());
        assert_eq!(notes.len(), 1, "{notes:?}");
        let (s, notes) = WidthsParams::from_query("axis=depth&axv=1,2,3,4,5,6,7");
        assert_eq!(s.axis_values, vec![1, 2, 3, 4, 5]);
        assert_eq!(notes.len(), 1, "{notes:?}");
        let (s, _) = WidthsParams::from_query("axis=none&axv=3");
        assert!(s.axis_values.is_empty());
        // Random junk always gives a state whose spec the core accepts (memory aside).
        let mut rng = ntk_core::rng::Normal::new(7);
        let pieces = [
            "depth", "wmin", "wmax", "seeds", "axis", "axv", "size", "depth", "=", "&", ",", "%2C", "1",
            "4096", "32", "-1", "1e9", "NaN", "x", "n", "steps", "lrf", "0",
        ];
        for _ in 0..2000 {
            let len = (rng.uniform() * 20.0) as usize;
            let q: String =
                (0..len).map(|_| pieces[(rng.uniform() * pieces.len() as f64) as usize]).collect();
            let (s, _) = WidthsParams::from_query(&q);
            let spec = s.to_spec().unwrap_or_else(|e| panic!("{q}: {e}"));
            spec.validate_with_cap(u64::MAX).unwrap_or_else(|e| panic!("{q}: {e}"));
            let (again, notes) = WidthsParams::from_query(&s.to_query());
            assert_eq!(again, s, "{q}");
            assert!(notes.is_empty(), "{q}: {notes:?}");
        }
    }
}
