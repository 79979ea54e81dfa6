//! The explorer's presets: settings worth a click.

use ntk_core::{Activation, Architecture};

use crate::params::explorer::{DataChoice, DataParams, ExplorerParams, TrainingParams};

/// A preset: its button text and its state.
pub struct Preset {
    /// button text
    pub name: &'static str,
    /// the state it sets
    pub state: fn() -> ExplorerParams,
}

/// Every preset, in button order.
pub const PRESETS: [Preset; 6] = [
    Preset { name: "Default", state: ExplorerParams::default },
    Preset { name: "Paper Figure 2", state: paper_figure_2 },
    Preset { name: "neural-tangents cookbook (20 of its 100 networks)", state: cookbook },
    Preset { name: "Lazy: width 1024", state: lazy },
    Preset { name: "Not lazy: width 16", state: not_lazy },
    Preset { name: "2-D XOR, Figure 2 segment", state: xor_segment },
];

/// The architecture of the paper's Figure 2 (3 tanh layers, σ_w² = 1.5, no bias, η = 0.5) on
/// the 1-D sine data, at a width and ensemble size a browser tab trains in seconds (the paper:
/// width 8192, 100 networks, 128 CIFAR-10 points).
pub fn paper_figure_2() -> ExplorerParams {
    let d = ExplorerParams::default();
    ExplorerParams {
        arch: Architecture { depth: 3, activation: Activation::Tanh, sw2: 1.5, sb2: 0.0, ..d.arch },
        training: TrainingParams {
            lr: 0.5,
            width: 512,
            members: 10,
            steps: 1000,
            alpha: None,
            quadratic: false,
        },
        data: DataParams { n_train: 8, ..d.data },
        ..d
    }
}

/// The neural-tangents cookbook: 5 noisy sine points, two erf layers of width 512,
/// σ_w = 1.5, σ_b = 0.05, η = 0.1, 10,000 steps — with 20 of its 100 networks, which a tab trains
/// in under a minute (all 100 are 7.9·10¹² FLOP, past the page's limit; `ntk ensemble` runs them,
/// README).
pub fn cookbook() -> ExplorerParams {
    let d = ExplorerParams::default();
    ExplorerParams { training: TrainingParams { width: 512, steps: 10_000, members: 20, ..d.training }, ..d }
}

/// The paper's Figure 2 view on a 2-D set: outputs along the segment between two training
/// points of the XOR labels, with the heatmaps of every model over the plane.
pub fn xor_segment() -> ExplorerParams {
    let d = ExplorerParams::default();
    ExplorerParams {
        data: DataParams { set: DataChoice::Xor, n_train: 16, noise: 0.0, seg: (0, 1), ..d.data },
        training: TrainingParams { lr: 0.5, steps: 2000, members: 16, ..d.training },
        ..d
    }
}

/// Wide networks (width 1024) stay lazy: the ensemble sits on its linearization and the
/// NTK-GP band.
pub fn lazy() -> ExplorerParams {
    let d = ExplorerParams::default();
    ExplorerParams {
        training: TrainingParams {
            width: 1024,
            lr: 0.1,
            steps: 2000,
            members: 8,
            alpha: None,
            quadratic: false,
        },
        ..d
    }
}

/// Narrow networks (width 16) at the same η: the ensemble leaves its linearization and the
/// NTK-GP band (none diverges at η = 0.1, below η_crit).
pub fn not_lazy() -> ExplorerParams {
    let d = ExplorerParams::default();
    ExplorerParams {
        training: TrainingParams {
            width: 16,
            lr: 0.1,
            steps: 2000,
            members: 30,
            alpha: None,
            quadratic: false,
        },
        ..d
    }
}
