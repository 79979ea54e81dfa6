//! An ensemble file from outside checked against its own spec before it is believed: the
//! report of a whole job ([`EnsembleReport::check`]) and the records of a part
//! (`EnsemblePartial::check_records`, part of [`EnsemblePartial::check`]). Each refusal names
//! the field, what the file has there and what the spec implies
//! ([`ResultsError::Field`](crate::results::ResultsError::Field)).

use super::partial::{EnsemblePartial, EnsembleReport};
use super::record::{Divergence, MemberRecord, MemberState, NnLin, QuadraticRecord};
use super::spec::EnsembleSpec;
use super::stats::{MeanVar, QuadraticSummary};
use crate::results::envelope::{Kind, ResultsError};
use crate::results::fields::{
    alignment, close, equal, finite, len, non_negative, non_negative_one, num, refuse,
};

/// What the spec implies for the shape of every record and summary.
struct Shape {
    test_points: usize,
    layers: usize,
    depth: usize,
    test_targets: bool,
    /// whether the spec trains the quadratic model
    quadratic: bool,
}

impl Shape {
    fn of(spec: &EnsembleSpec) -> Shape {
        Shape {
            test_points: spec.data.x_test.len(),
            layers: spec.arch.depth + 1,
            depth: spec.arch.depth,
            test_targets: spec.data.y_test.is_some(),
            quadratic: spec.quadratic,
        }
    }

    /// The quadratic model's entry is present exactly when the spec trains it.
    fn quad(&self, field: impl FnOnce() -> String, present: bool) -> Result<(), ResultsError> {
        if present == self.quadratic {
            return Ok(());
        }
        let (found, expected) = if self.quadratic {
            ("absent", "the spec's quadratic: true implies the quadratic model's numbers")
        } else {
            ("present", "the spec has no quadratic model")
        };
        Err(refuse(field(), found, expected))
    }

    fn test_points(&self) -> impl Fn() -> String + '_ {
        move || format!("the spec's {} test points imply", self.test_points)
    }

    fn layers(&self) -> impl Fn() -> String + '_ {
        move || format!("the spec's depth {} (hidden layers and the readout) implies", self.depth)
    }

    /// A test loss is present exactly when the spec has test targets.
    fn test_loss(&self, field: impl FnOnce() -> String, present: bool) -> Result<(), ResultsError> {
        if present == self.test_targets {
            return Ok(());
        }
        let (found, expected) = if self.test_targets {
            ("absent", "the spec's test targets imply a test loss")
        } else {
            ("present", "the spec has no test targets, so no test loss")
        };
        Err(refuse(field(), found, expected))
    }
}

fn nn_lin(field: &dyn Fn() -> String, v: &NnLin, what: &str) -> Result<(), ResultsError> {
    non_negative_one(|| format!("{}.nn", field()), v.nn, what)?;
    non_negative_one(|| format!("{}.lin", field()), v.lin, what)
}

/// The divergences of a file: members of the job, listed once each in member order, at steps
/// of the run.
fn check_divergences(field: &str, list: &[Divergence], spec: &EnsembleSpec) -> Result<(), ResultsError> {
    for (i, d) in list.iter().enumerate() {
        if d.member >= spec.members {
            return Err(refuse(
                format!("{field}[{i}].member"),
                d.member.to_string(),
                format!("the spec's {} members are numbered 0..{}", spec.members, spec.members),
            ));
        }
        if i > 0 && list[i - 1].member >= d.member {
            return Err(refuse(
                format!("{field}[{i}].member"),
                format!("{} after {}", d.member, list[i - 1].member),
                "each diverged member is listed once, in member order",
            ));
        }
        if d.step > spec.steps {
            return Err(refuse(
                format!("{field}[{i}].step"),
                d.step.to_string(),
                format!("the spec's run has {} steps", spec.steps),
            ));
        }
    }
    Ok(())
}

impl EnsembleReport {
    /// Checks the report against its own spec: the header (kind, format version, spec hash),
    /// the spec itself, and every array and number — one checkpoint per step of the spec's
    /// schedule with that step and time η·k, its member count (the spec's members less those
    /// diverged by its step), means and variances with one entry per test point, variances ≥ 0
    /// (and 0 with fewer than two members), losses, distances and changes finite and ≥ 0, one
    /// weight change per layer, a test loss exactly when the spec has test targets, the quadratic
    /// model's statistics (`quad`) exactly when the spec has `quadratic` (means and variances,
    /// losses and its distance to the network as for the network's), and the
    /// divergences (members of the job, in order, each step within the run, counts and steps
    /// agreeing with `diverged` and `diverged_steps`).
    ///
    /// # Errors
    /// As [`crate::results::Header::check`], [`ResultsError::Ensemble`] for an invalid spec,
    /// [`ResultsError::Field`] naming the first field that does not agree with the spec.
    pub fn check(&self) -> Result<(), ResultsError> {
        self.header.check(Kind::Ensemble, &self.spec)?;
        self.spec.validate()?;
        let spec = &self.spec;
        let shape = Shape::of(spec);
        check_divergences("diverged_members", &self.diverged_members, spec)?;
        let listed = self.diverged_members.len();
        equal(
            || "diverged".into(),
            self.diverged,
            listed,
            || "the members listed in diverged_members number".into(),
        )?;
        len(
            || "diverged_steps".into(),
            self.diverged_steps.len(),
            listed,
            || "the members listed in diverged_members number".into(),
        )?;
        for (i, (s, d)) in self.diverged_steps.iter().zip(&self.diverged_members).enumerate() {
            equal(
                || format!("diverged_steps[{i}]"),
                *s,
                d.step,
                || format!("diverged_members[{i}].step is"),
            )?;
        }
        equal(
            || "members".into(),
            self.members,
            spec.members - listed,
            || format!("the spec's {} members less the {listed} diverged leave", spec.members),
        )?;
        let schedule = spec.schedule();
        len(
            || "checkpoints".into(),
            self.checkpoints.len(),
            schedule.len(),
            || {
                format!(
                    "the spec's {} steps in {} log-spaced checkpoints imply",
                    spec.steps, spec.checkpoints
                )
            },
        )?;
        for (c, (cp, &step)) in self.checkpoints.iter().zip(&schedule).enumerate() {
            let at = |name: &str| format!("checkpoints[{c}].{name}");
            equal(
                || at("step"),
                cp.step,
                step,
                || format!("checkpoint {c} of the spec's schedule is at step"),
            )?;
            close(
                || at("time"),
                cp.time,
                spec.learning_rate * step as f64,
                || format!("η·k = {} × {step} gives", spec.learning_rate),
            )?;
            let gone = self.diverged_members.iter().filter(|d| d.step <= step).count();
            equal(
                || at("members"),
                cp.members,
                spec.members - gone,
                || {
                    format!(
                        "the spec's {} members less the {gone} diverged by step {step} leave",
                        spec.members
                    )
                },
            )?;
            for (name, mv) in [("nn", &cp.nn), ("lin", &cp.lin)] {
                check_mean_var(&|| at(name), mv, &shape, cp.members)?;
            }
            nn_lin(&|| at("train_loss"), &cp.train_loss, "a loss")?;
            shape.test_loss(|| at("test_loss"), cp.test_loss.is_some())?;
            if let Some(t) = &cp.test_loss {
                nn_lin(&|| at("test_loss"), t, "a loss")?;
            }
            non_negative_one(|| at("rmse_nn_lin"), cp.rmse_nn_lin, "a distance")?;
            len(|| at("weight_change"), cp.weight_change.len(), shape.layers, shape.layers())?;
            non_negative(|| at("weight_change"), &cp.weight_change, "a relative change")?;
            non_negative_one(|| at("ntk_change"), cp.ntk_change, "a relative change")?;
            shape.quad(|| at("quad"), cp.quad.is_some())?;
            if let Some(q) = &cp.quad {
                check_quad_summary(&|| at("quad"), q, &shape, cp.members)?;
            }
        }
        Ok(())
    }
}

/// Means and variances of one model over the test points at a checkpoint of `members`
/// members.
fn check_mean_var(
    field: &dyn Fn() -> String,
    mv: &MeanVar,
    shape: &Shape,
    members: usize,
) -> Result<(), ResultsError> {
    len(|| format!("{}.mean", field()), mv.mean.len(), shape.test_points, shape.test_points())?;
    len(|| format!("{}.var", field()), mv.var.len(), shape.test_points, shape.test_points())?;
    finite(|| format!("{}.mean", field()), &mv.mean)?;
    non_negative(|| format!("{}.var", field()), &mv.var, "a variance")?;
    if members < 2 {
        if let Some(i) = mv.var.iter().position(|&v| v != 0.0) {
            return Err(refuse(
                format!("{}.var[{i}]", field()),
                num(mv.var[i]),
                format!("the variance of {members} member{} is 0", if members == 1 { "" } else { "s" }),
            ));
        }
    }
    Ok(())
}

/// The quadratic model's statistics at a checkpoint of `members` members: means and variances
/// as for network and linearization, losses and the distance to the network finite and ≥ 0, a
/// test loss exactly when the spec has test targets.
fn check_quad_summary(
    field: &dyn Fn() -> String,
    q: &QuadraticSummary,
    shape: &Shape,
    members: usize,
) -> Result<(), ResultsError> {
    let at = |name: &str| format!("{}.{name}", field());
    check_mean_var(&|| at("outputs"), &q.outputs, shape, members)?;
    non_negative_one(|| at("train_loss"), q.train_loss, "a loss")?;
    shape.test_loss(|| at("test_loss"), q.test_loss.is_some())?;
    if let Some(t) = q.test_loss {
        non_negative_one(|| at("test_loss"), t, "a loss")?;
    }
    non_negative_one(|| at("rmse_nn_quad"), q.rmse_nn_quad, "a distance")
}

/// One member's quadratic model at a checkpoint: one output per test point, finite; losses and
/// the distance to the network finite and ≥ 0; a test loss exactly when the spec has test
/// targets.
fn check_quad_record(
    field: &dyn Fn() -> String,
    q: &QuadraticRecord,
    shape: &Shape,
) -> Result<(), ResultsError> {
    let at = |name: &str| format!("{}.{name}", field());
    len(|| at("outputs"), q.outputs.len(), shape.test_points, shape.test_points())?;
    finite(|| at("outputs"), &q.outputs)?;
    non_negative_one(|| at("train_loss"), q.train_loss, "a loss")?;
    shape.test_loss(|| at("test_loss"), q.test_loss.is_some())?;
    if let Some(t) = q.test_loss {
        non_negative_one(|| at("test_loss"), t, "a loss")?;
    }
    non_negative_one(|| at("rmse_nn_quad"), q.rmse_nn_quad, "a distance")
}

/// One member's record at a checkpoint: shapes as the spec implies, every number finite,
/// losses, distances and changes ≥ 0; the quadratic model's numbers exactly when the spec
/// trains it.
fn check_record(field: &dyn Fn() -> String, r: &MemberRecord, shape: &Shape) -> Result<(), ResultsError> {
    let at = |name: &str| format!("{}.{name}", field());
    len(|| at("nn"), r.nn.len(), shape.test_points, shape.test_points())?;
    len(|| at("lin"), r.lin.len(), shape.test_points, shape.test_points())?;
    finite(|| at("nn"), &r.nn)?;
    finite(|| at("lin"), &r.lin)?;
    nn_lin(&|| at("train_loss"), &r.train_loss, "a loss")?;
    shape.test_loss(|| at("test_loss"), r.test_loss.is_some())?;
    if let Some(t) = &r.test_loss {
        nn_lin(&|| at("test_loss"), t, "a loss")?;
    }
    non_negative_one(|| at("rmse_nn_lin"), r.rmse_nn_lin, "a distance")?;
    len(|| at("weight_change"), r.weight_change.len(), shape.layers, shape.layers())?;
    non_negative(|| at("weight_change"), &r.weight_change, "a relative change")?;
    non_negative_one(|| at("ntk_change"), r.ntk_change, "a relative change")?;
    shape.quad(|| at("quad"), r.quad.is_some())?;
    if let Some(q) = &r.quad {
        check_quad_record(&|| at("quad"), q, shape)?;
    }
    match r.ntk_alignment {
        Some(a) => alignment(|| at("ntk_alignment"), a),
        None => Ok(()),
    }
}

impl EnsemblePartial {
    /// Checks every member's entry against the spec (run after the batches' layout is
    /// checked): records as the spec implies ([`check_record`]), and a divergence reported at
    /// the first checkpoint at or after its step, then repeated unchanged at every later
    /// checkpoint, with no record after it.
    pub(super) fn check_records(&self) -> Result<(), ResultsError> {
        let shape = Shape::of(&self.spec);
        let schedule = self.spec.schedule();
        let start = self.members.start;
        // Per member of the range: the checkpoint, step and model of its first divergence.
        let mut first: Vec<Option<(usize, Divergence)>> = vec![None; self.members.len()];
        for (c, batch) in self.batches.iter().enumerate() {
            for (i, entry) in batch.members.iter().enumerate() {
                let field = || format!("batches[{c}].members[{i}].state");
                let m = entry.member;
                let seen = &mut first[m - start];
                match (&entry.state, *seen) {
                    (MemberState::Record(r), None) => check_record(&|| format!("{}.record", field()), r, &shape)?,
                    (MemberState::Record(_), Some((c0, d))) => {
                        return Err(refuse(
                            format!("{}.record", field()),
                            format!("a record of member {m}"),
                            format!("member {m} diverged at step {} (reported at checkpoint {c0}), so no record follows", d.step),
                        ))
                    }
                    (MemberState::Diverged { step, model }, None) => {
                        let earlier = c.checked_sub(1).map_or(0, |p| schedule[p] + 1);
                        if *step > schedule[c] || (c > 0 && *step < earlier) {
                            return Err(refuse(
                                format!("{}.diverged.step", field()),
                                step.to_string(),
                                format!(
                                    "a divergence first reported at checkpoint {c} (step {}) happened after the previous checkpoint: steps {earlier}..={}",
                                    schedule[c], schedule[c]
                                ),
                            ));
                        }
                        *seen = Some((c, Divergence { member: m, step: *step, model: *model }));
                    }
                    (MemberState::Diverged { step, model }, Some((c0, d))) => {
                        if (*step, *model) != (d.step, d.model) {
                            return Err(refuse(
                                format!("{}.diverged", field()),
                                format!("step {step} ({model:?})"),
                                format!(
                                    "member {m} was reported diverged at step {} ({:?}) at checkpoint {c0}, and is so at every later one",
                                    d.step, d.model
                                ),
                            ));
                        }
                    }
                }
            }
        }
        Ok(())
    }
}
