//! The width-scaling lab: how far a finite network of width n is from its linearization and
//! from the infinite-width kernel, as n grows (paper Theorem 2.1, Figure 1, Figure S5).
//!
//! For every width n of a log grid (and optionally every depth L or training-set size N of a
//! second axis, paper Figure S5) a few seeds of the network and its linearization are trained
//! by full-batch gradient descent ([`crate::nets::ensemble`]), and four distances are recorded per
//! seed:
//!
//! | | quantity | theory |
//! | --- | --- | --- |
//! | (a) | `sup_k RMSE_test(f_k, f_k^lin)` over the checkpoints k | `O(n^{−1/2})` (Thm 2.1, Eq. S100) |
//! | (b) | `‖W_K^l − W_0^l‖_F/‖W_0^l‖_F` per layer l | input, readout `n^{−1/2}`; hidden `n^{−1}` (Fig. 1) |
//! | (c) | `‖Θ̂_K − Θ̂_0‖_F/‖Θ̂_0‖_F` on train × train | `≤ O(n^{−1/2})`, closer to `n^{−1}` (Fig. 1, Eq. S50) |
//! | (d) | `‖Θ̂_0 − Θ‖_F/‖Θ‖_F`, Θ the analytic NTK | `n^{−1/2}` (CLT; Fig. 1, SM Fig. S9) |
//! | (e) | `yᵀΘ̂y/(‖Θ̂‖_F ‖y‖²)` of Θ̂_0 and Θ̂_K ([`kernel_target_alignment`]) | constant when lazy; rises where features are learnt |
//!
//! Each width's mean and spread over seeds is a [`WidthPoint`]; [`crate::stats::fit_slope`] fits
//! `log y = a + s log n` per metric, to be compared with the reference slopes −1/2 and −1
//! ([`REFERENCE_SLOPES`]). Widths are independent: [`run_width`] runs one (the page's workers
//! each take one), [`run_width_members`] a subset of its seeds, and [`SweepResult::assemble`]
//! merges any set of points (concatenating the seeds of duplicates) and fits the slopes;
//! [`run_sweep`] does everything in one call (the CLI). Everything is serde, to be posted to web
//! workers as JSON.
//!
//! NTK and mean-field parameterization are accepted: the analytic Θ of (d) is the limit of both
//! initial (rate-weighted) kernels; standard parameterization is refused.

mod check;
mod cost;
mod partial;
mod point;
mod result;
mod run;
pub(crate) mod spec;

pub use cost::*;
pub use partial::*;
pub use point::*;
pub use result::*;
pub use run::*;
pub use spec::*;

#[allow(unused_imports)]
use std::ops::{ControlFlow, Range};

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use crate::arch::{ArchError, Architecture, Parameterization, MAX_DEPTH};
use crate::datasets::{Dataset1d, Target1d};
use crate::nets::empirical_ntk::JacobianFactors;
use crate::nets::ensemble::{
    check_checkpoints, kernel_target_alignment, run_members, Divergence, EnsembleError, EnsembleSpec,
    MAX_STEPS,
};
use crate::nets::mlp::{Mlp, MAX_WIDTH};
use crate::range::{Expected, RangeError};
use crate::rng::member_seed;
use crate::stats::{fit_slope, PowerLawFit, Spread};
use crate::theory::kernels::{kernels, KernelError};
use crate::theory::landmarks::LearningRateLandmarks;
