//! The typed messages between the page and its workers, shared by both sides and sent as JSON
//! strings through `postMessage`. Every task a scheduler hands out carries its [`JobId`]
//! (generation and task index); every reply names it back, so replies of cancelled generations
//! are recognised and dropped.

use ntk_core::experiments::catapult_network::{CatapultNetworkSpec, NetworkTrajectory};
use ntk_core::experiments::kernel_convergence::{ConvergencePoint, ConvergenceSpec};
use ntk_core::experiments::single::{SingleCheckpoint, SingleDivergence, SingleSpec, SingleStart};
use ntk_core::experiments::trainability::{TrainabilityCell, TrainabilitySpec};
use ntk_core::experiments::widths::{WidthPoint, WidthSweepSpec};
use ntk_core::nets::ensemble::{CheckpointBatch, EnsembleSpec};
use ntk_core::theory::gp::GpKernels;
use ntk_core::theory::phase::{GramConditioning, PhaseGridSpec, PhaseRow, PointReport};
use ntk_core::Architecture;
use serde::{Deserialize, Serialize};

/// Which task of which generation a message is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobId {
    /// the scheduler's generation (a new run cancels the older ones)
    pub generation: u64,
    /// index of the task within its generation
    pub task: usize,
}

/// The work of one task.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Work {
    /// Train members `members.0..members.1` of `spec` together (each seeded from `spec.seed`
    /// and its index, so which worker runs it does not matter), posting the batch of every
    /// checkpoint as soon as all of them reach it ([`FromWorker::Partial`]). Cooperative: the
    /// worker reads messages between chunks of steps, so [`ToWorker::Cancel`] stops it at once.
    Ensemble {
        /// the full, self-contained job
        spec: EnsembleSpec,
        /// member range (start, end)
        members: (usize, usize),
    },
    /// Train one network beside its linearization and the analytic-Θ dynamics
    /// ([`ntk_core::experiments::single::SingleRunner`]), posting what is known at the start
    /// and then every checkpoint as it is reached ([`FromWorker::Partial`]). Cooperative, like
    /// an ensemble task.
    Single(SingleSpec),
    /// Compute the GP kernels of `arch` on these points (activations evaluated by quadrature).
    Kernels {
        /// the architecture
        arch: Architecture,
        /// training inputs, one point per entry
        x_train: Vec<Vec<f64>>,
        /// test inputs
        x_test: Vec<Vec<f64>>,
    },
    /// Train the catapult view's networks.
    Catapult(CatapultJob),
    /// Rows `rows.0..rows.1` of a phase diagram ([`ntk_core::theory::phase::phase_rows`]).
    PhaseRows {
        /// the whole diagram
        spec: PhaseGridSpec,
        /// row range (start, end)
        rows: (usize, usize),
    },
    /// The order-and-chaos view's point panels: the correlation map and the Gram matrices'
    /// conditioning against depth.
    PhasePoint(PhasePointJob),
    /// One width of a kernel-convergence study
    /// ([`ntk_core::experiments::kernel_convergence::run_convergence_width`]).
    Convergence {
        /// the whole study
        spec: ConvergenceSpec,
        /// the width
        width: usize,
    },
    /// One cell (σ_w² index, depth index) of a trainability grid, every seed
    /// ([`ntk_core::experiments::trainability::run_cell`]).
    Trainability {
        /// the whole grid
        spec: TrainabilitySpec,
        /// the cell
        cell: (usize, usize),
    },
    /// Train seeds `seeds.0..seeds.1` of one width of a width sweep
    /// ([`ntk_core::experiments::widths::run_width_members`]).
    Width {
        /// the whole sweep (the task runs one point of it)
        spec: WidthSweepSpec,
        /// the hidden width n, on `spec.widths`
        width: usize,
        /// the second-axis value (`None` without an axis)
        axis_value: Option<usize>,
        /// seed range (start, end)
        seeds: (usize, usize),
    },
}

/// Page → worker. (A message lives only until it is serialized to JSON and posted, so the
/// size of its largest variant, a task with its spec, costs nothing worth a box.)
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[allow(clippy::large_enum_variant)]
pub enum ToWorker {
    /// Run one task.
    Run {
        /// its id
        job: JobId,
        /// what to do
        work: Work,
    },
    /// Stop a cooperative task of this generation or an older one (the worker answers
    /// [`FromWorker::Cancelled`], or nothing if it runs none).
    Cancel {
        /// the newest generation to stop
        generation: u64,
    },
    /// Make the worker panic (used by tests of the recovery path; feature `test-hooks`).
    #[cfg(feature = "test-hooks")]
    Crash,
}

impl Work {
    /// Whether the worker reads messages while running it (and can be cancelled by message
    /// rather than terminated).
    pub fn is_cooperative(&self) -> bool {
        matches!(self, Work::Ensemble { .. } | Work::Single(_))
    }
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
    /// train the wide network's linearization and quadratic model beside it
    /// ([`TaylorModels::Both`](ntk_core::experiments::catapult_network::TaylorModels))
    #[serde(default)]
    pub quadratic: bool,
}

/// What a [`CatapultJob`] produced.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CatapultRun {
    /// the wide network
    pub network: NetworkTrajectory,
    /// the small-width networks
    pub members: Vec<NetworkTrajectory>,
}

/// The point panels of the order-and-chaos view at one (φ, σ_w², σ_b²).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhasePointJob {
    /// φ
    pub activation: ntk_core::Activation,
    /// σ_w²
    pub sw2: f64,
    /// σ_b²
    pub sb2: f64,
    /// starting correlations of the correlation map
    pub c0s: Vec<f64>,
    /// layers of the correlation map
    pub layers: usize,
    /// training inputs whose Gram matrices are conditioned
    pub x_train: Vec<Vec<f64>>,
    /// deepest network conditioned
    pub max_depth: usize,
}

/// What a [`PhasePointJob`] produced.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhasePointResult {
    /// the point's quantities and the correlation map
    pub report: PointReport,
    /// the Gram matrices' conditioning against depth, or why it could not be computed
    pub conditioning: Result<GramConditioning, String>,
}

/// A part of a cooperative task's result, posted as soon as it exists.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Part {
    /// the members' records at one checkpoint of an ensemble task
    Ensemble(CheckpointBatch),
    /// a one-network task's followed weights and Θ̂₀ landmarks, before its first checkpoint
    SingleStart(SingleStart),
    /// one checkpoint of a one-network task
    Single(Box<SingleCheckpoint>),
}

/// Where a task is.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// fraction of the task done, in [0, 1]
    pub fraction: f64,
    /// the member or seed being trained, if any
    pub unit: Option<usize>,
    /// its current step, if any
    pub step: Option<u64>,
}

/// The result of a finished task.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Output {
    /// every member of the task reached the last checkpoint (its batches were posted)
    Ensemble,
    /// the GP kernels
    Kernels(GpKernels),
    /// the catapult networks
    Catapult(CatapultRun),
    /// the point of the task's seeds (diverged seeds recorded in it)
    Width(Box<WidthPoint>),
    /// a one-network task ended: every checkpoint was posted, or a model diverged
    Single(Option<SingleDivergence>),
    /// rows of a phase diagram
    PhaseRows(Vec<PhaseRow>),
    /// the order-and-chaos point panels
    PhasePoint(Box<PhasePointResult>),
    /// a trainability cell
    Trainability(Box<TrainabilityCell>),
    /// one width of a kernel-convergence study
    Convergence(Box<ConvergencePoint>),
}

/// Worker → page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum FromWorker {
    /// The worker's wasm is loaded and it accepts tasks (messages sent earlier would be lost).
    Ready,
    /// Progress of a task.
    Progress {
        /// the task
        job: JobId,
        /// where it is
        progress: Progress,
    },
    /// A part of a task's result, posted as soon as it exists: the batch of one checkpoint of
    /// an ensemble task, or a checkpoint of a one-network task.
    Partial {
        /// the task
        job: JobId,
        /// the part
        part: Part,
    },
    /// A cooperative task stopped on [`ToWorker::Cancel`]; the worker is free.
    Cancelled {
        /// the task
        job: JobId,
    },
    /// A task ended: its output, or the core's one-line message why it could not run.
    Done {
        /// the task
        job: JobId,
        /// output or error
        result: Result<Output, String>,
    },
    /// The worker panicked (a bug): its message, posted just before the worker stops.
    Panicked {
        /// the panic's message and place
        message: String,
    },
    /// A message the worker could not read.
    Unreadable {
        /// why
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
    /// JSON text of the message.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("worker messages serialize")
    }
}
