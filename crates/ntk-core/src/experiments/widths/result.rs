//! A sweep's points grouped into series, with their fitted log-log slopes.

use super::*;
/// The fitted slopes of one series (each `None` when [`fit_slope`] has fewer than 2 usable
/// points), fitted to the seed means.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Slopes {
    /// (a) network–linearization distance (theory: −1/2 bound, Thm 2.1)
    pub rmse_nn_lin_sup: Option<PowerLawFit>,
    /// (b) per layer, input first (theory: −1/2 input and readout, −1 hidden; Figure 1)
    pub weight_change: Vec<Option<PowerLawFit>>,
    /// (c) kernel change during training (between −1 and −1/2; Figure 1)
    pub ntk_change: Option<PowerLawFit>,
    /// (d) initial kernel against the analytic NTK (−1/2; Figure 1)
    pub ntk_init_error: Option<PowerLawFit>,
}

/// One series of widths at one axis value, sorted by width, with its slopes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// the axis value (`None` without an axis)
    pub axis_value: Option<usize>,
    /// depth L
    pub depth: usize,
    /// training points N
    pub train_size: usize,
    /// points, increasing width
    pub points: Vec<WidthPoint>,
    /// fitted log-log slopes
    pub slopes: Slopes,
}

/// The sweep: one [`Series`] per axis value (in axis order), and the reference slopes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepResult {
    /// per axis value
    pub series: Vec<Series>,
    /// the theory's slopes for the reference lines, [`REFERENCE_SLOPES`]
    pub reference_slopes: Vec<f64>,
}

impl SweepResult {
    /// Groups points by axis value (in the spec's axis order), merges points of the same width
    /// and axis value ([`WidthPoint::merge`]), sorts by width and fits the slopes. Points may
    /// come from any number of workers in any order; missing widths are simply absent.
    ///
    /// # Errors
    /// [`WidthError::NotOnAxis`] / [`WidthError::NotOnGrid`] for a point of another sweep,
    /// [`WidthError::Mismatch`] for points that cannot be merged.
    pub fn assemble(spec: &WidthSweepSpec, points: Vec<WidthPoint>) -> Result<SweepResult, WidthError> {
        let values = spec.axis.values();
        let mut groups: Vec<Vec<WidthPoint>> = vec![Vec::new(); values.len()];
        for p in points {
            let g =
                values.iter().position(|v| *v == p.axis_value).ok_or(WidthError::NotOnAxis(p.axis_value))?;
            if !spec.widths.contains(&p.width) {
                return Err(WidthError::NotOnGrid(p.width));
            }
            match groups[g].iter_mut().find(|q| q.width == p.width) {
                Some(q) => q.merge(&p)?,
                None => groups[g].push(p),
            }
        }
        let series = values
            .into_iter()
            .zip(groups)
            .map(|(axis_value, mut points)| {
                points.sort_by_key(|p| p.width);
                let (depth, train_size) = spec.depth_and_size(axis_value);
                let slopes = slopes(&points);
                Series { axis_value, depth, train_size, points, slopes }
            })
            .collect();
        Ok(SweepResult { series, reference_slopes: REFERENCE_SLOPES.to_vec() })
    }
}

/// The fitted slopes of one series' points (increasing width).
pub(super) fn slopes(points: &[WidthPoint]) -> Slopes {
    let xs: Vec<f64> = points.iter().map(|p| p.width as f64).collect();
    let fit = |f: &dyn Fn(&WidthPoint) -> Option<f64>| {
        let ys: Vec<f64> = points.iter().map(|p| f(p).unwrap_or(f64::NAN)).collect();
        fit_slope(&xs, &ys).ok()
    };
    let layers = points.iter().map(|p| p.weight_change.len()).max().unwrap_or(0);
    Slopes {
        rmse_nn_lin_sup: fit(&|p| p.rmse_nn_lin_sup.map(|s| s.mean)),
        weight_change: (0..layers).map(|l| fit(&|p| p.weight_change.get(l).map(|s| s.mean))).collect(),
        ntk_change: fit(&|p| p.ntk_change.map(|s| s.mean)),
        ntk_init_error: fit(&|p| (p.ntk_init_error.count > 0).then_some(p.ntk_init_error.mean)),
    }
}
