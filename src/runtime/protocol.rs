//! The typed messages between the page and its workers, shared by both sides and sent as JSON
//! strings through `postMessage` (messages are small: a spec of a few hundred points, or the
//! checkpoint statistics of one member).

use ntk_core::experiments::catapult_network::{CatapultNetworkSpec, NetworkTrajectory};
use ntk_core::experiments::widths::{WidthPoint, WidthSweepSpec};
use ntk_core::nets::ensemble::{EnsembleSpec, EnsembleStats};
use ntk_core::theory::gp::GpKernels;
use ntk_core::Architecture;
use serde::{Deserialize, Serialize};

/// Page → worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ToWorker {
    /// Train member `member` of `spec` (seeded individually from `spec.seed` and the member
    /// index, so which worker runs it does not matter).
    RunMember {
        /// job generation: results of older generations are dropped by the page
        generation: u64,
        /// member index in `0..spec.members`
        member: usize,
        /// the full, self-contained job
        spec: EnsembleSpec,
    },
    /// Compute the GP kernels of `arch` for these points (for activations evaluated by
    /// quadrature, too slow for the main thread).
    Kernels {
        /// request id: replies to older requests are dropped by the page
        request: u64,
        /// the architecture
        arch: Architecture,
        /// training inputs, one point per entry
        x_train: Vec<Vec<f64>>,
        /// test inputs
        x_test: Vec<Vec<f64>>,
    },
    /// Train the catapult view's networks (see [`CatapultJob`]).
    Catapult {
        /// request id: replies to older requests are dropped by the page
        request: u64,
        /// what to train
        job: CatapultJob,
    },
    /// Train seeds `seeds_start..seeds_end` of one width of a width sweep
    /// ([`ntk_core::experiments::widths::run_width_members`]); the page merges the points of disjoint seed
    /// ranges ([`WidthPoint::merge`]).
    Width {
        /// request id: replies to older requests are dropped by the page
        request: u64,
        /// the whole sweep (the worker runs one point of it)
        spec: WidthSweepSpec,
        /// the hidden width n, on `spec.widths`
        width: usize,
        /// the second-axis value (`None` without an axis)
        axis_value: Option<usize>,
        /// first seed index
        seeds_start: usize,
        /// one past the last seed index
        seeds_end: usize,
    },
    /// Make the worker panic (used by tests of the pool's recovery).
    Crash,
}

/// The real networks of the catapult view at one ηλ₀: a wide network, and a small-width
/// ensemble (members seeded `seed`, `seed + 1`, …, sharing the learning rate set from the
/// first member's λ₀) to show the spread.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CatapultJob {
    /// the wide network (its `eta` is replaced by `eta_lambda0 / λ₀`)
    pub network: CatapultNetworkSpec,
    /// the target ηλ₀
    pub eta_lambda0: f64,
    /// width of the ensemble's networks
    pub member_width: usize,
    /// ensemble size (0 for none)
    pub members: usize,
}

/// What a [`CatapultJob`] produced.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CatapultRun {
    /// the wide network
    pub network: NetworkTrajectory,
    /// the small-width networks
    pub members: Vec<NetworkTrajectory>,
}

/// Worker → page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum FromWorker {
    /// The worker's wasm is loaded and it accepts jobs (messages sent earlier would be lost).
    Ready,
    /// Training progress of a member.
    Progress {
        /// job generation
        generation: u64,
        /// member being trained
        member: usize,
        /// its current step
        step: u64,
    },
    /// A member finished (trained to the end, or diverged: see `stats.diverged`).
    MemberDone {
        /// job generation
        generation: u64,
        /// member index
        member: usize,
        /// that member's checkpoint statistics (count 1), merged exactly on the page
        stats: EnsembleStats,
    },
    /// The kernels of a [`ToWorker::Kernels`] request, or why they could not be computed.
    Kernels {
        /// request id
        request: u64,
        /// the kernels, or the core's message
        result: Result<GpKernels, String>,
    },
    /// Progress of a [`ToWorker::Catapult`] request.
    CatapultProgress {
        /// request id
        request: u64,
        /// fraction of the training steps done, in [0, 1]
        fraction: f64,
    },
    /// The networks of a [`ToWorker::Catapult`] request, or why they could not be trained.
    Catapult {
        /// request id
        request: u64,
        /// the trajectories, or the core's message
        result: Result<CatapultRun, String>,
    },
    /// Progress of a [`ToWorker::Width`] request.
    WidthProgress {
        /// request id
        request: u64,
        /// the seed being trained
        seed: usize,
        /// its current step
        step: u64,
        /// fraction of the request's work done, in [0, 1]
        fraction: f64,
    },
    /// The point of a [`ToWorker::Width`] request (diverged seeds are recorded in it), or the
    /// core's message.
    WidthDone {
        /// request id
        request: u64,
        /// the metrics of the requested seeds, or why they could not be computed
        result: Result<WidthPoint, String>,
    },
    /// The job is invalid (the same error for every member: the page stops the job).
    Failed {
        /// job generation
        generation: u64,
        /// the reason, one line
        message: String,
    },
}

impl ToWorker {
    /// JSON text of the message.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("worker messages serialize")
    }
}

impl FromWorker {
    /// Whether this message ends a request (the worker is free again).
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            FromWorker::Kernels { .. }
                | FromWorker::Catapult { .. }
                | FromWorker::WidthDone { .. }
                | FromWorker::MemberDone { .. }
                | FromWorker::Failed { .. }
        )
    }

    /// JSON text of the message.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("worker messages serialize")
    }
}
