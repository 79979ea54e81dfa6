//! A width-sweep file from outside checked against its own spec before it is believed: the
//! report of a sweep ([`WidthsReport::check`]) and the points of a part (part of
//! [`WidthsPartial::check`]). Every point's means, spreads and divergence count are recomputed
//! from its per-seed records, and every series' slopes from its points; each refusal names the
//! field, what the file has there and what the spec (or the records) imply
//! ([`ResultsError::Field`]).
//!
//! A report may hold fewer runs than its spec (the page writes the sweep it has when it is
//! cancelled): [`WidthsReport::runs`] says how many, so that a reader can say so.

use super::*;
use crate::results::envelope::{Kind, ResultsError};
use crate::results::fields::{
    agree_above, alignment, close, equal, len, non_negative, non_negative_one, num, refuse,
};

/// A point's metric spreads against those its seeds give.
fn check_spread(field: &dyn Fn() -> String, found: &Spread, expected: &Spread) -> Result<(), ResultsError> {
    let why = || "its seeds give".to_string();
    equal(|| format!("{}.count", field()), found.count, expected.count, why)?;
    for (name, f, e) in [
        ("mean", found.mean, expected.mean),
        ("sd", found.sd, expected.sd),
        ("min", found.min, expected.min),
        ("max", found.max, expected.max),
    ] {
        close(|| format!("{}.{name}", field()), f, e, why)?;
    }
    Ok(())
}

fn check_optional_spread(
    field: &dyn Fn() -> String,
    found: &Option<Spread>,
    expected: &Option<Spread>,
) -> Result<(), ResultsError> {
    match (found, expected) {
        (Some(f), Some(e)) => check_spread(field, f, e),
        (None, None) => Ok(()),
        (Some(_), None) => Err(refuse(field(), "present", "its seeds hold no trained run, so it is absent")),
        (None, Some(_)) => Err(refuse(field(), "absent", "its seeds hold trained runs, so it is present")),
    }
}

/// One fitted slope against the one its points give (slopes and intercepts are of order 1;
/// the standard error of a perfect fit is rounding noise, compared on the scale 1).
fn check_fit(
    field: &dyn Fn() -> String,
    found: &Option<PowerLawFit>,
    expected: &Option<PowerLawFit>,
) -> Result<(), ResultsError> {
    let why = "its points give";
    let (f, e) = match (found, expected) {
        (None, None) => return Ok(()),
        (Some(f), Some(e)) => (f, e),
        (Some(_), None) => {
            return Err(refuse(field(), "a fit", format!("{why} fewer than 2 usable points: none")))
        }
        (None, Some(e)) => {
            return Err(refuse(field(), "none", format!("{why} a fit of slope {}", num(e.slope))))
        }
    };
    equal(|| format!("{}.points", field()), f.points, e.points, || why.to_string())?;
    let stderr = |v: Option<f64>| v.map_or("none".to_string(), num);
    let same_stderr = match (f.slope_stderr, e.slope_stderr) {
        (Some(a), Some(b)) => agree_above(a, b, 1.0),
        (a, b) => a.is_none() && b.is_none(),
    };
    if !same_stderr {
        return Err(refuse(
            format!("{}.slope_stderr", field()),
            stderr(f.slope_stderr),
            format!("{why} {}", stderr(e.slope_stderr)),
        ));
    }
    for (name, a, b) in [("slope", f.slope, e.slope), ("intercept", f.intercept, e.intercept)] {
        if !agree_above(a, b, 1.0) {
            return Err(refuse(format!("{}.{name}", field()), num(a), format!("{why} {}", num(b))));
        }
    }
    Ok(())
}

fn axis_text(v: Option<usize>) -> String {
    v.map_or("none".to_string(), |v| v.to_string())
}

/// One seed's record at a point of depth `depth`.
fn check_seed(
    field: &dyn Fn() -> String,
    s: &SeedRecord,
    spec: &WidthSweepSpec,
    depth: usize,
) -> Result<(), ResultsError> {
    let at = |name: &str| format!("{}.{name}", field());
    non_negative_one(|| at("ntk_init_error"), s.ntk_init_error, "a relative distance")?;
    match (&s.training, &s.divergence) {
        (Some(t), None) => {
            non_negative_one(|| at("training.rmse_nn_lin_sup"), t.rmse_nn_lin_sup, "a distance")?;
            len(
                || at("training.weight_change"),
                t.weight_change.len(),
                depth + 1,
                || format!("depth {depth} (hidden layers and the readout) implies"),
            )?;
            non_negative(|| at("training.weight_change"), &t.weight_change, "a relative change")?;
            non_negative_one(|| at("training.ntk_change"), t.ntk_change, "a relative change")?;
            if let Some(a) = t.ntk_alignment {
                alignment(|| at("training.ntk_alignment.start"), a.start)?;
                alignment(|| at("training.ntk_alignment.end"), a.end)?;
            }
            Ok(())
        }
        (None, Some(d)) => {
            equal(|| at("divergence.member"), d.member, s.seed, || "the seed's index is".to_string())?;
            if d.step > spec.steps {
                return Err(refuse(
                    at("divergence.step"),
                    d.step.to_string(),
                    format!("the spec's runs have {} steps", spec.steps),
                ));
            }
            Ok(())
        }
        (Some(_), Some(_)) => Err(refuse(
            at("training"),
            "present with a divergence",
            "a diverged seed has no training metrics",
        )),
        (None, None) => Err(refuse(
            at("training"),
            "absent without a divergence",
            "a seed that did not diverge has training metrics",
        )),
    }
}

/// One point of the sweep at axis value `axis_value`: on the grid, of the depth, training-set
/// size and (absolute) learning rate the spec implies, its seeds of the sweep in increasing
/// order, each record valid, and its summaries those its seeds give.
pub(super) fn check_point(
    field: &dyn Fn() -> String,
    p: &WidthPoint,
    spec: &WidthSweepSpec,
    axis_value: Option<usize>,
) -> Result<(), ResultsError> {
    let at = |name: &str| format!("{}.{name}", field());
    if p.axis_value != axis_value {
        return Err(refuse(
            at("axis_value"),
            axis_text(p.axis_value),
            format!("its series is at axis value {}", axis_text(axis_value)),
        ));
    }
    if !spec.widths.contains(&p.width) {
        return Err(refuse(
            at("width"),
            p.width.to_string(),
            format!("the spec's widths are {:?}", spec.widths),
        ));
    }
    let (depth, train_size) = spec.depth_and_size(axis_value);
    equal(|| at("depth"), p.depth, depth, || "the spec at this axis value implies".to_string())?;
    equal(
        || at("train_size"),
        p.train_size,
        train_size,
        || "the spec at this axis value implies".to_string(),
    )?;
    let eta = p.learning_rate;
    if !(eta.is_finite() && eta > 0.0) {
        return Err(refuse(at("learning_rate"), num(eta), "a learning rate is a finite number > 0"));
    }
    if let LearningRate::Absolute(v) = spec.learning_rate {
        close(|| at("learning_rate"), eta, v, || "the spec's absolute learning rate is".to_string())?;
    }
    if p.seeds.is_empty() {
        return Err(refuse(at("seeds"), "0 entries", "a point holds the runs of at least one seed"));
    }
    for (i, s) in p.seeds.iter().enumerate() {
        let seed_field = || format!("{}.seeds[{i}]", field());
        if s.seed >= spec.seeds {
            return Err(refuse(
                format!("{}.seed", seed_field()),
                s.seed.to_string(),
                format!("the spec's {} seeds are numbered 0..{}", spec.seeds, spec.seeds),
            ));
        }
        if i > 0 && p.seeds[i - 1].seed >= s.seed {
            return Err(refuse(
                format!("{}.seed", seed_field()),
                format!("{} after {}", s.seed, p.seeds[i - 1].seed),
                "each seed is listed once, in increasing order",
            ));
        }
        check_seed(&seed_field, s, spec, depth)?;
    }
    let expected = WidthPoint::from_seeds(p.width, p.axis_value, p.depth, p.train_size, eta, p.seeds.clone());
    equal(|| at("diverged"), p.diverged, expected.diverged, || "its seeds' divergences number".to_string())?;
    check_optional_spread(&|| at("rmse_nn_lin_sup"), &p.rmse_nn_lin_sup, &expected.rmse_nn_lin_sup)?;
    len(
        || at("weight_change"),
        p.weight_change.len(),
        expected.weight_change.len(),
        || "its seeds' layers number".to_string(),
    )?;
    for (l, (f, e)) in p.weight_change.iter().zip(&expected.weight_change).enumerate() {
        check_spread(&|| format!("{}[{l}]", at("weight_change")), f, e)?;
    }
    check_optional_spread(&|| at("ntk_change"), &p.ntk_change, &expected.ntk_change)?;
    check_optional_spread(
        &|| at("ntk_alignment_start"),
        &p.ntk_alignment_start,
        &expected.ntk_alignment_start,
    )?;
    check_optional_spread(&|| at("ntk_alignment_end"), &p.ntk_alignment_end, &expected.ntk_alignment_end)?;
    check_spread(&|| at("ntk_init_error"), &p.ntk_init_error, &expected.ntk_init_error)
}

impl WidthsReport {
    /// Checks the report against its own spec: the header (kind, format version, spec hash),
    /// the spec's fields (not the memory cap: a file may come from a larger machine), the
    /// reference slopes, one series per value of the spec's second axis in its order with the
    /// depth and training-set size it implies, points of strictly increasing widths of the
    /// grid, each checked as above (records valid, summaries those of its seeds, the same
    /// learning rate across a series), and each series' slopes those of its points.
    ///
    /// # Errors
    /// As [`crate::results::Header::check`], [`ResultsError::Widths`] for an invalid spec,
    /// [`ResultsError::Field`] naming the first field that does not agree.
    pub fn check(&self) -> Result<(), ResultsError> {
        self.header.check(Kind::Widths, &self.spec)?;
        let spec = &self.spec;
        spec.validate_fields()?;
        if self.reference_slopes != REFERENCE_SLOPES {
            return Err(refuse(
                "reference_slopes",
                format!("{:?}", self.reference_slopes),
                format!("the theory's slopes are {REFERENCE_SLOPES:?}"),
            ));
        }
        let values = spec.axis.values();
        len(
            || "series".into(),
            self.series.len(),
            values.len(),
            || "the spec's second axis (one series per value) implies".into(),
        )?;
        for (s, (series, &v)) in self.series.iter().zip(&values).enumerate() {
            let at = |name: &str| format!("series[{s}].{name}");
            if series.axis_value != v {
                return Err(refuse(
                    at("axis_value"),
                    axis_text(series.axis_value),
                    format!("value {s} of the spec's axis is {}", axis_text(v)),
                ));
            }
            let (depth, train_size) = spec.depth_and_size(v);
            equal(|| at("depth"), series.depth, depth, || "the spec at this axis value implies".into())?;
            equal(
                || at("train_size"),
                series.train_size,
                train_size,
                || "the spec at this axis value implies".into(),
            )?;
            for (i, p) in series.points.iter().enumerate() {
                let field = || format!("series[{s}].points[{i}]");
                check_point(&field, p, spec, v)?;
                if let Some(prev) = i.checked_sub(1).map(|j| &series.points[j]) {
                    if prev.width >= p.width {
                        return Err(refuse(
                            format!("{}.width", field()),
                            format!("{} after {}", p.width, prev.width),
                            "a series lists its widths once each, increasing",
                        ));
                    }
                    close(
                        || format!("{}.learning_rate", field()),
                        p.learning_rate,
                        prev.learning_rate,
                        || "the series' other points (one η per axis value) have".into(),
                    )?;
                }
            }
            let expected = slopes(&series.points);
            let fits = &series.slopes;
            check_fit(&|| at("slopes.rmse_nn_lin_sup"), &fits.rmse_nn_lin_sup, &expected.rmse_nn_lin_sup)?;
            len(
                || at("slopes.weight_change"),
                fits.weight_change.len(),
                expected.weight_change.len(),
                || "its points' layers number".into(),
            )?;
            for (l, (f, e)) in fits.weight_change.iter().zip(&expected.weight_change).enumerate() {
                check_fit(&|| format!("{}[{l}]", at("slopes.weight_change")), f, e)?;
            }
            check_fit(&|| at("slopes.ntk_change"), &fits.ntk_change, &expected.ntk_change)?;
            check_fit(&|| at("slopes.ntk_init_error"), &fits.ntk_init_error, &expected.ntk_init_error)?;
        }
        Ok(())
    }

    /// The runs (width, axis value, seed) the report holds, and the runs of its spec: equal for
    /// a finished sweep, fewer for one written when it was cancelled.
    pub fn runs(&self) -> (usize, usize) {
        let held = self.series.iter().flat_map(|s| &s.points).map(|p| p.seeds.len()).sum();
        let spec = &self.spec;
        (held, spec.axis.values().len() * spec.widths.len() * spec.seeds)
    }
}
