//! The width-scaling view's shareable state (paper Theorem 2.1, Figure 1, Figure S5): the
//! architecture, the generated data, the learning rate as a fraction of η_critical, the steps,
//! the log2 grid of widths, the seeds per width and an optional second axis (depths or
//! training-set sizes), and the core's sweep it describes. Against α instead of the width
//! (Chizat's output scale, docs/MATH.md "From lazy to rich"): one width trained at every α of
//! a list, the core's laziness sweep.

use ntk_core::datasets::Target1d;
use ntk_core::experiments::laziness::LazinessSpec;
use ntk_core::experiments::widths::{
    log2_grid, LearningRate, SweepAxis, SweepData, WidthError, WidthSweepSpec,
};
use ntk_core::nets::output_scale::ALPHA_RANGE;
use ntk_core::Architecture;

use super::arch::{self, activation_name, ArchFields, BUILT_IN_ACTIVATIONS};
use super::notes::Note;
use super::{Described, Field, Kind, Value};
use crate::storage::NoTables;
use crate::{choice_field, int_field, real_field};

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
/// Most output scales α of a sweep against α in the page.
pub const MAX_BROWSER_ALPHAS: usize = 12;
/// The output scales of a sweep against α unless the link gives others: from rich (0.1) to
/// lazy (30), half a decade apart. Beyond α ≈ 30 the network–linearization gap meets the f32
/// floor of the parameters' updates, which grows like α (docs/MATH.md "From lazy to rich").
pub const DEFAULT_ALPHAS: [f64; 6] = [0.1, 0.3, 1.0, 3.0, 10.0, 30.0];
/// The one width of a sweep against α unless the link gives another.
pub const DEFAULT_ALPHA_WIDTH: usize = 128;

/// What a sweep varies along its x axis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Against {
    /// the hidden width n, on a log2 grid (paper Theorem 2.1, Figure 1)
    Width,
    /// Chizat's output scale α at one width: lazy (large α) to rich (small α)
    Alpha,
}

impl Against {
    /// URL / select names, in select order.
    pub const NAMES: [&'static str; 2] = ["width", "alpha"];

    /// Its URL name.
    pub fn name(self) -> &'static str {
        match self {
            Against::Width => "width",
            Against::Alpha => "alpha",
        }
    }

    /// Parses a name of [`Against::NAMES`].
    pub fn from_name(name: &str) -> Option<Against> {
        match name {
            "width" => Some(Against::Width),
            "alpha" => Some(Against::Alpha),
            _ => None,
        }
    }
}

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

/// Everything a width-scaling link reproduces (conventions of docs/MATH.md: NTK
/// parameterization, σ's are variances, loss `1/(2N) Σ (f − y)²`).
#[derive(Clone, Debug, PartialEq)]
pub struct WidthsParams {
    /// depth (replaced by each value of a depth axis), φ, σ_w², σ_b², parameterization (NTK or
    /// mean-field; the core refuses standard)
    pub arch: Architecture,
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
    /// what the sweep varies: the width (log2 grid) or the output scale α (at [`Self::width`])
    pub against: Against,
    /// the one hidden width of a sweep against α
    pub width: usize,
    /// the output scales α of a sweep against α: 2 to [`MAX_BROWSER_ALPHAS`], strictly
    /// increasing, within [`ALPHA_RANGE`]
    pub alphas: Vec<f64>,
}

impl Default for WidthsParams {
    /// The explorer's network (two erf layers, σ_w² = 2.25, σ_b² = 0.0025) on 8 noisy sine
    /// points, widths 32…1024, 4 seeds, 300 steps at ½ η_critical: the `ntk widths` defaults,
    /// about half a minute in a tab.
    fn default() -> Self {
        WidthsParams {
            arch: arch::COOKBOOK_ARCH,
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
            against: Against::Width,
            width: DEFAULT_ALPHA_WIDTH,
            alphas: DEFAULT_ALPHAS.to_vec(),
        }
    }
}

/// Parses a comma-separated list of output scales α: numbers clamped into [`ALPHA_RANGE`],
/// sorted and deduplicated, at most [`MAX_BROWSER_ALPHAS`]; a note for each entry dropped or
/// moved.
pub fn parse_alphas(raw: &str) -> (Vec<f64>, Vec<Note>) {
    ListOf {
        one: "output scale",
        many: "output scales",
        range: ALPHA_RANGE,
        whole: false,
        most: MAX_BROWSER_ALPHAS,
    }
    .parse(raw)
}

/// The text of output scales: `0.1,0.3,1` (each in its shortest exact form).
pub fn alpha_text(values: &[f64]) -> String {
    values.iter().map(f64::to_string).collect::<Vec<_>>().join(",")
}

/// What a list parser reads: its entries' name (singular, plural), their range, whether they
/// are whole numbers, and the most it keeps.
struct ListOf {
    one: &'static str,
    many: &'static str,
    range: (f64, f64),
    whole: bool,
    most: usize,
}

impl ListOf {
    /// Parses a comma-separated list: numbers (rounded when whole), clamped into the range,
    /// sorted and deduplicated, at most `most`; a note for each entry dropped or moved.
    fn parse(&self, raw: &str) -> (Vec<f64>, Vec<Note>) {
        let (lo, hi) = self.range;
        let mut values = Vec::new();
        let mut notes = Vec::new();
        for entry in raw.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            match entry.parse::<f64>() {
                Ok(v) if v.is_finite() => {
                    let c = if self.whole { v.round() } else { v }.clamp(lo, hi);
                    if c != v {
                        notes.push(
                            Note::text(format!("{} ", self.one))
                                .quote(entry)
                                .then(format!(" clamped to {c}")),
                        );
                    }
                    values.push(c);
                }
                _ => notes.push(
                    Note::text(format!("{} ", self.one)).quote(entry).then(" is not a number: left out"),
                ),
            }
        }
        values.sort_by(f64::total_cmp);
        values.dedup();
        if values.len() > self.most {
            let (most, many) = (self.most, self.many);
            notes.push(Note::text(format!("at most {most} {many}: kept the first {most}")));
            values.truncate(most);
        }
        (values, notes)
    }
}

/// Parses a comma-separated list of axis values: integers, clamped into `range`, sorted and
/// deduplicated, at most [`MAX_AXIS_VALUES`]; a note for each entry dropped or moved.
pub fn parse_axis_values(raw: &str, range: (usize, usize)) -> (Vec<usize>, Vec<Note>) {
    let list = ListOf {
        one: "axis value",
        many: "axis values",
        range: (range.0 as f64, range.1 as f64),
        whole: true,
        most: MAX_AXIS_VALUES,
    };
    let (values, notes) = list.parse(raw);
    (values.into_iter().map(|v| v as usize).collect(), notes)
}

/// The text of axis values: `1,2,4`.
pub fn axis_text(values: &[usize]) -> String {
    values.iter().map(usize::to_string).collect::<Vec<_>>().join(",")
}

crate::has_arch!(
    WidthsParams,
    ArchFields {
        depth: Some(&Self::DEPTH),
        param: Some(&Self::PARAM),
        ..ArchFields::basic(&Self::ACTIVATION, &Self::SW2, &Self::SB2)
    }
);

impl WidthsParams {
    /// Hidden layers (without a depth axis).
    pub const DEPTH: Field<Self> = arch::depth(MAX_BROWSER_DEPTH as u64);
    /// The nonlinearity.
    pub const ACTIVATION: Field<Self> = arch::activation(&BUILT_IN_ACTIVATIONS);
    /// σ_w².
    pub const SW2: Field<Self> = arch::sw2(0.01, 10.0, true);
    /// σ_b².
    pub const SB2: Field<Self> = arch::sb2(4.0);
    /// The parameterization (NTK or mean-field; standard is refused by the sweep, with why).
    pub const PARAM: Field<Self> = arch::param();
    /// The target function.
    pub const TARGET: Field<Self> = choice_field!("data", "target", Target1d, |s| s.target);
    /// Training points N.
    pub const N_TRAIN: Field<Self> =
        int_field!("n", "training points N", 1, MAX_BROWSER_TRAIN, true, |s| s.n_train);
    /// Target noise.
    pub const NOISE: Field<Self> = real_field!("noise", "target noise (std)", 0.0, 1.0, false, |s| s.noise);
    /// Seed of the data.
    pub const DATA_SEED: Field<Self> =
        int_field!("dseed", "data seed", 0, 1u64 << 53, false, |s| s.data_seed);
    /// η / η_critical.
    pub const LR_FRACTION: Field<Self> =
        real_field!("lrf", "learning rate η / η_critical", 0.01, 4.0, true, |s| s.lr_fraction);
    /// Training steps.
    pub const STEPS: Field<Self> =
        int_field!("steps", "training steps K", 1, MAX_BROWSER_STEPS, true, |s| s.steps);
    /// Smallest width.
    pub const MIN_WIDTH: Field<Self> =
        int_field!("wmin", "smallest width", MIN_BROWSER_WIDTH, MAX_BROWSER_WIDTH, true, |s| s.min_width);
    /// Largest width.
    pub const MAX_WIDTH: Field<Self> = int_field!(
        "wmax",
        "largest width (widths double from the smallest)",
        MIN_BROWSER_WIDTH,
        MAX_BROWSER_WIDTH,
        true,
        |s| s.max_width
    );
    /// Seeds per width.
    pub const SEEDS: Field<Self> =
        int_field!("seeds", "seeds per width", 1, MAX_BROWSER_SEEDS, false, |s| s.seeds);
    /// Seed of the networks.
    pub const SEED: Field<Self> = int_field!("seed", "network seed", 0, 1u64 << 53, false, |s| s.seed);
    /// The second axis.
    pub const AXIS: Field<Self> = choice_field!("axis", "second axis (Figure S5)", AxisChoice, |s| s.axis);
    /// Its values (read with the widest range; [`Described::normalize`] fits them to the axis).
    pub const AXIS_VALUES: Field<Self> = Field {
        key: "axv",
        label: "axis values",
        kind: Kind::Text { max_len: 200 },
        get: |s| match s.axis_values.is_empty() {
            true => Value::Unset,
            false => Value::Text(axis_text(&s.axis_values)),
        },
        set: |s, v, _| {
            let Value::Text(raw) = v else { return Vec::new() };
            let (values, notes) = parse_axis_values(&raw, (1, MAX_BROWSER_TRAIN));
            s.axis_values = values;
            notes
        },
    };
    /// What the sweep varies.
    pub const AGAINST: Field<Self> = choice_field!("x", "sweep against", Against, |s| s.against);
    /// The one width of a sweep against α (kept in the link against the width too, so that
    /// switching back finds it).
    pub const WIDTH: Field<Self> =
        int_field!("width", "hidden width n", MIN_BROWSER_WIDTH, MAX_BROWSER_WIDTH, true, |s| s.width);
    /// The output scales of a sweep against α (kept in the link as [`Self::WIDTH`]).
    pub const ALPHAS: Field<Self> = Field {
        key: "alphas",
        label: "output scales α (comma-separated, 2 to 12)",
        kind: Kind::Text { max_len: 200 },
        get: |s| Value::Text(alpha_text(&s.alphas)),
        set: |s, v, _| {
            let Value::Text(raw) = v else { return Vec::new() };
            let (values, notes) = parse_alphas(&raw);
            s.alphas = values;
            notes
        },
    };
}

impl Described for WidthsParams {
    const FIELDS: &'static [Field<Self>] = &[
        Self::DEPTH,
        Self::ACTIVATION,
        Self::SW2,
        Self::SB2,
        Self::PARAM,
        Self::TARGET,
        Self::N_TRAIN,
        Self::NOISE,
        Self::DATA_SEED,
        Self::LR_FRACTION,
        Self::STEPS,
        Self::MIN_WIDTH,
        Self::MAX_WIDTH,
        Self::SEEDS,
        Self::SEED,
        Self::AXIS,
        Self::AXIS_VALUES,
        Self::AGAINST,
        Self::WIDTH,
        Self::ALPHAS,
    ];

    /// The largest width at least the smallest; axis values within the axis's range (its
    /// defaults when none are usable), none without an axis.
    fn normalize(&mut self) -> Vec<Note> {
        let mut notes = Vec::new();
        if self.max_width < self.min_width {
            notes.push(Note::text(format!(
                "largest width {} is below the smallest, {}: raised to it",
                self.max_width, self.min_width
            )));
            self.max_width = self.min_width;
        }
        if self.alphas.len() < 2 {
            notes.push(Note::text(format!(
                "a sweep against α needs 2 or more output scales: using {}",
                alpha_text(&DEFAULT_ALPHAS)
            )));
            self.alphas = DEFAULT_ALPHAS.to_vec();
        }
        if self.against == Against::Alpha && self.axis != AxisChoice::None {
            notes.push(Note::text(format!(
                "a sweep against α has no second axis: the {} axis is left out",
                self.axis.name()
            )));
            self.axis = AxisChoice::None;
        }
        if self.axis == AxisChoice::None {
            self.axis_values.clear();
            return notes;
        }
        let (values, mut moved) = parse_axis_values(&axis_text(&self.axis_values), self.axis.range());
        notes.append(&mut moved);
        if values.is_empty() {
            notes.push(Note::text(format!(
                "the {} axis has no values: using {}",
                self.axis.name(),
                axis_text(&self.axis.default_values())
            )));
            self.axis_values = self.axis.default_values();
        } else {
            self.axis_values = values;
        }
        notes
    }
}

impl WidthsParams {
    /// The sweep extended to resolve its slopes: the largest width doubled while the page
    /// allows, then the seeds doubled.
    pub fn extended(&self) -> WidthsParams {
        if self.max_width * 2 <= MAX_BROWSER_WIDTH {
            WidthsParams { max_width: self.max_width * 2, ..self.clone() }
        } else {
            WidthsParams { seeds: (self.seeds * 2).min(MAX_BROWSER_SEEDS), ..self.clone() }
        }
    }

    /// What [`WidthsParams::extended`] does, as a button says it.
    pub fn extension_text(&self) -> String {
        let e = self.extended();
        if e.max_width != self.max_width {
            format!("Extend to width {} and rerun", e.max_width)
        } else if e.seeds != self.seeds {
            format!("Use {} seeds and rerun", e.seeds)
        } else {
            "Rerun".to_string()
        }
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
            format!("--act {}", activation_name(self.arch.activation)),
            format!("--depth {}", self.arch.depth),
            format!("--sw2 {}", self.arch.sw2),
            format!("--sb2 {}", self.arch.sb2),
            format!("--param {}", self.arch.param),
            format!("--target {}", self.target.name()),
            format!("--train-size {}", self.n_train),
            format!("--noise {}", self.noise),
            format!("--data-seed {}", self.data_seed),
            format!("--lr-critical {}", self.lr_fraction),
            format!("--steps {}", self.steps),
        ];
        args.extend(match self.against {
            Against::Width => {
                [format!("--min-width {}", self.min_width), format!("--max-width {}", self.max_width)]
            }
            Against::Alpha => {
                [format!("--widths {}", self.width), format!("--alphas {}", alpha_text(&self.alphas))]
            }
        });
        args.extend([
            format!("--seeds {}", self.seeds),
            format!("--seed {}", self.seed),
            format!("--checkpoints {}", ntk_core::experiments::widths::DEFAULT_SWEEP_CHECKPOINTS),
        ]);
        let values = || self.axis_values.iter().map(usize::to_string).collect::<Vec<_>>().join(",");
        match self.axis {
            AxisChoice::None => {}
            AxisChoice::Depth => args.push(format!("--depths {}", values())),
            AxisChoice::TrainSize => args.push(format!("--train-sizes {}", values())),
        }
        args.join(" ")
    }

    /// The page's state closest to a sweep of a result file, with a note for each part the
    /// page cannot show as given (values out of the page's ranges are clamped; explicit data,
    /// an absolute learning rate, widths that do not double, another number of checkpoints).
    pub fn from_spec(spec: &WidthSweepSpec) -> (WidthsParams, Vec<Note>) {
        let mut notes = Vec::new();
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("depth", &spec.arch.depth.to_string())
            .append_pair("act", activation_name(spec.arch.activation))
            .append_pair("sw2", &spec.arch.sw2.to_string())
            .append_pair("sb2", &spec.arch.sb2.to_string())
            .append_pair("param", &spec.arch.param.to_string())
            .append_pair("steps", &spec.steps.to_string())
            .append_pair("seeds", &spec.seeds.to_string())
            .append_pair("seed", &spec.seed.to_string());
        match &spec.data {
            SweepData::Generated { target, train_size, noise, seed } => {
                q.append_pair("data", target.name())
                    .append_pair("n", &train_size.to_string())
                    .append_pair("noise", &noise.to_string())
                    .append_pair("dseed", &seed.to_string());
            }
            SweepData::Points(data) => notes.push(Note::text(format!(
                "the sweep trained on {} given points; the page's data controls show a generated set",
                data.n_train()
            ))),
        }
        match spec.learning_rate {
            LearningRate::CriticalFraction(f) => {
                q.append_pair("lrf", &f.to_string());
            }
            LearningRate::Absolute(eta) => notes.push(Note::text(format!(
                "the sweep used η = {eta} at every width; the page sets η as a fraction of η_critical"
            ))),
        }
        if let (Some(&lo), Some(&hi)) = (spec.widths.first(), spec.widths.last()) {
            q.append_pair("wmin", &lo.to_string()).append_pair("wmax", &hi.to_string());
            if log2_grid(lo, hi, 1).ok().as_ref() != Some(&spec.widths) {
                notes.push(Note::text(format!(
                    "the sweep's widths {} do not double from the smallest, as the page's grid does",
                    axis_text(&spec.widths)
                )));
            }
        }
        match &spec.axis {
            SweepAxis::None => {}
            SweepAxis::Depth(v) => {
                q.append_pair("axis", "depth").append_pair("axv", &axis_text(v));
            }
            SweepAxis::TrainSize(v) => {
                q.append_pair("axis", "size").append_pair("axv", &axis_text(v));
            }
        }
        if let Some(alpha) = spec.alpha {
            notes.push(Note::text(format!(
                "the sweep trained g = α (f − f₀) at α = {alpha} at every width; the page's width sweep trains f"
            )));
        }
        if spec.checkpoints != ntk_core::experiments::widths::DEFAULT_SWEEP_CHECKPOINTS {
            notes.push(Note::text(format!(
                "the sweep recorded {} checkpoints per run; the page records {}",
                spec.checkpoints,
                ntk_core::experiments::widths::DEFAULT_SWEEP_CHECKPOINTS
            )));
        }
        let (params, mut clamped) =
            super::url::decode::<WidthsParams>(&q.finish(), super::url::RESERVED, &NoTables);
        for n in &mut clamped {
            *n = n.clone().prefixed("the page's controls cannot show it as given: ");
        }
        clamped.extend(notes);
        (params, clamped)
    }

    /// The core's sweep of this state: its parameterization, the generated 1-D data set,
    /// `η = lr_fraction · η_critical` at every axis value, the log2 width grid (against α: the
    /// one width, no α of its own — [`WidthsParams::to_laziness_spec`] adds the α values).
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
            arch: self.arch,
            data: SweepData::Generated {
                target: self.target,
                train_size: self.n_train,
                noise: self.noise,
                seed: self.data_seed,
            },
            learning_rate: LearningRate::CriticalFraction(self.lr_fraction),
            steps: self.steps,
            seed: self.seed,
            widths: match self.against {
                Against::Width => self.widths()?,
                Against::Alpha => vec![self.width],
            },
            seeds: self.seeds,
            axis,
            checkpoints: ntk_core::experiments::widths::DEFAULT_SWEEP_CHECKPOINTS,
            alpha: None,
        })
    }

    /// The core's laziness sweep of a state against α: [`WidthsParams::to_spec`] at the one
    /// width, trained at every α of [`WidthsParams::alphas`] (`None` for a sweep against the
    /// width).
    ///
    /// # Errors
    /// As [`WidthsParams::to_spec`]. The spec is not validated here: see
    /// [`LazinessSpec::validate`].
    pub fn to_laziness_spec(&self) -> Result<Option<LazinessSpec>, WidthError> {
        Ok(match self.against {
            Against::Width => None,
            Against::Alpha => Some(LazinessSpec { sweep: self.to_spec()?, alphas: self.alphas.clone() }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::url::{decode, encode, RESERVED};
    use crate::storage::NoTables;
    use ntk_core::{Activation, Parameterization};

    fn from_query(q: &str) -> (WidthsParams, Vec<Note>) {
        decode(q, RESERVED, &NoTables)
    }

    #[test]
    fn round_trip() {
        let s = WidthsParams {
            arch: Architecture { activation: Activation::Relu, ..WidthsParams::default().arch },
            target: Target1d::Step,
            lr_fraction: 0.25,
            min_width: 64,
            max_width: 512,
            seeds: 3,
            ..WidthsParams::default()
        }
        .with_axis(AxisChoice::Depth);
        let (back, notes) = from_query(&format!("view=widths&{}", encode(&s)));
        assert_eq!(back, s);
        assert!(notes.is_empty(), "{notes:?}");
        let d = WidthsParams::default();
        let (back, notes) = from_query(&encode(&d));
        assert_eq!((back, notes.len()), (d.clone(), 0));
        assert!(!encode(&d).contains(WidthsParams::AXIS_VALUES.key), "no axis, no values");
        let spec = s.to_spec().unwrap();
        assert_eq!(spec.widths, vec![64, 128, 256, 512]);
        assert_eq!(spec.axis, SweepAxis::Depth(vec![1, 2, 4]));
        spec.validate().unwrap();
    }

    #[test]
    fn cli_command_names_every_field() {
        let s = WidthsParams {
            arch: Architecture { activation: Activation::Relu, sb2: 0.1, ..WidthsParams::default().arch },
            lr_fraction: 0.25,
            ..WidthsParams::default()
        }
        .with_axis(AxisChoice::TrainSize);
        assert_eq!(
            s.cli_command(),
            "ntk widths --act relu --depth 2 --sw2 2.25 --sb2 0.1 --param ntk --target sin --train-size 8 --noise 0.1 \
             --data-seed 1 --lr-critical 0.25 --steps 300 --min-width 32 --max-width 1024 --seeds 4 --seed 0 \
             --checkpoints 20 --train-sizes 4,16,64"
        );
        let d = WidthsParams {
            arch: Architecture { depth: 3, ..WidthsParams::default().arch },
            ..WidthsParams::default()
        }
        .with_axis(AxisChoice::Depth);
        assert!(d.cli_command().ends_with("--depths 1,2,4"), "{}", d.cli_command());
        assert!(!WidthsParams::default().cli_command().contains("--depths"));
    }

    #[test]
    fn a_sweep_against_alpha_is_one_width_at_every_output_scale() {
        let s = WidthsParams {
            arch: Architecture { param: Parameterization::MeanField, ..WidthsParams::default().arch },
            against: Against::Alpha,
            width: 64,
            alphas: vec![0.25, 1.0, 4.0],
            ..WidthsParams::default()
        };
        let link = encode(&s);
        assert!(link.contains("x=alpha") && link.contains("width=64") && link.contains("param=mf"), "{link}");
        let (back, notes) = from_query(&link);
        assert_eq!((back, notes.len()), (s.clone(), 0), "{notes:?}");
        let lazy = s.to_laziness_spec().unwrap().expect("against α");
        assert_eq!((lazy.alphas.clone(), lazy.sweep.widths.clone()), (vec![0.25, 1.0, 4.0], vec![64]));
        assert_eq!(lazy.sweep.arch.param, Parameterization::MeanField);
        lazy.validate().unwrap();
        assert_eq!(WidthsParams::default().to_laziness_spec().unwrap(), None);
        let command = s.cli_command();
        assert!(command.contains("--param mf"), "{command}");
        assert!(command.contains("--widths 64 --alphas 0.25,1,4 --seeds"), "{command}");
        assert!(!command.contains("--min-width"), "{command}");
        // Hostile α lists: clamped, sorted, deduplicated, at most 12; fewer than 2 → defaults;
        // a second axis is dropped with a note.
        let (s, notes) = from_query("x=alpha&alphas=1e9,x,-1,3,3,0.5");
        assert_eq!(s.alphas, vec![ALPHA_RANGE.0, 0.5, 3.0, ALPHA_RANGE.1]);
        assert_eq!(notes.len(), 3, "{notes:?}");
        let (s, notes) = from_query("x=alpha&alphas=2&axis=depth");
        assert_eq!((s.alphas, s.axis), (DEFAULT_ALPHAS.to_vec(), AxisChoice::None));
        assert_eq!(notes.len(), 2, "{notes:?}");
        let many: Vec<String> = (1..=20).map(|i| i.to_string()).collect();
        let (s, notes) = from_query(&format!("x=alpha&alphas={}", many.join(",")));
        assert_eq!((s.alphas.len(), notes.len()), (MAX_BROWSER_ALPHAS, 1));
        s.to_laziness_spec().unwrap().unwrap().validate().unwrap();
    }

    #[test]
    fn hostile_values_are_clamped_or_replaced_with_notes() {
        let (s, notes) = from_query(
            "?depth=0&act=%3Cscript%3E&wmin=1e9&wmax=-3&seeds=NaN&lrf=inf&zz=1&axis=size&axv=0,x,99999,16,16",
        );
        assert_eq!(s.arch.depth, 1);
        assert_eq!(s.arch.activation, Activation::Erf);
        assert_eq!(s.min_width, MAX_BROWSER_WIDTH);
        assert_eq!(s.max_width, MAX_BROWSER_WIDTH, "raised to the smallest width");
        assert_eq!(s.seeds, WidthsParams::default().seeds);
        assert_eq!(s.lr_fraction, WidthsParams::default().lr_fraction);
        assert_eq!(s.axis, AxisChoice::TrainSize);
        assert_eq!(s.axis_values, vec![1, 16, MAX_BROWSER_TRAIN]);
        // depth, act, wmin, wmax (clamped), seeds, lrf, zz, wmax < wmin, 0, x, 99999.
        assert_eq!(notes.len(), 11, "{notes:?}");
        s.to_spec().unwrap().validate_with_cap(u64::MAX).unwrap();
        let (s, notes) = from_query("axis=depth&axv=");
        assert_eq!(s.axis_values, AxisChoice::Depth.default_values());
        assert_eq!(notes.len(), 1, "{notes:?}");
        let (s, notes) = from_query("axis=depth&axv=1,2,3,4,5,6,7");
        assert_eq!(s.axis_values, vec![1, 2, 3, 4, 5]);
        assert_eq!(notes.len(), 1, "{notes:?}");
        let (s, _) = from_query("axis=none&axv=3");
        assert!(s.axis_values.is_empty());
        // Random junk always gives a state whose spec the core accepts (memory aside).
        let mut rng = ntk_core::rng::Normal::new(7);
        let pieces = [
            "depth", "wmin", "wmax", "seeds", "axis", "axv", "size", "depth", "=", "&", ",", "%2C", "1",
            "4096", "32", "-1", "1e9", "NaN", "x", "n", "steps", "lrf", "0", "alpha", "alphas", "width",
            "0.5", "param", "mf",
        ];
        for _ in 0..2000 {
            let len = (rng.uniform() * 20.0) as usize;
            let q: String =
                (0..len).map(|_| pieces[(rng.uniform() * pieces.len() as f64) as usize]).collect();
            let (s, _) = from_query(&q);
            let spec = s.to_spec().unwrap_or_else(|e| panic!("{q}: {e}"));
            spec.validate_with_cap(u64::MAX).unwrap_or_else(|e| panic!("{q}: {e}"));
            if let Some(lazy) = s.to_laziness_spec().unwrap() {
                lazy.validate().unwrap_or_else(|e| panic!("{q}: {e}"));
            }
            let (again, notes) = from_query(&encode(&s));
            assert_eq!(again, s, "{q}");
            assert!(notes.is_empty(), "{q}: {notes:?}");
        }
    }
}
