//! The catapult view's shareable state (docs/MATH.md, "Learning-rate thresholds and the
//! catapult"): the two-scalar model's ηλ₀, n, λ₀, f₀ and steps, and the real networks trained
//! beside it (one hidden layer, NTK parameterization).

use ntk_core::{Activation, Architecture, Parameterization};

use super::arch::{self, ArchFields};
use super::{Described, Field};
use crate::{flag_field, int_field, real_field};

/// Nonlinearities of the catapult view's real network.
pub const CATAPULT_ACTIVATIONS: [&str; 3] = ["relu", "tanh", "identity"];

/// Everything a catapult link reproduces.
#[derive(Clone, Debug, PartialEq)]
pub struct CatapultParams {
    /// ηλ₀, the learning rate in units of 1/λ₀ (phases: lazy < 2 < catapult < 4 < divergent)
    pub eta_lambda0: f64,
    /// width n of the two-scalar model
    pub n: u64,
    /// λ₀ of the two-scalar model
    pub lambda0: f64,
    /// f₀ of the two-scalar model
    pub f0: f64,
    /// gradient-descent steps (model and networks)
    pub steps: u64,
    /// the real network: one hidden layer, its φ, σ_w², σ_b² (NTK parameterization)
    pub arch: Architecture,
    /// the real network's hidden width
    pub width: usize,
    /// training points (1: the one-sample problem x = 1, y = 0; more: y = sin x)
    pub points: usize,
    /// small-width networks trained beside it (0 for none)
    pub members: usize,
    /// their width
    pub member_width: usize,
    /// initialisation seed
    pub seed: u64,
    /// train the wide network's linearization `f₀ + J₀δ` and quadratic model
    /// `f₀ + J₀δ + ½ δᵀH₀δ` beside it (`quad=1` in the link, absent when off)
    pub quadratic: bool,
}

impl Default for CatapultParams {
    /// A catapult: ηλ₀ = 3 with a ReLU network of width 1024 on 4 points.
    fn default() -> Self {
        CatapultParams {
            eta_lambda0: 3.0,
            n: 1000,
            lambda0: 2.0,
            f0: 1.0,
            steps: 100,
            arch: Architecture {
                depth: 1,
                activation: Activation::Relu,
                sw2: 2.0,
                sb2: 0.0,
                param: Parameterization::Ntk,
            },
            width: 1024,
            points: 4,
            members: 6,
            member_width: 32,
            seed: 0,
            quadratic: false,
        }
    }
}

crate::has_arch!(CatapultParams, ArchFields::basic(&Self::ACTIVATION, &Self::SW2, &Self::SB2));

impl CatapultParams {
    /// The `ntk catapult` command iterating the same two-scalar map (the model's curves of the
    /// trajectory panels).
    pub fn map_command(&self) -> String {
        format!(
            "ntk catapult --eta-lambda0 {} --width {} --lambda0 {} --f0 {} --steps {}",
            self.eta_lambda0, self.n, self.lambda0, self.f0, self.steps
        )
    }

    /// The `ntk catapult --network` command training the same wide network (with its Taylor
    /// models when [`CatapultParams::quadratic`] is on).
    pub fn network_command(&self) -> String {
        let a = &self.arch;
        let mut cmd = format!(
            "ntk catapult --network --activation {} --sw2 {} --sb2 {} --points {} --eta-lambda0 {} --width {} --steps {} --seed {}",
            arch::activation_name(a.activation),
            a.sw2,
            a.sb2,
            self.points,
            self.eta_lambda0,
            self.width,
            self.steps,
            self.seed
        );
        if self.quadratic {
            cmd.push_str(" --quadratic");
        }
        cmd
    }

    /// The `ntk catapult --sweep` command computing the phase diagram of the map over `count`
    /// evenly spaced ηλ₀ in `[lo, hi]`.
    pub fn sweep_command(&self, lo: f64, hi: f64, count: usize) -> String {
        format!(
            "ntk catapult --sweep --grid-min {lo} --grid-max {hi} --grid-count {count} --width {} --lambda0 {} --f0 {} --steps {}",
            self.n, self.lambda0, self.f0, self.steps
        )
    }
}

impl CatapultParams {
    /// ηλ₀.
    pub const ETA_LAMBDA0: Field<Self> =
        real_field!("el0", "η·λ₀ (learning rate × initial sharpness)", 0.05, 6.0, false, |s| s
            .eta_lambda0);
    /// Width of the two-scalar model.
    pub const N: Field<Self> = int_field!("n", "width n", 10, 1_000_000, true, |s| s.n);
    /// λ₀ of the model.
    pub const LAMBDA0: Field<Self> =
        real_field!("l0", "λ₀ = (|u|² + |v|²)/n", 0.1, 10.0, true, |s| s.lambda0);
    /// f₀ of the model.
    pub const F0: Field<Self> = real_field!("f0", "f₀ = vᵀu/√n", -10.0, 10.0, false, |s| s.f0);
    /// Steps.
    pub const STEPS: Field<Self> = int_field!("steps", "steps", 10, 2000, true, |s| s.steps);
    /// The real network's φ.
    pub const ACTIVATION: Field<Self> = arch::activation(&CATAPULT_ACTIVATIONS);
    /// The real network's width.
    pub const WIDTH: Field<Self> = int_field!("width", "network width", 16, 4096, true, |s| s.width);
    /// Its σ_w².
    pub const SW2: Field<Self> = arch::sw2(0.1, 4.0, false);
    /// Its σ_b².
    pub const SB2: Field<Self> = arch::sb2(2.0);
    /// Training points.
    pub const POINTS: Field<Self> =
        int_field!("points", "training points (1: x = 1, y = 0; more: sin x)", 1, 16, false, |s| s.points);
    /// Small networks.
    pub const MEMBERS: Field<Self> =
        int_field!("members", "small networks (spread)", 0, 20, false, |s| s.members);
    /// Their width.
    pub const MEMBER_WIDTH: Field<Self> =
        int_field!("mwidth", "their width", 8, 256, true, |s| s.member_width);
    /// Seed.
    pub const SEED: Field<Self> = int_field!("seed", "seed", 0, 1u64 << 53, false, |s| s.seed);
    /// The wide network's Taylor models: `quad=1`, left out of the link when off.
    pub const QUADRATIC: Field<Self> =
        flag_field!("quad", "linearization and quadratic model of the wide network", |s| s.quadratic);

    /// The catapult view at the explorer's setting: its activation (ReLU for those the view
    /// does not offer), σ's, and ηλ₀ = 2η/η_max (η_max = 2N/λ_max(Θ), λ = λ_max/N).
    pub fn from_explorer(explorer: &Architecture, lr: f64, eta_max: f64) -> CatapultParams {
        let d = CatapultParams::default();
        let activation = match explorer.activation {
            Activation::Tanh | Activation::Identity => explorer.activation,
            _ => Activation::Relu,
        };
        let eta_lambda0 = (2.0 * lr / eta_max).clamp(0.05, 6.0);
        CatapultParams {
            eta_lambda0: (eta_lambda0 * 1000.0).round() / 1000.0,
            arch: Architecture {
                activation,
                sw2: explorer.sw2.clamp(0.1, 4.0),
                sb2: explorer.sb2.clamp(0.0, 2.0),
                ..d.arch
            },
            ..d
        }
    }
}

impl Described for CatapultParams {
    const FIELDS: &'static [Field<Self>] = &[
        Self::ETA_LAMBDA0,
        Self::N,
        Self::LAMBDA0,
        Self::F0,
        Self::STEPS,
        Self::ACTIVATION,
        Self::WIDTH,
        Self::SW2,
        Self::SB2,
        Self::POINTS,
        Self::MEMBERS,
        Self::MEMBER_WIDTH,
        Self::SEED,
        Self::QUADRATIC,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::url::{decode, encode, RESERVED};
    use crate::storage::NoTables;

    #[test]
    fn hostile_values_and_the_explorer_handover() {
        let (s, notes) =
            decode::<CatapultParams>("el0=99&n=-5&act=gelu&width=1e9&zz=1&f0=NaN", RESERVED, &NoTables);
        assert_eq!(s.eta_lambda0, 6.0);
        assert_eq!(s.n, 10);
        assert_eq!(s.arch.activation, Activation::Relu);
        assert_eq!(s.width, 4096);
        assert_eq!(s.f0, CatapultParams::default().f0);
        assert_eq!(notes.len(), 6, "{notes:?}");
        let explorer = Architecture { activation: Activation::Erf, ..CatapultParams::default().arch };
        let c = CatapultParams::from_explorer(&explorer, 1.5, 1.0);
        assert_eq!((c.eta_lambda0, c.arch.activation), (3.0, Activation::Relu));
        let (back, notes) =
            decode::<CatapultParams>(&format!("view=catapult&{}", encode(&c)), RESERVED, &NoTables);
        assert_eq!((&back, notes.len()), (&c, 0));
        // The Taylor models: `quad=1` only when on, and `--quadratic` on the network command.
        assert!(!encode(&c).contains("quad") && !c.network_command().contains("--quadratic"));
        let q = CatapultParams { quadratic: true, ..c };
        assert!(encode(&q).contains("quad=1") && q.network_command().ends_with(" --quadratic"));
        let (back, _) =
            decode::<CatapultParams>(&format!("view=catapult&{}", encode(&q)), RESERVED, &NoTables);
        assert_eq!(back, q);
    }
}
