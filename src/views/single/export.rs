//! The one-network run as CSV: comment lines with the link's query and the `ntk single` command
//! (each reproduces it) and the version that computed it, then one row per checkpoint with the step, the time, the losses, accuracies and RMSEs of the
//! three models (empty cells where a model or a quantity is absent), and last the quadratic
//! model's train and test losses and RMSE to the network (empty without it).

use ntk_core::experiments::single::Trio;

use crate::download::version;
use crate::services::single::SingleRun;

fn trio(t: Option<Trio>) -> String {
    match t {
        Some(t) => format!("{},{},{}", t.nn, t.lin, t.theta.map_or(String::new(), |v| v.to_string())),
        None => ",,".to_string(),
    }
}

/// The CSV of `run` (see the module documentation).
pub fn export_csv(query: &str, command: &str, run: &SingleRun) -> String {
    let lr = run.spec.as_ref().map_or(0.0, |s| s.learning_rate);
    let mut out = format!(
        "# {query}\n# {command}\n# {}\nstep,t,train_loss_nn,train_loss_lin,train_loss_theta,test_loss_nn,test_loss_lin,test_loss_theta,\
         train_acc_nn,train_acc_lin,train_acc_theta,test_acc_nn,test_acc_lin,test_acc_theta,rmse_nn_lin,rmse_nn_theta,\
         train_loss_quad,test_loss_quad,rmse_nn_quad\n",
        version()
    );
    for c in &run.checkpoints {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{}\n",
            c.step,
            lr * c.step as f64,
            trio(Some(c.train_loss)),
            trio(c.test_loss),
            trio(c.train_accuracy),
            trio(c.test_accuracy),
            c.rmse_nn_lin,
            c.rmse_nn_theta.map_or(String::new(), |v| v.to_string()),
            c.quad.as_ref().map_or(",,".to_string(), |q| format!(
                "{},{},{}",
                q.train_loss,
                q.test_loss.map_or(String::new(), |v| v.to_string()),
                q.rmse_nn_quad
            ))
        ));
    }
    if let Some(d) = run.diverged {
        out.push_str(&format!("# {} diverged at step {}\n", d.model, d.step));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::export_csv;
    use crate::services::single::SingleRun;

    /// The one-network CSV names what reproduces it — the link's query and the `ntk single`
    /// command — and the version, before its header.
    #[test]
    fn the_one_network_csv_carries_its_link_command_and_version() {
        let csv = export_csv("view=single&width=32", "ntk single --width 32", &SingleRun::default());
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], "# view=single&width=32");
        assert_eq!(lines[1], "# ntk single --width 32");
        assert!(lines[2].starts_with("# wide-explorer ") && lines[2].contains("ntk-core"), "{}", lines[2]);
        assert!(lines[3].starts_with("step,t,train_loss_nn"), "{}", lines[3]);
    }
}
