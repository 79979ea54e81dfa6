//! The one-network view's shareable state (paper Figure 3, S3, S4, S8): the architecture, a
//! generated data set, the loss and optimizer, and the step shown.

use ntk_core::datasets::named_set;
use ntk_core::experiments::single::SingleSpec;
use ntk_core::nets::loss::Loss;
use ntk_core::nets::optimizer::OptimizerKind;
use ntk_core::nets::output_scale::ALPHA_RANGE;
use ntk_core::{Activation, Architecture, Parameterization};

use super::arch::{self, ArchFields, ACTIVATIONS};
use super::notes::Note;
use super::{Described, Field, Kind, Value};
use crate::{choice_field, flag_field, int_field, optional_real_field, real_field};

/// Largest hidden width offered.
pub const MAX_WIDTH: usize = 2048;
/// Most training points.
pub const MAX_POINTS: usize = 64;
/// Most steps.
pub const MAX_STEPS: u64 = 100_000;

/// The data sets of the view: 1-D regression, and 2-D classification with ±1 labels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SingleSet {
    /// y = sin x + noise on [−π, π]
    Sin,
    /// +1 inside the circle |x| < 2
    Circles,
    /// two interleaved spirals
    Spirals,
    /// sign(x₁ x₂)
    Xor,
}

impl SingleSet {
    /// URL / select names, in select order (the core's [`named_set`] names).
    pub const NAMES: [&'static str; 4] = ["sin", "circles", "spirals", "xor"];
    const ALL: [SingleSet; 4] = [SingleSet::Sin, SingleSet::Circles, SingleSet::Spirals, SingleSet::Xor];

    /// Its name.
    pub fn name(self) -> &'static str {
        Self::NAMES[Self::ALL.iter().position(|s| *s == self).unwrap_or(0)]
    }

    /// The set of a name of [`SingleSet::NAMES`].
    pub fn from_name(name: &str) -> Option<Self> {
        Self::NAMES.iter().position(|n| *n == name).map(|i| Self::ALL[i])
    }

    /// Whether its targets are ±1 labels (cross-entropy can train on it).
    pub fn is_classification(self) -> bool {
        self != SingleSet::Sin
    }

    /// Input dimension.
    pub fn dim(self) -> usize {
        if self == SingleSet::Sin {
            1
        } else {
            2
        }
    }
}

/// Everything a one-network link reproduces.
#[derive(Clone, Debug, PartialEq)]
pub struct SingleParams {
    /// depth, φ, σ_w², σ_b², parameterization
    pub arch: Architecture,
    /// hidden width n
    pub width: usize,
    /// the data set
    pub set: SingleSet,
    /// training points N
    pub n_train: usize,
    /// target noise of the regression set
    pub noise: f64,
    /// the loss
    pub loss: Loss,
    /// gradient descent, momentum or minibatch SGD
    pub optimizer: OptimizerKind,
    /// momentum β (momentum and SGD)
    pub momentum: f64,
    /// minibatch size (SGD)
    pub batch: usize,
    /// learning rate η
    pub lr: f64,
    /// steps K
    pub steps: u64,
    /// seed of the data and of the network (and its minibatches)
    pub seed: u64,
    /// Chizat's output scale α: train g = α (f − f₀) on the loss scaled by 1/α² (large α:
    /// lazy, small α: rich); `None` trains f itself
    pub alpha: Option<f64>,
    /// also train the quadratic model `f_quad = f₀ + J₀δ + ½ δᵀH₀δ` (δ = θ − θ₀, docs/MATH.md
    /// "The quadratic model") beside the network and its linearization (`quad=1` in the link,
    /// absent when off)
    pub quadratic: bool,
    /// the step shown, or `None` to follow training
    pub shown_step: Option<u64>,
}

impl Default for SingleParams {
    /// Figure 3 in small: a ReLU network of depth 3 and width 256 on 16 noisy points of sin x,
    /// MSE, full-batch gradient descent at about half its η_max.
    fn default() -> Self {
        SingleParams {
            arch: Architecture {
                depth: 3,
                activation: Activation::Relu,
                sw2: 2.0,
                sb2: 0.1,
                param: Parameterization::Ntk,
            },
            width: 256,
            set: SingleSet::Sin,
            n_train: 16,
            noise: 0.1,
            loss: Loss::Mse,
            optimizer: OptimizerKind::Gd,
            momentum: 0.9,
            batch: 8,
            lr: 0.05,
            steps: 2000,
            seed: 0,
            alpha: None,
            quadratic: false,
            shown_step: None,
        }
    }
}

crate::has_arch!(
    SingleParams,
    ArchFields {
        depth: Some(&Self::DEPTH),
        activation: &Self::ACTIVATION,
        sw2: &Self::SW2,
        sb2: &Self::SB2,
        param: Some(&Self::PARAM),
        phi: Some(&Self::PHI),
    }
);

impl SingleParams {
    /// Depth L.
    pub const DEPTH: Field<Self> = arch::depth(6);
    /// φ.
    pub const ACTIVATION: Field<Self> = arch::activation(&ACTIVATIONS);
    /// A typed φ.
    pub const PHI: Field<Self> = arch::phi();
    /// σ_w².
    pub const SW2: Field<Self> = arch::sw2(0.01, 10.0, true);
    /// σ_b².
    pub const SB2: Field<Self> = arch::sb2(4.0);
    /// Parameterization.
    pub const PARAM: Field<Self> = arch::param();
    /// Width n.
    pub const WIDTH: Field<Self> = int_field!("width", "width n", 8, MAX_WIDTH, true, |s| s.width);
    /// Data set.
    pub const DATA: Field<Self> = choice_field!("data", "data set", SingleSet, |s| s.set);
    /// Training points.
    pub const N_TRAIN: Field<Self> =
        int_field!("n", "training points N", 2, MAX_POINTS, false, |s| s.n_train);
    /// Noise of the regression set.
    pub const NOISE: Field<Self> =
        real_field!("noise", "target noise (std, sin)", 0.0, 1.0, false, |s| s.noise);
    /// Loss.
    pub const LOSS: Field<Self> = choice_field!("loss", "loss", Loss, |s| s.loss);
    /// Optimizer.
    pub const OPTIMIZER: Field<Self> = choice_field!("opt", "optimizer", OptimizerKind, |s| s.optimizer);
    /// Momentum β.
    pub const MOMENTUM: Field<Self> =
        real_field!("beta", "momentum β (momentum, sgd)", 0.0, 0.99, false, |s| s.momentum);
    /// Minibatch size.
    pub const BATCH: Field<Self> = int_field!("bs", "batch size B (sgd)", 1, MAX_POINTS, false, |s| s.batch);
    /// Learning rate.
    pub const LR: Field<Self> = real_field!("lr", "learning rate η", 1e-6, 100.0, true, |s| s.lr);
    /// Steps.
    pub const STEPS: Field<Self> = int_field!("steps", "steps K", 1, MAX_STEPS, true, |s| s.steps);
    /// Seed.
    pub const SEED: Field<Self> = int_field!("seed", "seed", 0, 1u64 << 53, false, |s| s.seed);
    /// Chizat's output scale α (left out of the link when f itself is trained).
    pub const ALPHA: Field<Self> = optional_real_field!(
        "alpha",
        "output scale α (large: lazy, small: rich)",
        ALPHA_RANGE.0,
        ALPHA_RANGE.1,
        true,
        |s| s.alpha
    );
    /// The quadratic model beside the network: `quad=1`, left out of the link when off.
    pub const QUADRATIC: Field<Self> =
        flag_field!("quad", "quadratic model f₀ + J₀δ + ½ δᵀH₀δ", |s| s.quadratic);
    /// The step shown (left out of the link while the view follows training).
    pub const SHOWN_STEP: Field<Self> = Field {
        key: "k",
        label: "shown step",
        kind: Kind::Int { min: 0, max: MAX_STEPS, log: false },
        get: |s| s.shown_step.map_or(Value::Unset, Value::Int),
        set: |s, v, _| {
            if let Value::Int(k) = v {
                s.shown_step = Some(k);
            }
            Vec::new()
        },
    };

    /// What a run depends on: everything but the step shown.
    pub fn run_key(&self) -> SingleParams {
        SingleParams { shown_step: None, ..self.clone() }
    }

    /// The momentum and minibatch size the optimizer uses (β = 0 for plain descent, no batch
    /// for full-batch optimizers).
    pub fn optimizer_settings(&self) -> (f64, Option<usize>) {
        match self.optimizer {
            OptimizerKind::Gd => (0.0, None),
            OptimizerKind::Momentum => (self.momentum, None),
            OptimizerKind::Sgd => (self.momentum, Some(self.batch)),
        }
    }

    /// The run of these parameters, with `width` and `checkpoints` (the compare-widths runs
    /// change the width).
    ///
    /// # Errors
    /// The core's message for a spec it refuses (e.g. cross-entropy on the regression set).
    pub fn spec(&self, width: usize, checkpoints: usize) -> Result<SingleSpec, String> {
        let data =
            named_set(self.set.name(), self.n_train, self.noise, self.seed).map_err(|e| e.to_string())?;
        let (momentum, batch_size) = self.optimizer_settings();
        let spec = SingleSpec {
            arch: self.arch,
            width,
            data,
            loss: self.loss,
            learning_rate: self.lr,
            momentum,
            batch_size,
            steps: self.steps,
            seed: self.seed,
            checkpoints,
            alpha: self.alpha,
            quadratic: self.quadratic,
        };
        spec.validate().map_err(|e| match (self.loss, self.set.is_classification()) {
            (Loss::Xent, false) => {
                format!("{e} — cross-entropy trains on labels: pick circles, spirals or xor, or the MSE loss")
            }
            _ => e.to_string(),
        })?;
        Ok(spec)
    }

    /// The `ntk single` command that prints the same run (the page's data set generated by the
    /// core with the same seed).
    pub fn cli_command(&self, checkpoints: usize) -> String {
        let a = &self.arch;
        let act = match a.activation {
            Activation::Custom(c) => format!("'custom:{}'", c.source()),
            other => arch::activation_name(other).to_string(),
        };
        let (momentum, batch) = self.optimizer_settings();
        let mut cmd =
            format!(
            "ntk single --act {act} --depth {} --sw2 {} --sb2 {} --param {} --width {} --data {} --points {}",
            a.depth, a.sw2, a.sb2, a.param, self.width, self.set.name(), self.n_train
        );
        if !self.set.is_classification() {
            cmd.push_str(&format!(" --noise {}", self.noise));
        }
        cmd.push_str(&format!(
            " --data-seed {} --seed {} --loss {} --optimizer {} --lr {} --steps {} --checkpoints {checkpoints}",
            self.seed, self.seed, self.loss, self.optimizer, self.lr, self.steps
        ));
        if self.optimizer != OptimizerKind::Gd {
            cmd.push_str(&format!(" --momentum {momentum}"));
        }
        if let Some(b) = batch {
            cmd.push_str(&format!(" --batch-size {b}"));
        }
        if let Some(a) = self.alpha {
            cmd.push_str(&format!(" --alpha {a}"));
        }
        if self.quadratic {
            cmd.push_str(" --quadratic");
        }
        cmd
    }
}

impl Described for SingleParams {
    const FIELDS: &'static [Field<Self>] = &[
        Self::DEPTH,
        Self::WIDTH,
        Self::ACTIVATION,
        Self::PHI,
        Self::SW2,
        Self::SB2,
        Self::PARAM,
        Self::DATA,
        Self::N_TRAIN,
        Self::NOISE,
        Self::LOSS,
        Self::OPTIMIZER,
        Self::MOMENTUM,
        Self::BATCH,
        Self::LR,
        Self::STEPS,
        Self::SEED,
        Self::ALPHA,
        Self::QUADRATIC,
        Self::SHOWN_STEP,
    ];

    /// The step shown within the steps; the batch within the training points.
    fn normalize(&mut self) -> Vec<Note> {
        let mut notes = Vec::new();
        if self.shown_step.is_some_and(|k| k > self.steps) {
            self.shown_step = Some(self.steps);
            notes.push(Note::text(format!("shown step clamped to the {} steps", self.steps)));
        }
        if self.batch > self.n_train {
            self.batch = self.n_train;
            notes.push(Note::text(format!("batch size clamped to the {} training points", self.n_train)));
        }
        notes
    }
}

/// Presets that reproduce the paper's single-network figures in small.
pub mod presets {
    use super::*;

    /// Figure 3 (MSE, NTK parameterization): the default.
    pub fn figure3() -> SingleParams {
        SingleParams::default()
    }

    /// Figure S8 (MSE, standard parameterization): the same network; the learning rate scaled
    /// by 1/n as SM F prescribes (η_std ≈ η_NTK σ_w²/n).
    pub fn figure_s8() -> SingleParams {
        let d = SingleParams::default();
        SingleParams { arch: Architecture { param: Parameterization::Standard, ..d.arch }, lr: 0.0004, ..d }
    }

    /// Figure S4 (cross-entropy, late-time logit drift): a narrow tanh network on the circles
    /// set, trained long enough for the logits to keep growing.
    pub fn figure_s4() -> SingleParams {
        SingleParams {
            arch: Architecture {
                depth: 3,
                activation: Activation::Tanh,
                sw2: 1.5,
                sb2: 0.05,
                param: Parameterization::Ntk,
            },
            width: 128,
            set: SingleSet::Circles,
            n_train: 32,
            loss: Loss::Xent,
            lr: 1.0,
            steps: 5000,
            ..SingleParams::default()
        }
    }

    /// Figure 4 / S3 (minibatch SGD with momentum, cross-entropy).
    pub fn figure4() -> SingleParams {
        SingleParams {
            optimizer: OptimizerKind::Sgd,
            momentum: 0.9,
            batch: 8,
            lr: 0.1,
            steps: 2000,
            width: 256,
            ..figure_s4()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::url::{decode, encode, RESERVED};
    use crate::storage::NoTables;

    #[test]
    fn presets_round_trip_and_build_their_runs() {
        for p in [presets::figure3(), presets::figure_s8(), presets::figure_s4(), presets::figure4()] {
            let (back, notes) =
                decode::<SingleParams>(&format!("view=single&{}", encode(&p)), RESERVED, &NoTables);
            assert_eq!((&back, notes.len()), (&p, 0));
            let spec = p.spec(p.width, 60).unwrap();
            assert_eq!(spec.data.x_train.len(), p.n_train);
            assert!(p.cli_command(60).starts_with("ntk single "));
        }
    }

    /// `quad=1` turns the quadratic model on in the run and the command; it is absent from
    /// the link when off, so links made before it are unchanged.
    #[test]
    fn the_quadratic_model_is_in_the_link_only_when_on() {
        let d = SingleParams::default();
        assert!(!encode(&d).contains("quad"));
        assert!(!d.spec(d.width, 60).unwrap().quadratic && !d.cli_command(60).contains("--quadratic"));
        let q = SingleParams { quadratic: true, ..d };
        let link = encode(&q);
        assert!(link.contains("quad=1"), "{link}");
        let (back, notes) = decode::<SingleParams>(&format!("view=single&{link}"), RESERVED, &NoTables);
        assert_eq!((&back, notes.len()), (&q, 0));
        assert!(back.spec(back.width, 60).unwrap().quadratic);
        assert!(back.cli_command(60).ends_with(" --quadratic"));
        let (bad, notes) = decode::<SingleParams>("quad=7", RESERVED, &NoTables);
        assert!(bad.quadratic && notes.len() == 1, "clamped to 1 with a note: {notes:?}");
    }

    #[test]
    fn cross_entropy_on_the_regression_set_is_refused_with_what_to_do() {
        let p = SingleParams { loss: Loss::Xent, ..SingleParams::default() };
        let e = p.spec(64, 60).unwrap_err();
        assert!(e.contains("labels") && e.contains("circles"), "{e}");
        let (s, notes) = decode::<SingleParams>("bs=40&n=10&k=99999&steps=100", RESERVED, &NoTables);
        assert_eq!((s.batch, s.shown_step), (10, Some(100)));
        assert_eq!(notes.len(), 2, "{notes:?}");
    }
}
