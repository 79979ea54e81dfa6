//! The order-and-chaos view's shareable state: the nonlinearity, the (σ_w², σ_b²) point shown
//! (and given to the explorer), the region and resolution of the phase diagram, the data whose
//! Gram matrices are conditioned against depth, and the trainability grid run on demand.

use ntk_core::datasets::NAMED_SETS;
use ntk_core::experiments::trainability::{TrainabilityData, TrainabilitySpec};
use ntk_core::experiments::widths::LearningRate;
use ntk_core::theory::phase::{AxisRange, PhaseGridSpec, DEFAULT_Q0};
use ntk_core::{Activation, Architecture, Parameterization};

use super::arch::{self, ArchFields, ACTIVATIONS};
use super::notes::Note;
use super::{Described, Field, Kind, Value};
use crate::{int_field, real_field};

/// Starting correlations of the correlation-map panel.
pub const C0S: [f64; 4] = [0.0, 0.5, 0.9, 0.99];

/// Everything an order-and-chaos link reproduces.
#[derive(Clone, Debug, PartialEq)]
pub struct PhaseParams {
    /// φ, and the point (σ_w², σ_b²) shown; depth unused (the panels sweep it)
    pub arch: Architecture,
    /// σ_w² range of the diagram
    pub sw2_range: (f64, f64),
    /// σ_b² range of the diagram
    pub sb2_range: (f64, f64),
    /// cells per side of the diagram
    pub grid: usize,
    /// layers of the correlation map
    pub layers: usize,
    /// deepest network of the Gram-conditioning panel
    pub max_depth: usize,
    /// the data set whose Gram matrices are conditioned (a generated set's name)
    pub data: &'static str,
    /// its training points
    pub n_train: usize,
    /// its seed
    pub data_seed: u64,
}

impl Default for PhaseParams {
    /// tanh (the paper's Figure 2 nonlinearity) at the explorer's default σ's, the plane
    /// σ_w² ∈ [0.1, 4], σ_b² ∈ [0, 0.5] on a 40 × 40 grid, 8 points of the sine set.
    fn default() -> Self {
        PhaseParams {
            arch: Architecture {
                depth: 1,
                activation: Activation::Tanh,
                sw2: 1.5,
                sb2: 0.05,
                param: Parameterization::Ntk,
            },
            sw2_range: (0.1, 4.0),
            sb2_range: (0.0, 0.5),
            grid: 40,
            layers: 30,
            max_depth: 40,
            data: "sin",
            n_train: 8,
            data_seed: 1,
        }
    }
}

crate::has_arch!(
    PhaseParams,
    ArchFields {
        depth: None,
        activation: &Self::ACTIVATION,
        sw2: &Self::SW2,
        sb2: &Self::SB2,
        param: None,
        phi: Some(&Self::PHI),
    }
);

/// A named data set's field.
const fn data_field() -> Field<PhaseParams> {
    Field {
        key: "data",
        label: "data set (Gram matrices)",
        kind: Kind::Choice(&NAMED_SETS),
        get: |s| Value::Choice(s.data),
        set: |s, v, _| {
            if let Value::Choice(name) = v {
                if let Some(n) = NAMED_SETS.iter().find(|n| **n == name) {
                    s.data = n;
                }
            }
            Vec::new()
        },
    }
}

impl PhaseParams {
    /// φ.
    pub const ACTIVATION: Field<Self> = arch::activation(&ACTIVATIONS);
    /// A typed φ.
    pub const PHI: Field<Self> = arch::phi();
    /// σ_w² of the point.
    pub const SW2: Field<Self> = arch::sw2(0.01, 10.0, true);
    /// σ_b² of the point.
    pub const SB2: Field<Self> = arch::sb2(4.0);
    /// Diagram σ_w² from.
    pub const SW2_LO: Field<Self> =
        real_field!("wlo", "diagram σ_w² from", 0.01, 10.0, true, |s| s.sw2_range.0);
    /// Diagram σ_w² to.
    pub const SW2_HI: Field<Self> =
        real_field!("whi", "diagram σ_w² to", 0.01, 10.0, true, |s| s.sw2_range.1);
    /// Diagram σ_b² from.
    pub const SB2_LO: Field<Self> =
        real_field!("blo", "diagram σ_b² from", 0.0, 4.0, false, |s| s.sb2_range.0);
    /// Diagram σ_b² to.
    pub const SB2_HI: Field<Self> =
        real_field!("bhi", "diagram σ_b² to", 0.0, 4.0, false, |s| s.sb2_range.1);
    /// Cells per side.
    pub const GRID: Field<Self> = int_field!("grid", "diagram cells per side", 8, 80, false, |s| s.grid);
    /// Layers of the correlation map.
    pub const LAYERS: Field<Self> =
        int_field!("layers", "layers of the correlation map", 5, 200, true, |s| s.layers);
    /// Deepest network conditioned.
    pub const MAX_DEPTH: Field<Self> =
        int_field!("dmax", "deepest network (Gram panel)", 2, 100, true, |s| s.max_depth);
    /// Data set.
    pub const DATA: Field<Self> = data_field();
    /// Training points.
    pub const N_TRAIN: Field<Self> = int_field!("n", "training points N", 2, 64, false, |s| s.n_train);
    /// Data seed.
    pub const DATA_SEED: Field<Self> =
        int_field!("dseed", "data seed", 0, 1u64 << 53, false, |s| s.data_seed);

    /// The diagram's grid.
    pub fn grid_spec(&self) -> PhaseGridSpec {
        PhaseGridSpec {
            activation: self.arch.activation,
            sw2: AxisRange { min: self.sw2_range.0, max: self.sw2_range.1, points: self.grid },
            sb2: AxisRange { min: self.sb2_range.0, max: self.sb2_range.1, points: self.grid },
            q0: DEFAULT_Q0,
        }
    }

    /// What the point panels depend on.
    pub fn point_key(&self) -> PointKey {
        PointKey {
            activation: self.arch.activation,
            sw2: self.arch.sw2,
            sb2: self.arch.sb2,
            layers: self.layers,
            max_depth: self.max_depth,
            data: self.data,
            n_train: self.n_train,
            data_seed: self.data_seed,
        }
    }

    /// The activation's name for the `ntk` commands.
    fn act_arg(&self) -> String {
        match self.arch.activation {
            Activation::Custom(c) => format!("'custom:{}'", c.source()),
            other => arch::activation_name(other).to_string(),
        }
    }

    /// `ntk phase` of the diagram.
    pub fn grid_command(&self) -> String {
        format!(
            "ntk phase --act {} --sw2-range {}:{} --sb2-range {}:{} --grid {}x{}",
            self.act_arg(),
            self.sw2_range.0,
            self.sw2_range.1,
            self.sb2_range.0,
            self.sb2_range.1,
            self.grid,
            self.grid
        )
    }

    /// `ntk phase` of the point and `ntk spectrum` of its Gram matrices.
    pub fn point_commands(&self) -> [String; 2] {
        let c0 = C0S.iter().map(ToString::to_string).collect::<Vec<_>>().join(",");
        [
            format!(
                "ntk phase --act {} --sw2 {} --sb2 {} --c0 {c0} --layers {}",
                self.act_arg(),
                self.arch.sw2,
                self.arch.sb2,
                self.layers
            ),
            format!(
                "ntk spectrum --act {} --depth 1 --sw2 {} --sb2 {} --data {} --points {} --data-seed {} --max-depth {}",
                self.act_arg(),
                self.arch.sw2,
                self.arch.sb2,
                self.data,
                self.n_train,
                self.data_seed,
                self.max_depth
            ),
        ]
    }
}

/// Depths of the trainability grid.
pub const TRAIN_DEPTHS: [usize; 5] = [4, 8, 16, 32, 64];
/// σ_w² values of the trainability grid.
pub const TRAIN_SW2_POINTS: usize = 6;

impl PhaseParams {
    /// The trainability grid run on demand (`ntk trainability`'s defaults): real networks of
    /// width 64 trained 400 steps at ½ η_critical on 16 teacher-labelled points in 16
    /// dimensions, at [`TRAIN_SW2_POINTS`] σ_w² spread over the diagram and the depths
    /// [`TRAIN_DEPTHS`], at the point's σ_b².
    pub fn trainability_spec(&self) -> TrainabilitySpec {
        let (lo, hi) = self.sw2_range;
        let mut sw2: Vec<f64> = (0..TRAIN_SW2_POINTS)
            .map(|i| {
                let v = lo + (hi - lo) * (i as f64 + 0.5) / TRAIN_SW2_POINTS as f64;
                (v * 100.0).round() / 100.0
            })
            .filter(|v| *v > 0.0)
            .collect();
        sw2.dedup();
        TrainabilitySpec {
            activation: self.arch.activation,
            sb2: self.arch.sb2,
            sw2,
            depths: TRAIN_DEPTHS.to_vec(),
            width: 64,
            data: TrainabilityData::Teacher { train_size: 16, test_size: 64, dim: 16, seed: 1 },
            learning_rate: LearningRate::CriticalFraction(0.5),
            steps: 400,
            seeds: 1,
            seed: 0,
        }
    }

    /// `ntk trainability` of [`PhaseParams::trainability_spec`].
    pub fn trainability_command(&self) -> String {
        let s = self.trainability_spec();
        let list = |v: Vec<String>| v.join(",");
        format!(
            "ntk trainability --act {} --sb2 {} --sw2 {} --depths {} --width 64 --steps 400 --lr-critical 0.5",
            self.act_arg(),
            s.sb2,
            list(s.sw2.iter().map(ToString::to_string).collect()),
            list(s.depths.iter().map(ToString::to_string).collect())
        )
    }
}

/// The inputs of the point panels (correlation map, Gram conditioning).
#[derive(Clone, Debug, PartialEq)]
pub struct PointKey {
    /// φ
    pub activation: Activation,
    /// σ_w²
    pub sw2: f64,
    /// σ_b²
    pub sb2: f64,
    /// layers of the correlation map
    pub layers: usize,
    /// deepest network conditioned
    pub max_depth: usize,
    /// the data set's name
    pub data: &'static str,
    /// its training points
    pub n_train: usize,
    /// its seed
    pub data_seed: u64,
}

impl Described for PhaseParams {
    const FIELDS: &'static [Field<Self>] = &[
        Self::ACTIVATION,
        Self::PHI,
        Self::SW2,
        Self::SB2,
        Self::SW2_LO,
        Self::SW2_HI,
        Self::SB2_LO,
        Self::SB2_HI,
        Self::GRID,
        Self::LAYERS,
        Self::MAX_DEPTH,
        Self::DATA,
        Self::N_TRAIN,
        Self::DATA_SEED,
    ];

    /// Ranges in order (from ≤ to), swapped back with a note.
    fn normalize(&mut self) -> Vec<Note> {
        let mut notes = Vec::new();
        for (range, what) in [(&mut self.sw2_range, "σ_w²"), (&mut self.sb2_range, "σ_b²")] {
            if range.0 > range.1 {
                *range = (range.1, range.0);
                notes.push(Note::text(format!("the diagram's {what} range was given backwards: swapped")));
            }
        }
        notes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::url::{decode, encode, RESERVED};
    use crate::storage::NoTables;

    #[test]
    fn the_link_round_trips_and_backwards_ranges_are_swapped() {
        let p = PhaseParams { grid: 12, data: "circles", ..PhaseParams::default() };
        let (back, notes) = decode::<PhaseParams>(&format!("view=phase&{}", encode(&p)), RESERVED, &NoTables);
        assert_eq!((back, notes.len()), (p, 0));
        let (s, notes) = decode::<PhaseParams>("wlo=3&whi=1&data=nope", RESERVED, &NoTables);
        assert_eq!(s.sw2_range, (1.0, 3.0));
        assert_eq!(s.data, "sin");
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(PhaseParams::default().grid_command().starts_with("ntk phase --act tanh --sw2-range 0.1:4"));
    }
}
