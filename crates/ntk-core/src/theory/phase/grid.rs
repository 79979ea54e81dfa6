//! The phase diagram over a grid of the (σ_w², σ_b²) plane: its serializable spec, rows
//! computed separately (one job each) and assembled, and the critical line χ₁ = 1.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use super::fixed_point::{chi1_at_fixed_point, phase_point_with_map};
use super::{
    check_q0, check_variances, with_map, MapTask, Phase, PhaseError, PhasePoint, DEFAULT_Q0, MAX_GRID_SIDE,
};
use crate::activation::Activation;
use crate::theory::brent::brent;
use crate::theory::kernel_maps::DiagonalMap;

/// One axis of a phase grid: `points` evenly spaced values from `min` to `max` inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AxisRange {
    /// first value
    pub min: f64,
    /// last value
    pub max: f64,
    /// number of values (1 gives just `min`)
    pub points: usize,
}

impl AxisRange {
    /// The values `min + (max − min) i/(points − 1)`, i = 0 … points − 1.
    pub fn values(&self) -> Vec<f64> {
        if self.points <= 1 {
            return vec![self.min];
        }
        let step = (self.max - self.min) / (self.points - 1) as f64;
        (0..self.points)
            .map(|i| if i + 1 == self.points { self.max } else { self.min + step * i as f64 })
            .collect()
    }
}

/// A heatmap of the (σ_w², σ_b²) plane for one activation: serializable, so that a web
/// worker can compute rows of a quadrature activation ([`phase_rows`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhaseGridSpec {
    /// the nonlinearity φ
    pub activation: Activation,
    /// σ_w² axis (min > 0)
    pub sw2: AxisRange,
    /// σ_b² axis (min ≥ 0)
    pub sb2: AxisRange,
    /// starting variance of the fixed-point search
    #[serde(default = "default_q0")]
    pub q0: f64,
}

fn default_q0() -> f64 {
    DEFAULT_Q0
}

impl PhaseGridSpec {
    /// Checks both axes (finite, min ≤ max, σ_w² > 0, σ_b² ≥ 0, 1 ..= [`MAX_GRID_SIDE`] points),
    /// the activation and q₀.
    ///
    /// # Errors
    /// The [`PhaseError`] naming the offending value.
    pub fn validate(&self) -> Result<(), PhaseError> {
        for (what, r, lowest_ok, expected) in [
            ("σ_w²", self.sw2, self.sw2.min > 0.0, "finite, 0 < min ≤ max"),
            ("σ_b²", self.sb2, self.sb2.min >= 0.0, "finite, 0 ≤ min ≤ max"),
        ] {
            if !(r.min.is_finite() && r.max.is_finite() && lowest_ok && r.min <= r.max) {
                return Err(PhaseError::Range { what, min: r.min, max: r.max, expected });
            }
            if r.points == 0 || r.points > MAX_GRID_SIDE {
                return Err(PhaseError::GridSize(r.points));
            }
        }
        check_variances(self.activation, self.sw2.min, self.sb2.min)?;
        check_q0(self.q0)
    }
}

/// One σ_b² row of a phase grid, with the critical points found along it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhaseRow {
    /// row index (into the σ_b² axis)
    pub index: usize,
    /// σ_b² of the row
    pub sb2: f64,
    /// one point per σ_w² of the axis, in order
    pub cells: Vec<PhasePoint>,
    /// σ_w² where χ₁ crosses 1 between two cells of the row (Brent on χ₁(σ_w²) − 1), plus any
    /// cell that is itself critical
    pub critical_sw2: Vec<f64>,
}

/// The phase diagram over a grid: `rows[j].cells[i]` is at (σ_w² = `sw2[i]`, σ_b² = `sb2[j]`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhaseGrid {
    /// the spec it was computed from
    pub spec: PhaseGridSpec,
    /// σ_w² values (columns)
    pub sw2: Vec<f64>,
    /// σ_b² values (rows)
    pub sb2: Vec<f64>,
    /// one row per σ_b²
    pub rows: Vec<PhaseRow>,
    /// the critical line χ₁ = 1 as (σ_w², σ_b²) points, row by row
    pub critical_line: Vec<[f64; 2]>,
}

impl PhaseGrid {
    /// Puts rows computed separately (e.g. by several workers) into one grid.
    ///
    /// # Errors
    /// [`PhaseError::Assemble`] if a row is missing, duplicated or of another grid.
    pub fn assemble(spec: &PhaseGridSpec, mut rows: Vec<PhaseRow>) -> Result<PhaseGrid, PhaseError> {
        spec.validate()?;
        let (sw2, sb2) = (spec.sw2.values(), spec.sb2.values());
        rows.sort_by_key(|r| r.index);
        let complete = rows.len() == sb2.len()
            && rows
                .iter()
                .enumerate()
                .all(|(j, r)| r.index == j && r.sb2 == sb2[j] && r.cells.len() == sw2.len());
        if !complete {
            return Err(PhaseError::Assemble(format!(
                "expected rows 0..{} of {} cells each, got indices {:?}",
                sb2.len(),
                sw2.len(),
                rows.iter().map(|r| r.index).collect::<Vec<_>>()
            )));
        }
        let critical_line =
            rows.iter().flat_map(|r| r.critical_sw2.iter().map(move |&w| [w, r.sb2])).collect();
        Ok(PhaseGrid { spec: spec.clone(), sw2, sb2, rows, critical_line })
    }

    /// The point at σ_w² index `i`, σ_b² index `j`.
    pub fn cell(&self, i: usize, j: usize) -> Option<&PhasePoint> {
        self.rows.get(j).and_then(|r| r.cells.get(i))
    }
}

fn row_with_map<M: DiagonalMap>(
    map: &M,
    spec: &PhaseGridSpec,
    sw2: &[f64],
    index: usize,
    sb2: f64,
) -> PhaseRow {
    let cells: Vec<PhasePoint> = sw2.iter().map(|&w| phase_point_with_map(map, w, sb2, spec.q0)).collect();
    let mut critical_sw2 = Vec::new();
    for (i, cell) in cells.iter().enumerate() {
        if cell.phase == Phase::Critical {
            critical_sw2.push(cell.sw2);
            continue;
        }
        let Some(next) = cells.get(i + 1) else { break };
        let (a, b) = (cell.chi1 - 1.0, next.chi1 - 1.0);
        if next.phase != Phase::Critical && a.is_finite() && b.is_finite() && (a < 0.0) != (b < 0.0) {
            let f = |w: f64| chi1_at_fixed_point(map, w, sb2, spec.q0).1 - 1.0;
            critical_sw2.push(brent(f, cell.sw2, next.sw2, a, b));
        }
    }
    PhaseRow { index, sb2, cells, critical_sw2 }
}

/// The σ_b² rows `rows` of a phase grid (for splitting a slow, quadrature grid over workers;
/// combine with [`PhaseGrid::assemble`]).
///
/// # Errors
/// [`PhaseError`] for an invalid spec or rows outside the grid.
pub fn phase_rows(spec: &PhaseGridSpec, rows: Range<usize>) -> Result<Vec<PhaseRow>, PhaseError> {
    spec.validate()?;
    let (sw2, sb2) = (spec.sw2.values(), spec.sb2.values());
    if rows.start > rows.end || rows.end > sb2.len() {
        return Err(PhaseError::Rows { start: rows.start, end: rows.end, rows: sb2.len() });
    }
    struct Task<'a>(&'a PhaseGridSpec, &'a [f64], &'a [f64], Range<usize>);
    impl MapTask for Task<'_> {
        type Out = Vec<PhaseRow>;
        fn run<M: DiagonalMap>(self, map: &M) -> Self::Out {
            let Task(spec, sw2, sb2, rows) = self;
            rows.map(|j| row_with_map(map, spec, sw2, j, sb2[j])).collect()
        }
    }
    Ok(with_map(spec.activation, Task(spec, &sw2, &sb2, rows)))
}

/// The whole phase diagram of `spec`: every cell's [`PhasePoint`] and the critical line
/// χ₁ = 1 (see the module documentation; Poole et al. 2016 Figure 2, Schoenholz et al. 2016
/// Figure 1).
///
/// # Errors
/// [`PhaseError`] for an invalid spec.
pub fn phase_grid(spec: &PhaseGridSpec) -> Result<PhaseGrid, PhaseError> {
    let rows = phase_rows(spec, 0..spec.sb2.points)?;
    PhaseGrid::assemble(spec, rows)
}
