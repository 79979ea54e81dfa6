//! Sharded width sweeps: some of a sweep's (axis value, width, seed) runs written to a file
//! ([`WidthsPartial`], `ntk widths --partial FILE`), and any set of such files covering every
//! run once merged into exactly the report of the whole sweep ([`merge_widths_partials`],
//! `ntk merge`) by [`SweepResult::assemble`], which recomputes every mean and spread from the
//! seeds sorted by index — the same bits however the runs were split.

use serde::{Deserialize, Serialize};

use super::*;
use crate::results::envelope::{label, ranges_text, Header, Kind, ResultsError};

/// A point of a sweep: (axis value, width).
type PointKey = (Option<usize>, usize);

/// One independent run of a sweep: one seed of one width at one axis value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct WidthJob {
    /// the axis value (`None` without a second axis)
    pub axis_value: Option<usize>,
    /// hidden width n
    pub width: usize,
    /// seed index m
    pub seed: usize,
}

impl WidthJob {
    fn text(&self) -> String {
        let axis = self.axis_value.map_or(String::new(), |v| format!(" at axis value {v}"));
        format!("width {}{axis}, seed {}", self.width, self.seed)
    }
}

/// Every run of a sweep in its canonical order: axis values in axis order, widths in grid
/// order, seeds increasing.
pub fn width_jobs(spec: &WidthSweepSpec) -> Vec<WidthJob> {
    let mut jobs = Vec::new();
    for axis_value in spec.axis.values() {
        for &width in &spec.widths {
            jobs.extend((0..spec.seeds).map(|seed| WidthJob { axis_value, width, seed }));
        }
    }
    jobs
}

/// The runs of shard `index` of `count`: the runs are dealt, most expensive first
/// ([`estimate_point_flop`]; ties in canonical order), each to the shard with the least
/// estimated work so far (ties to the lowest index), so shards finish at about the same time.
/// Every shard computes the same deal, so the shards of one `count` cover every run once.
///
/// # Errors
/// [`WidthError::OutOfRange`] for `count` = 0 or `index ≥ count`.
pub fn shard_jobs(spec: &WidthSweepSpec, index: usize, count: usize) -> Result<Vec<WidthJob>, WidthError> {
    if count == 0 || index >= count {
        let expected = Expected::Words("a shard index i/S with 0 ≤ i < S");
        return Err(RangeError { what: "shard index", value: index as f64, expected, note: None }.into());
    }
    let mut jobs: Vec<(WidthJob, f64)> =
        width_jobs(spec).into_iter().map(|j| (j, estimate_point_flop(spec, j.width, j.axis_value))).collect();
    jobs.sort_by(|a, b| b.1.total_cmp(&a.1)); // stable: ties keep the canonical order
    let mut load = vec![0.0f64; count];
    let mut mine = Vec::new();
    for (job, flop) in jobs {
        let shard = (0..count).fold(0, |best, s| if load[s] < load[best] { s } else { best });
        load[shard] += flop;
        if shard == index {
            mine.push(job);
        }
    }
    mine.sort();
    Ok(mine)
}

/// The report of a whole width sweep: what `ntk widths` prints (and `ntk merge` of its parts),
/// self-describing for the explorer's "Open results…": header, spec, and the
/// [`SweepResult`]'s series and reference slopes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WidthsReport {
    /// kind `widths`, format, producer, spec hash
    #[serde(flatten)]
    pub header: Header,
    /// the sweep
    pub spec: WidthSweepSpec,
    /// per axis value
    pub series: Vec<Series>,
    /// the theory's slopes for the reference lines
    pub reference_slopes: Vec<f64>,
}

impl WidthsReport {
    /// The report of `spec` with its assembled result.
    ///
    /// # Errors
    /// As [`crate::results::spec_hash`].
    pub fn new(spec: &WidthSweepSpec, result: SweepResult) -> Result<Self, ResultsError> {
        Ok(WidthsReport {
            header: Header::new(Kind::Widths, spec)?,
            spec: spec.clone(),
            series: result.series,
            reference_slopes: result.reference_slopes,
        })
    }

    /// The sweep's result (series and slopes).
    pub fn result(&self) -> SweepResult {
        SweepResult { series: self.series.clone(), reference_slopes: self.reference_slopes.clone() }
    }
}

/// Some runs of a sweep, each as the [`WidthPoint`] of its one seed: one part of a sharded sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WidthsPartial {
    /// kind `widths_partial`, format, producer, spec hash
    #[serde(flatten)]
    pub header: Header,
    /// the whole sweep
    pub spec: WidthSweepSpec,
    /// the runs of this part, in canonical order
    pub jobs: Vec<WidthJob>,
    /// one point per run, in the order of `jobs`
    pub points: Vec<WidthPoint>,
}

impl WidthsPartial {
    /// The part of `spec` holding `points` (any order), one per run of one seed.
    ///
    /// # Errors
    /// As [`WidthsPartial::check`].
    pub fn new(spec: &WidthSweepSpec, mut points: Vec<WidthPoint>) -> Result<Self, ResultsError> {
        let key = |p: &WidthPoint| WidthJob {
            axis_value: p.axis_value,
            width: p.width,
            seed: p.seeds.first().map_or(usize::MAX, |s| s.seed),
        };
        points.sort_by_key(key);
        let jobs = points.iter().map(key).collect();
        let part = WidthsPartial {
            header: Header::new(Kind::WidthsPartial, spec)?,
            spec: spec.clone(),
            jobs,
            points,
        };
        part.check()?;
        Ok(part)
    }

    /// Checks the header (kind, format, hash of the spec), that every run is of the sweep and
    /// listed once, that point i holds exactly the seed of run i, and every point against the
    /// spec (its depth, size and records; its summaries those of its seed).
    ///
    /// # Errors
    /// As [`Header::check`], [`ResultsError::Widths`] for an invalid sweep or a run not of it,
    /// [`ResultsError::Inconsistent`], [`ResultsError::Field`].
    pub fn check(&self) -> Result<(), ResultsError> {
        self.header.check(Kind::WidthsPartial, &self.spec)?;
        self.spec.validate_fields()?;
        let values = self.spec.axis.values();
        if self.jobs.len() != self.points.len() {
            return Err(ResultsError::Inconsistent(format!(
                "{} runs listed but {} points",
                self.jobs.len(),
                self.points.len()
            )));
        }
        for (i, (j, p)) in self.jobs.iter().zip(&self.points).enumerate() {
            if !values.contains(&j.axis_value) {
                return Err(WidthError::NotOnAxis(j.axis_value).into());
            }
            if !self.spec.widths.contains(&j.width) {
                return Err(WidthError::NotOnGrid(j.width).into());
            }
            if j.seed >= self.spec.seeds {
                return Err(
                    WidthError::SeedRange { start: j.seed, end: j.seed + 1, seeds: self.spec.seeds }.into()
                );
            }
            let seeds: Vec<usize> = p.seeds.iter().map(|s| s.seed).collect();
            if p.axis_value != j.axis_value || p.width != j.width || seeds != [j.seed] {
                return Err(ResultsError::Inconsistent(format!(
                    "run {i} is {} but its point is width {} at axis value {:?} with seeds [{}]",
                    j.text(),
                    p.width,
                    p.axis_value,
                    ranges_text(&seeds)
                )));
            }
            if i > 0 && self.jobs[i - 1] >= *j {
                return Err(ResultsError::Inconsistent(format!(
                    "run {} listed twice or out of order",
                    j.text()
                )));
            }
            super::check::check_point(&|| format!("points[{i}]"), p, &self.spec, j.axis_value)?;
        }
        Ok(())
    }
}

/// Merges parts holding every run of one sweep exactly once into the sweep's report
/// ([`SweepResult::assemble`] of all their points). `labels` name the parts in messages.
///
/// # Errors
/// [`ResultsError::NoParts`]; a part failing [`WidthsPartial::check`];
/// [`ResultsError::DifferentJobs`] / [`ResultsError::Producer`] for parts of another sweep or
/// release; [`ResultsError::Overlap`] naming a run two parts hold; [`ResultsError::Missing`]
/// naming the runs no part holds; [`ResultsError::MergedInvalid`] if the merged sweep fails
/// [`WidthsReport::check`].
pub fn merge_widths_partials(
    parts: &[WidthsPartial],
    labels: &[String],
) -> Result<WidthsReport, ResultsError> {
    let first = parts.first().ok_or(ResultsError::NoParts)?;
    for (i, p) in parts.iter().enumerate() {
        p.check().map_err(|e| ResultsError::InPart { part: label(labels, i), source: Box::new(e) })?;
        first.header.check_same_job(&label(labels, 0), &p.header, &label(labels, i))?;
    }
    let spec = &first.spec;
    let mut holder: std::collections::BTreeMap<WidthJob, usize> = Default::default();
    for (i, p) in parts.iter().enumerate() {
        for j in &p.jobs {
            if let Some(other) = holder.insert(*j, i) {
                return Err(ResultsError::Overlap(format!(
                    "{} and {} both hold {}",
                    label(labels, other),
                    label(labels, i),
                    j.text()
                )));
            }
        }
    }
    let missing: Vec<WidthJob> = width_jobs(spec).into_iter().filter(|j| !holder.contains_key(j)).collect();
    if !missing.is_empty() {
        let mut groups: Vec<(PointKey, Vec<usize>)> = Vec::new();
        for j in &missing {
            match groups.last_mut() {
                Some((k, seeds)) if *k == (j.axis_value, j.width) => seeds.push(j.seed),
                _ => groups.push(((j.axis_value, j.width), vec![j.seed])),
            }
        }
        let text: Vec<String> = groups
            .iter()
            .map(|((v, w), seeds)| {
                let axis = v.map_or(String::new(), |v| format!(" at axis value {v}"));
                format!("width {w}{axis} seeds {}", ranges_text(seeds))
            })
            .collect();
        return Err(ResultsError::Missing(format!(
            "{} of {} runs are in no part: {}",
            missing.len(),
            width_jobs(spec).len(),
            text.join("; ")
        )));
    }
    let points = parts.iter().flat_map(|p| p.points.iter().cloned()).collect();
    let report = WidthsReport::new(spec, SweepResult::assemble(spec, points)?)?;
    report.check().map_err(|e| ResultsError::MergedInvalid(Box::new(e)))?;
    Ok(report)
}
