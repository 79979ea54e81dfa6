//! The whole grid: cells run separately (e.g. one per web worker) assembled into one
//! [`TrainabilityResult`] with the phase quantities of every σ_w², or all run in turn
//! ([`run_trainability`]).

use std::ops::ControlFlow;

use serde::{Deserialize, Serialize};

use super::cell::{run_cell, TrainabilityCell, TrainabilityProgress};
use super::spec::TrainabilitySpec;
use super::TrainabilityError;
use crate::theory::phase::{phase_point, PhasePoint, DEFAULT_Q0};

/// The whole grid: every cell, and the phase quantities of every σ_w² (for the ξ_c and
/// trainable-depth overlays).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainabilityResult {
    /// the spec it ran
    pub spec: TrainabilitySpec,
    /// order/chaos quantities per σ_w² (same order as `spec.sw2`)
    pub phase: Vec<PhasePoint>,
    /// cells, σ_w²-major: `cells[i · depths + j]` is (`sw2[i]`, `depths[j]`)
    pub cells: Vec<TrainabilityCell>,
}

impl TrainabilityResult {
    /// Orders cells (merging the seed ranges of repeated cells), checks that every cell of the
    /// grid is present with all its seeds, and adds the phase quantities of each σ_w².
    ///
    /// # Errors
    /// [`TrainabilityError::Mismatch`] for missing, foreign or doubly-run cells or seeds.
    pub fn assemble(
        spec: &TrainabilitySpec,
        cells: Vec<TrainabilityCell>,
    ) -> Result<Self, TrainabilityError> {
        spec.validate()?;
        let (rows, cols) = (spec.sw2.len(), spec.depths.len());
        let mut slots: Vec<Option<TrainabilityCell>> = vec![None; rows * cols];
        for c in cells {
            if c.sw2_index >= rows || c.depth_index >= cols {
                return Err(TrainabilityError::Mismatch(format!(
                    "cell ({}, {}) is off the grid",
                    c.sw2_index, c.depth_index
                )));
            }
            match &mut slots[c.sw2_index * cols + c.depth_index] {
                Some(existing) => existing.merge(&c)?,
                slot => *slot = Some(c),
            }
        }
        let cells = slots
            .into_iter()
            .enumerate()
            .map(|(i, c)| match c {
                Some(c) if c.seeds.len() == spec.seeds => Ok(c),
                _ => Err(TrainabilityError::Mismatch(format!(
                    "cell ({}, {}) is missing or incomplete",
                    i / cols,
                    i % cols
                ))),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let phase = spec
            .sw2
            .iter()
            .map(|&w| phase_point(spec.activation, w, spec.sb2, DEFAULT_Q0))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TrainabilityResult { spec: spec.clone(), phase, cells })
    }
}

/// Runs every cell (all seeds) and assembles the result; `progress` as in [`run_cell`].
///
/// # Errors
/// As [`run_cell`].
pub fn run_trainability<F>(
    spec: &TrainabilitySpec,
    mut progress: F,
) -> Result<TrainabilityResult, TrainabilityError>
where
    F: FnMut(&TrainabilityProgress) -> ControlFlow<()>,
{
    spec.validate()?;
    let mut cells = Vec::with_capacity(spec.sw2.len() * spec.depths.len());
    for i in 0..spec.sw2.len() {
        for j in 0..spec.depths.len() {
            cells.push(run_cell(spec, i, j, 0..spec.seeds, &mut progress)?);
        }
    }
    TrainabilityResult::assemble(spec, cells)
}
