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
/// deviations (empty cells when there is no theory or no ensemble of these parameters); for a
/// run with the members' quadratic models, two more columns `quad_mean,quad_sd`.
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
    let quad = ensemble.and_then(|c| c.quad.as_ref());
    let mut out = format!(
        "# {query}\n# step {step}\n{command}# {}\n{inputs},target,ntk_mean,ntk_sd,nngp_mean,nngp_sd,net_mean,net_sd,lin_mean,lin_sd{}\n",
        version(),
        if quad.is_some() { ",quad_mean,quad_sd" } else { "" }
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
        let q = quad.map_or(String::new(), |q| format!(",{},{}", q.outputs.mean[i], sd(q.outputs.var[i])));
        out.push_str(&format!("{x},{y},{th},{en}{q}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::export_csv;
    use crate::params::explorer::ExplorerParams;
    use crate::params::url;
    use crate::problem::problem;
    use crate::services::theory::theory;

    #[test]
    fn every_csv_cell_is_the_value_the_page_holds() {
        use ntk_core::nets::ensemble::{run_members, EnsembleSpec};
        let p = ExplorerParams::default();
        let data = problem(&p.data, p.seed).unwrap();
        let th = theory(&p.arch, &data).unwrap();
        let at = th.at_step(300, p.training.lr, false);
        // A small real ensemble on the same problem, at its checkpoint nearest step 300.
        let spec = EnsembleSpec {
            arch: p.arch,
            width: 16,
            data: data.points.clone(),
            learning_rate: p.training.lr,
            steps: 300,
            momentum: 0.0,
            readout_only: false,
            loss: Default::default(),
            batch_size: None,
            seed: 3,
            members: 3,
            checkpoints: 5,
            alpha: None,
            quadratic: false,
        };
        let summary = run_members(&spec, 0..3, |_| std::ops::ControlFlow::Continue(())).unwrap().summary();
        let c = summary.checkpoints.last().unwrap();
        let command = p.ensemble_command().expect("the sine set has a command");
        assert!(command.starts_with("ntk ensemble --act erf --depth 2 "), "{command}");
        let csv = export_csv(&url::encode(&p), 300, Some(&command), &data, Some(&at), Some(c));
        let lines: Vec<&str> = csv.lines().collect();
        assert!(lines[0].starts_with("# depth=2"));
        assert_eq!(lines[1], "# step 300");
        assert_eq!(lines[2], format!("# {command}"));
        assert!(lines[3].starts_with("# wide-explorer ") && lines[3].contains(", ntk-core "), "{}", lines[3]);
        assert_eq!(lines[4], "x,target,ntk_mean,ntk_sd,nngp_mean,nngp_sd,net_mean,net_sd,lin_mean,lin_sd");
        assert_eq!(lines.len(), 5 + data.points.x_test.len());
        let sd = |v: f64| v.max(0.0).sqrt();
        for (i, line) in lines[5..].iter().enumerate() {
            let cells: Vec<f64> = line.split(',').map(|c| c.parse().unwrap()).collect();
            let want = [
                data.points.x_test[i][0],
                data.points.y_test.as_ref().unwrap()[i],
                at.ntk.mean[i],
                sd(at.ntk.var[i]),
                at.nngp.mean[i],
                sd(at.nngp.var[i]),
                c.nn.mean[i],
                sd(c.nn.var[i]),
                c.lin.mean[i],
                sd(c.lin.var[i]),
            ];
            // Every cell is the page's number to the last bit (shortest round-trip formatting).
            for (k, (got, want)) in cells.iter().zip(want).enumerate() {
                assert_eq!(got.to_bits(), want.to_bits(), "row {i}, column {k}: {got} vs {want}");
            }
        }
        // Without an ensemble the ensemble's cells are empty, not zeros.
        let bare = export_csv(&url::encode(&p), 300, None, &data, Some(&at), None);
        assert!(bare.lines().nth(4).unwrap().ends_with(",,,,"), "{}", bare.lines().nth(4).unwrap());
    }
}
