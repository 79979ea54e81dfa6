//! The explorer's data as CSV: what the main plot shows at the step shown, one row per test
//! point, so that every number on screen can be checked or reused.

use ntk_core::nets::ensemble::CheckpointSummary;

use crate::problem::Problem;
use crate::services::theory::TheoryAt;

use crate::download::version;

/// The CSV of one step: comment lines with the link's query (what reproduces it), the step,
/// the `ntk ensemble` command that prints the networks' numbers (when there is one) and the
/// version ([`version`]), a header, then one row per test point (the 1-D grid, or the 2-D grid then the
/// segment) with its input, the target (empty for the user's points), the NTK-GP and NNGP means
/// and standard deviations, and the network and linearized ensemble means and standard
/// deviations (empty cells when there is no theory or no ensemble of these parameters).
pub fn export_csv(
    query: &str,
    step: u64,
    command: Option<&str>,
    data: &Problem,
    theory: Option<&TheoryAt>,
    ensemble: Option<&CheckpointSummary>,
) -> String {
    let inputs = if data.dim() == 1 { "x" } else { "x1,x2" };
    let command = command.map_or(String::new(), |c| format!("# {c}\n"));
    let mut out = format!(
        "# {query}\n# step {step}\n{command}# {}\n{inputs},target,ntk_mean,ntk_sd,nngp_mean,nngp_sd,net_mean,net_sd,lin_mean,lin_sd\n",
        version()
    );
    let sd = |v: f64| v.max(0.0).sqrt();
    for (i, x) in data.points.x_test.iter().enumerate() {
        let x = x.iter().map(f64::to_string).collect::<Vec<_>>().join(",");
        let y = data.points.y_test.as_ref().map_or(String::new(), |y| y[i].to_string());
        let th = theory.map_or(",,,".to_string(), |t| {
            format!("{},{},{},{}", t.ntk.mean[i], sd(t.ntk.var[i]), t.nngp.mean[i], sd(t.nngp.var[i]))
        });
        let en = ensemble.map_or(",,,".to_string(), |c| {
            format!("{},{},{},{}", c.nn.mean[i], sd(c.nn.var[i]), c.lin.mean[i], sd(c.lin.var[i]))
        });
        out.push_str(&format!("{x},{y},{th},{en}\n"));
    }
    out
}
