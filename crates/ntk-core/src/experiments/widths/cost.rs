//! Cost model of a sweep: estimated memory per worker and FLOP, to refuse workloads before any work.

use super::*;
/// Estimated peak bytes of one worker running one seed at width n, depth L, N training and M
/// test points, input dimension d: `16 P` for the f32 network, its f64 copy (linearization) and
/// the f32 initial weights (`P = d n + (L−1) n² + n` weights plus biases), and
/// `48 (N + M) n L` for the forward traces and Jacobian factors, plus 1 MiB.
pub(super) fn point_bytes(depth: usize, d: usize, n_train: usize, n_test: usize, width: usize) -> u64 {
    let (l, n) = (depth as u64, width as u64);
    let params = d as u64 * n + (l - 1) * (n * n + n) + 2 * n + 1;
    16 * params + 48 * (n_train + n_test) as u64 * n * l + (1 << 20)
}

/// Estimated peak memory (bytes) of one worker running [`run_width`] at the sweep's largest
/// width, over the axis values: about `16 P + 48 (N + M) n L` bytes (P parameters of the network
/// at that width, N training and M test points, L hidden layers). The memory guard of
/// [`WidthSweepSpec::validate_with_cap`]; workers running in parallel each need this much.
pub fn estimate_bytes(spec: &WidthSweepSpec) -> u64 {
    spec.peak_bytes().0
}

/// Estimated floating-point operations of one seed at one width and axis value: K steps of
/// `6 N W` (forward, backward, update; W weights), `(2M + 4N) W + 4 N² L n` per checkpoint (test
/// outputs, Θ̂_t), `12 (N + M) W` for the initial Jacobians (linearization and metric (d)) and
/// `40 P` for drawing the initial weights twice.
pub fn estimate_point_flop(spec: &WidthSweepSpec, width: usize, axis_value: Option<usize>) -> f64 {
    let (d, m) = spec.dims();
    let (depth, n) = spec.depth_and_size(axis_value);
    let (l, w, d, n, m) = (depth as f64, width as f64, d as f64, n as f64, m as f64);
    let weights = d * w + (l - 1.0) * w * w + w;
    let params = weights + l * w + 1.0;
    let checkpoints = spec.checkpoints as f64;
    spec.steps as f64 * 6.0 * n * weights
        + checkpoints * ((2.0 * m + 4.0 * n) * weights + 4.0 * n * n * l * w)
        + 12.0 * (n + m) * weights
        + 40.0 * params
}

/// Estimated floating-point operations of the whole sweep: [`estimate_point_flop`] summed over
/// widths, axis values and seeds (for refusing a workload too large for the page).
pub fn estimate_flop(spec: &WidthSweepSpec) -> f64 {
    let per_seed: f64 = spec
        .axis
        .values()
        .into_iter()
        .flat_map(|v| spec.widths.iter().map(move |&w| (w, v)))
        .map(|(w, v)| estimate_point_flop(spec, w, v))
        .sum();
    per_seed * spec.seeds as f64
}
