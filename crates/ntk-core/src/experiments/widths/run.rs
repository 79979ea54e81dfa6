//! Running the seeds of one width, or a whole sweep.

use super::*;
/// Where a run is, passed to the progress callback.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SweepProgress {
    /// the width being trained
    pub width: usize,
    /// its axis value
    pub axis_value: Option<usize>,
    /// the seed being trained
    pub seed: usize,
    /// its current step
    pub step: u64,
    /// steps per seed
    pub steps: u64,
    /// (width, axis value) points finished in this call
    pub points_done: usize,
    /// points in this call
    pub points_total: usize,
    /// estimated fraction of this call's work done, in [0, 1] (FLOP-weighted)
    pub fraction: f64,
}

/// Trains every seed of one width at one axis value and records the four metrics (see the
/// module table): (a) `sup_k RMSE(f_k, f_k^lin)` (Thm 2.1), (b) final
/// `‖W_K^l − W_0^l‖_F/‖W_0^l‖_F` per layer and (c) final `‖Θ̂_K − Θ̂_0‖_F/‖Θ̂_0‖_F` (Figure 1),
/// (d) `‖Θ̂_0 − Θ‖_F/‖Θ‖_F` with the analytic NTK Θ on train × train, (e) the kernel–target
/// alignment of Θ̂_0 and Θ̂_K. `progress` is called
/// every few tens of ms; `ControlFlow::Break(())` cancels.
///
/// The memory guard is the caller's, when planning the sweep ([`WidthSweepSpec::validate`] or
/// [`WidthSweepSpec::validate_with_cap`], [`estimate_bytes`]); every other field is checked here.
///
/// # Errors
/// [`WidthError`] for an invalid spec, a width not on the grid, an axis value not on the axis,
/// or [`WidthError::Cancelled`].
pub fn run_width<F>(
    spec: &WidthSweepSpec,
    width: usize,
    axis_value: Option<usize>,
    progress: F,
) -> Result<WidthPoint, WidthError>
where
    F: FnMut(&SweepProgress) -> ControlFlow<()>,
{
    run_width_members(spec, width, axis_value, 0..spec.seeds, progress)
}

/// As [`run_width`] for the seeds `seeds` only (a sub-range of `0..spec.seeds`); combine the
/// points of disjoint ranges with [`WidthPoint::merge`] or [`SweepResult::assemble`].
///
/// # Errors
/// As [`run_width`], plus [`WidthError::SeedRange`].
pub fn run_width_members<F>(
    spec: &WidthSweepSpec,
    width: usize,
    axis_value: Option<usize>,
    seeds: Range<usize>,
    mut progress: F,
) -> Result<WidthPoint, WidthError>
where
    F: FnMut(&SweepProgress) -> ControlFlow<()>,
{
    spec.validate_fields()?;
    if !spec.widths.contains(&width) {
        return Err(WidthError::NotOnGrid(width));
    }
    if seeds.start > seeds.end || seeds.end > spec.seeds {
        return Err(WidthError::SeedRange { start: seeds.start, end: seeds.end, seeds: spec.seeds });
    }
    let problem = spec.problem(axis_value)?;
    let x_train = DMatrix::from_row_iterator(
        problem.data.n_train(),
        problem.data.input_dim(),
        problem.data.x_train.iter().flatten().copied(),
    );
    // Mean-field: its rate-weighted Θ̂₀ is NTK parameterization's of the same seed, whose limit
    // is the analytic NTK (docs/MATH.md, "Mean-field / μP parameterization").
    let ntk_arch = Architecture { param: Parameterization::Ntk, ..problem.arch };
    let theta = kernels(&ntk_arch, &x_train, &x_train)?.ntk;
    let learning_rate = match spec.learning_rate {
        LearningRate::Absolute(eta) => eta,
        LearningRate::CriticalFraction(f) => {
            let eig = theta.clone().symmetric_eigenvalues();
            f * LearningRateLandmarks::from_eigenvalues(eig.as_slice(), problem.data.n_train()).eta_critical
        }
    };
    let ens = spec.ensemble_spec(&problem, width, learning_rate);
    ens.validate()?;
    let x_flat = problem.data.x_train_flat();
    let total = seeds.len();
    let mut records = Vec::with_capacity(total);
    for (done, m) in seeds.enumerate() {
        let (ntk_init_error, start_alignment) = init_error(&ens, &x_flat, &theta, m)?;
        let stats = run_members(&ens, m..m + 1, |p| {
            progress(&SweepProgress {
                width,
                axis_value,
                seed: m,
                step: p.step,
                steps: p.steps,
                points_done: 0,
                points_total: 1,
                fraction: (done as f64 + p.step as f64 / p.steps.max(1) as f64) / total as f64,
            })
        })?;
        let record = match (stats.diverged.first(), stats.checkpoints.last()) {
            (None, Some(last)) => SeedRecord {
                seed: m,
                ntk_init_error,
                training: Some(SeedTraining {
                    rmse_nn_lin_sup: stats.checkpoints.iter().map(|c| c.rmse_nn_lin.mean).fold(0.0, f64::max),
                    weight_change: last.weight_change.mean(),
                    ntk_change: last.ntk_change.mean,
                    ntk_alignment: (last.ntk_alignment.count > 0)
                        .then_some(Alignment { start: start_alignment, end: last.ntk_alignment.mean }),
                }),
                divergence: None,
            },
            (d, _) => SeedRecord { seed: m, ntk_init_error, training: None, divergence: d.copied() },
        };
        records.push(record);
    }
    let (depth, train_size) = (problem.arch.depth, problem.data.n_train());
    Ok(WidthPoint::from_seeds(width, axis_value, depth, train_size, learning_rate, records))
}

/// (d) for seed m: `‖Θ̂_0 − Θ‖_F/‖Θ‖_F`, Θ̂_0 from the f64 copy of the very network that
/// [`run_members`] trains (same seed, same f32 rounding of the initial weights); and (e) at the
/// start, the kernel–target alignment of that Θ̂_0.
fn init_error(
    ens: &EnsembleSpec,
    x_flat: &[f64],
    theta: &DMatrix<f64>,
    m: usize,
) -> Result<(f64, f64), WidthError> {
    let d = ens.data.input_dim();
    let net = Mlp::<f32>::new(&ens.arch, d, ens.width, member_seed(ens.seed, m as u64))
        .map_err(EnsembleError::from)?
        .cast::<f64>();
    let fac = JacobianFactors::new(&net, x_flat, ens.data.n_train());
    drop(net);
    let ntk0 = fac.ntk(&fac);
    let alignment = kernel_target_alignment(&ntk0, &ens.data.y_train);
    Ok(((ntk0 - theta).norm() / theta.norm(), alignment))
}

/// Runs the whole sweep, axis value by axis value, width by width (increasing), all seeds, and
/// assembles the result ([`SweepResult::assemble`]). `progress` sees the current point and the
/// FLOP-weighted fraction of the sweep done; `ControlFlow::Break(())` cancels.
///
/// # Errors
/// As [`run_width`], and [`WidthError::Memory`] above [`DEFAULT_MEMORY_CAP`].
pub fn run_sweep<F>(spec: &WidthSweepSpec, mut progress: F) -> Result<SweepResult, WidthError>
where
    F: FnMut(&SweepProgress) -> ControlFlow<()>,
{
    spec.validate()?;
    let jobs: Vec<(Option<usize>, usize)> =
        spec.axis.values().into_iter().flat_map(|v| spec.widths.iter().map(move |&w| (v, w))).collect();
    let cost: Vec<f64> = jobs.iter().map(|&(v, w)| estimate_point_flop(spec, w, v)).collect();
    let total: f64 = cost.iter().sum();
    let mut done_flop = 0.0;
    let mut points = Vec::with_capacity(jobs.len());
    for (i, &(v, w)) in jobs.iter().enumerate() {
        let point = run_width(spec, w, v, |p| {
            progress(&SweepProgress {
                points_done: i,
                points_total: jobs.len(),
                fraction: (done_flop + p.fraction * cost[i]) / total,
                ..*p
            })
        })?;
        done_flop += cost[i];
        points.push(point);
    }
    SweepResult::assemble(spec, points)
}
