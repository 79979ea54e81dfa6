//! A one-network report from outside (`ntk single`, the one-network view's export) checked
//! against its own spec before it is believed ([`SingleReport::check`]); each refusal names the
//! field, what the file has there and what the spec implies
//! ([`ResultsError::Field`]).

use super::record::{Outputs, SingleCheckpoint, SingleReport, Trio, FEATURE_UNITS};
use super::run::is_labels;
use super::spec::SingleSpec;
use crate::results::envelope::{Kind, ResultsError};
use crate::results::fields::{equal, finite, len, non_negative_one, num, refuse};

/// What the spec implies for every checkpoint.
struct Shape {
    train: usize,
    test: usize,
    weights: usize,
    analytic: bool,
    test_targets: bool,
    train_labels: bool,
    test_labels: bool,
    input_dim: usize,
    width: usize,
}

impl Shape {
    fn of(spec: &SingleSpec, weights: usize) -> Shape {
        Shape {
            train: spec.data.x_train.len(),
            test: spec.data.x_test.len(),
            weights,
            analytic: spec.has_analytic(),
            test_targets: spec.data.y_test.is_some(),
            train_labels: is_labels(&spec.data.y_train),
            test_labels: spec.data.y_test.as_deref().is_some_and(is_labels),
            input_dim: spec.input_dim(),
            width: spec.width,
        }
    }
}

/// Why an optional field is present (`.0`) or absent (`.1`).
type Reasons = (&'static str, &'static str);

const ANALYTIC: Reasons = (
    "the spec's NTK parameterization implies the analytic-Θ model's",
    "the spec's standard parameterization has no analytic-Θ model",
);
const TEST_LOSS: Reasons = ("the spec's test targets imply a test loss", "the spec has no test targets");
const TRAIN_ACCURACY: Reasons =
    ("the spec's ±1 training targets imply an accuracy", "an accuracy needs ±1 training targets");
const TEST_ACCURACY: Reasons =
    ("the spec's ±1 test targets imply an accuracy", "an accuracy needs ±1 test targets");

/// An optional field present exactly when `wanted`.
fn presence(
    field: impl FnOnce() -> String,
    present: bool,
    wanted: bool,
    why: Reasons,
) -> Result<(), ResultsError> {
    if present == wanted {
        return Ok(());
    }
    let found = if present { "present" } else { "absent" };
    Err(refuse(field(), found, if wanted { why.0 } else { why.1 }))
}

fn check_outputs(field: &dyn Fn() -> String, o: &Outputs, shape: &Shape) -> Result<(), ResultsError> {
    let train = || format!("{}.train", field());
    let test = || format!("{}.test", field());
    len(train, o.train.len(), shape.train, || format!("the spec's {} training points imply", shape.train))?;
    len(test, o.test.len(), shape.test, || format!("the spec's {} test points imply", shape.test))?;
    finite(train, &o.train)?;
    finite(test, &o.test)
}

/// A quantity of the three models: finite (and ≥ 0 for losses, in [0, 1] for accuracies), the
/// analytic model's exactly when the spec has it.
fn check_trio(field: &dyn Fn() -> String, t: &Trio, shape: &Shape, what: &str) -> Result<(), ResultsError> {
    presence(|| format!("{}.theta", field()), t.theta.is_some(), shape.analytic, ANALYTIC)?;
    let values = [("nn", Some(t.nn)), ("lin", Some(t.lin)), ("theta", t.theta)];
    for (name, v) in values.iter().filter_map(|(n, v)| v.map(|v| (*n, v))) {
        non_negative_one(|| format!("{}.{name}", field()), v, what)?;
        if what == "an accuracy" && v > 1.0 {
            return Err(refuse(format!("{}.{name}", field()), num(v), "an accuracy is at most 1"));
        }
    }
    Ok(())
}

fn check_checkpoint(
    field: &dyn Fn() -> String,
    c: &SingleCheckpoint,
    shape: &Shape,
) -> Result<(), ResultsError> {
    let at = |name: &str| format!("{}.{name}", field());
    check_outputs(&|| at("nn"), &c.nn, shape)?;
    check_outputs(&|| at("lin"), &c.lin, shape)?;
    presence(|| at("theta"), c.theta.is_some(), shape.analytic, ANALYTIC)?;
    if let Some(t) = &c.theta {
        check_outputs(&|| at("theta"), t, shape)?;
    }
    let weights = || format!("the report's {} followed weights imply", shape.weights);
    len(|| at("weights_nn"), c.weights_nn.len(), shape.weights, weights)?;
    len(|| at("weights_lin"), c.weights_lin.len(), shape.weights, weights)?;
    finite(|| at("weights_nn"), &c.weights_nn)?;
    finite(|| at("weights_lin"), &c.weights_lin)?;
    // Absent in files written before the features were recorded.
    let features = c.features.as_deref().unwrap_or_default();
    if c.features.is_some() {
        let units = if shape.input_dim == 2 { shape.width.min(FEATURE_UNITS) } else { 0 };
        len(
            || at("features"),
            features.len(),
            units,
            || "the spec's inputs and width imply (the first units of a 2-D first layer)".to_string(),
        )?;
    }
    for (j, f) in features.iter().enumerate() {
        finite(|| format!("{}[{j}]", at("features")), f)?;
    }
    check_trio(&|| at("train_loss"), &c.train_loss, shape, "a loss")?;
    presence(|| at("test_loss"), c.test_loss.is_some(), shape.test_targets, TEST_LOSS)?;
    if let Some(t) = &c.test_loss {
        check_trio(&|| at("test_loss"), t, shape, "a loss")?;
    }
    presence(|| at("train_accuracy"), c.train_accuracy.is_some(), shape.train_labels, TRAIN_ACCURACY)?;
    if let Some(t) = &c.train_accuracy {
        check_trio(&|| at("train_accuracy"), t, shape, "an accuracy")?;
    }
    presence(|| at("test_accuracy"), c.test_accuracy.is_some(), shape.test_labels, TEST_ACCURACY)?;
    if let Some(t) = &c.test_accuracy {
        check_trio(&|| at("test_accuracy"), t, shape, "an accuracy")?;
    }
    non_negative_one(|| at("rmse_nn_lin"), c.rmse_nn_lin, "a distance")?;
    presence(|| at("rmse_nn_theta"), c.rmse_nn_theta.is_some(), shape.analytic, ANALYTIC)?;
    if let Some(r) = c.rmse_nn_theta {
        non_negative_one(|| at("rmse_nn_theta"), r, "a distance")?;
    }
    Ok(())
}

impl SingleReport {
    /// Checks the report against its own spec: the header (kind, format version, spec hash),
    /// the spec itself, the optimizer's name and the followed weights (both given by the
    /// spec), the landmarks (finite and > 0 when present), and the checkpoints — every step of
    /// the spec's schedule, in order, or, for a run that diverged at step s, exactly those
    /// before s — each with outputs on every training and test point, every followed weight,
    /// finite numbers, losses and distances ≥ 0, accuracies in [0, 1], and the optional
    /// fields present exactly when the spec implies them (the analytic-Θ model in NTK
    /// parameterization, test losses with test targets, accuracies with ±1 targets).
    ///
    /// # Errors
    /// As [`crate::results::Header::check`], [`ResultsError::Single`] for an invalid spec,
    /// [`ResultsError::Field`] naming the first field that does not agree with the spec.
    pub fn check(&self) -> Result<(), ResultsError> {
        self.header.check(Kind::Single, &self.spec)?;
        let spec = &self.spec;
        spec.validate()?;
        let optimizer = spec.optimizer().to_string();
        if self.optimizer != optimizer {
            return Err(refuse(
                "optimizer",
                format!("'{}'", self.optimizer),
                format!("the spec's training implies '{optimizer}'"),
            ));
        }
        let tracked = spec.tracked_weights();
        len(
            || "weights".into(),
            self.start.weights.len(),
            tracked.len(),
            || format!("the spec's depth {} implies", spec.arch.depth),
        )?;
        if let Some(i) = self.start.weights.iter().zip(&tracked).position(|(a, b)| a != b) {
            return Err(refuse(
                format!("weights[{i}]"),
                format!("{:?}", self.start.weights[i]),
                format!("the spec's seed chooses {:?}", tracked[i]),
            ));
        }
        for (name, v) in [("eta_max", self.start.eta_max), ("eta_critical", self.start.eta_critical)] {
            if let Some(v) = v.filter(|v| !(v.is_finite() && *v > 0.0)) {
                return Err(refuse(name, num(v), "a learning rate is a finite number > 0"));
            }
        }
        let schedule = spec.schedule();
        let reached: Vec<u64> = match self.diverged {
            None => schedule.clone(),
            Some(d) => {
                if d.step > spec.steps {
                    return Err(refuse(
                        "diverged.step",
                        d.step.to_string(),
                        format!("the spec's run has {} steps", spec.steps),
                    ));
                }
                schedule.iter().copied().filter(|&k| k < d.step).collect()
            }
        };
        len(
            || "checkpoints".into(),
            self.checkpoints.len(),
            reached.len(),
            || match self.diverged {
                None => format!(
                    "the spec's {} steps in {} log-spaced checkpoints imply",
                    spec.steps, spec.checkpoints
                ),
                Some(d) => format!(
                    "the checkpoints of the spec's schedule before its divergence at step {} number",
                    d.step
                ),
            },
        )?;
        let shape = Shape::of(spec, tracked.len());
        for (c, (cp, &step)) in self.checkpoints.iter().zip(&reached).enumerate() {
            equal(
                || format!("checkpoints[{c}].step"),
                cp.step,
                step,
                || format!("checkpoint {c} of the spec's schedule is at step"),
            )?;
            check_checkpoint(&|| format!("checkpoints[{c}]"), cp, &shape)?;
        }
        Ok(())
    }
}
