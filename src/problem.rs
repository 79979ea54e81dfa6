//! The explorer's data set as the page shows it (the problem): training and test points, the
//! targets, and how the test points are laid out for plotting (a 1-D grid, or a 2-D grid plus
//! the segment of the paper's Figure 2).

use nalgebra::DMatrix;
use ntk_core::datasets::{segment, Dataset1d, Dataset2d, ExplicitData, GRID_SIDE, TEST_POINTS, X_RANGE};

use crate::params::explorer::{DataChoice, DataParams};
use crate::params::table::UserTable;

/// Values of α along the segment of the paper's Figure 2 (x₂ at α = 0, x₁ at α = 1; a margin
/// on both sides shows the functions beyond the two points).
pub const SEGMENT_ALPHAS: (f64, f64, usize) = (-0.25, 1.25, 61);

/// How the test points of a problem are laid out for plotting.
#[derive(Clone, Debug, PartialEq)]
pub enum Layout {
    /// 1-D: the test points are a grid of the x axis
    Line,
    /// 2-D: the first `GRID_SIDE²` test points are the heatmap grid (row-major, see
    /// [`Dataset2d`]); if the segment's ends are two distinct training points, the next ones are
    /// x(α) for each of `alphas`
    Plane {
        /// α of each segment point (empty when there is no segment)
        alphas: Vec<f64>,
        /// training-point indices of x₁ and x₂ (after clamping to the training set)
        ends: (usize, usize),
    },
    /// 2-D test points on no line or grid (an opened run's own): nothing is drawn along a
    /// line, and there are no heatmaps
    Points,
}

/// A regression problem as the page shows it: training and test points in d = 1 or 2
/// dimensions, the noiseless targets on the test points when there are any (generated sets),
/// and the layout of the test points.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    /// training points (each of length d) and targets, test points, and the noiseless targets
    /// at the test points (`None` for the user's points and tables)
    pub points: ExplicitData,
    /// how the test points are plotted
    pub layout: Layout,
    /// the range of each input coordinate that the plots span, [lo, hi]
    pub bounds: Vec<(f64, f64)>,
}

impl Problem {
    /// Input dimension d.
    pub fn dim(&self) -> usize {
        self.points.input_dim()
    }

    /// Range of the test points that lie on the plotted line: the whole 1-D grid, or the
    /// segment of a 2-D set.
    pub fn line_points(&self) -> std::ops::Range<usize> {
        match &self.layout {
            Layout::Line => 0..self.points.x_test.len(),
            Layout::Plane { alphas, .. } => GRID_SIDE * GRID_SIDE..GRID_SIDE * GRID_SIDE + alphas.len(),
            Layout::Points => 0..0,
        }
    }

    /// The abscissa of each line point: x in 1-D, α on the segment in 2-D.
    pub fn line_abscissa(&self) -> Vec<f64> {
        match &self.layout {
            Layout::Line => self.points.x_test.iter().map(|x| x[0]).collect(),
            Layout::Plane { alphas, .. } => alphas.clone(),
            Layout::Points => vec![],
        }
    }

    /// Training points drawn on the line plot as (abscissa, target): all of them in 1-D, the
    /// segment's two ends (α = 1 and α = 0) in 2-D.
    pub fn line_train(&self) -> Vec<(f64, f64)> {
        match &self.layout {
            Layout::Line => {
                self.points.x_train.iter().zip(&self.points.y_train).map(|(x, &y)| (x[0], y)).collect()
            }
            Layout::Plane { alphas, ends } if !alphas.is_empty() => {
                vec![(1.0, self.points.y_train[ends.0]), (0.0, self.points.y_train[ends.1])]
            }
            Layout::Plane { .. } | Layout::Points => vec![],
        }
    }
}

fn evenly(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    (0..n).map(|i| lo + (hi - lo) * i as f64 / (n - 1) as f64).collect()
}

/// Fraction of a table's input range added on each side of the plotted range.
pub const TABLE_PAD: f64 = 0.1;

/// The range a plot of inputs spread over `[lo, hi]` spans: [`TABLE_PAD`] of the range added
/// on each side (±1 around a single value).
pub fn padded((lo, hi): (f64, f64)) -> (f64, f64) {
    let pad = if hi > lo { TABLE_PAD * (hi - lo) } else { 1.0 };
    (lo - pad, hi + pad)
}

/// The grid of [`GRID_SIDE`]² points over `x₁ ∈ r1`, `x₂ ∈ r2`, row by row (x₁ fastest, as
/// [`Dataset2d`]'s grid).
pub fn grid_2d(r1: (f64, f64), r2: (f64, f64)) -> Vec<Vec<f64>> {
    let a1 = evenly(r1.0, r1.1, GRID_SIDE);
    let a2 = evenly(r2.0, r2.1, GRID_SIDE);
    a2.iter().flat_map(|&x2| a1.iter().map(move |&x1| vec![x1, x2])).collect()
}

/// The 2-D test points of the page: the heatmap grid, then the segment between training
/// points `seg` (clamped to the set) when they differ.
fn plane(
    x_train: &[Vec<f64>],
    seg: (usize, usize),
    bounds: [(f64, f64); 2],
) -> (Vec<Vec<f64>>, Vec<Vec<f64>>, Layout) {
    let last = x_train.len().saturating_sub(1);
    let ends = (seg.0.min(last), seg.1.min(last));
    let alphas =
        if ends.0 == ends.1 { vec![] } else { evenly(SEGMENT_ALPHAS.0, SEGMENT_ALPHAS.1, SEGMENT_ALPHAS.2) };
    let seg = segment(&x_train[ends.0], &x_train[ends.1], &alphas);
    (grid_2d(bounds[0], bounds[1]), seg, Layout::Plane { alphas, ends })
}

/// The problem of a data table: its training points; its own test points if it has them (an
/// opened run), else the page's: [`TEST_POINTS`] evenly over the padded range of x in 1-D,
/// the padded grid and the segment in 2-D. No targets on the page's test points.
pub fn table_problem(t: &UserTable, seg: (usize, usize)) -> Problem {
    let x_train = t.train.x.clone();
    let y_train = t.train.y.clone();
    if let Some(test) = &t.test {
        let spread = |j: usize| {
            test.x
                .iter()
                .chain(&x_train)
                .map(|x| x[j])
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)))
        };
        let (layout, bounds) = if t.dim() == 1 {
            (Layout::Line, vec![spread(0)])
        } else {
            (Layout::Points, vec![padded(spread(0)), padded(spread(1))])
        };
        let points = ExplicitData { x_train, y_train, x_test: test.x.clone(), y_test: test.y.clone() };
        return Problem { points, layout, bounds };
    }
    if t.dim() == 1 {
        let (lo, hi) = padded(t.range(0));
        let x_test = evenly(lo, hi, TEST_POINTS).into_iter().map(|x| vec![x]).collect();
        return Problem {
            points: ExplicitData { x_train, y_train, x_test, y_test: None },
            layout: Layout::Line,
            bounds: vec![(lo, hi)],
        };
    }
    let bounds = [padded(t.range(0)), padded(t.range(1))];
    let (mut x_test, seg, layout) = plane(&x_train, seg, bounds);
    x_test.extend(seg);
    Problem {
        points: ExplicitData { x_train, y_train, x_test, y_test: None },
        layout,
        bounds: bounds.to_vec(),
    }
}

/// The seeded (or user-placed) data set.
///
/// # Errors
/// A message when there is nothing to train on (the user set without points, the table set
/// without a table).
pub fn problem(p: &DataParams, seed: u64) -> Result<Problem, String> {
    if p.set == DataChoice::Table {
        return match &p.table {
            Some(t) => Ok(table_problem(t, p.seg)),
            None => Err("no data table: paste or upload a CSV file".to_string()),
        };
    }
    if let Some(target) = p.set.target_2d() {
        let d = Dataset2d::generate(target, p.n_train, p.noise, seed);
        let last = d.x_train.len().saturating_sub(1);
        let ends = (p.seg.0.min(last), p.seg.1.min(last));
        let alphas = if ends.0 == ends.1 {
            vec![]
        } else {
            evenly(SEGMENT_ALPHAS.0, SEGMENT_ALPHAS.1, SEGMENT_ALPHAS.2)
        };
        let x_train: Vec<Vec<f64>> = d.x_train.iter().map(|x| x.to_vec()).collect();
        let seg = segment(&x_train[ends.0], &x_train[ends.1], &alphas);
        let mut y_test = d.y_grid;
        y_test.extend(seg.iter().map(|x| target.eval([x[0], x[1]])));
        let mut x_test: Vec<Vec<f64>> = d.x_grid.iter().map(|x| x.to_vec()).collect();
        x_test.extend(seg);
        return Ok(Problem {
            points: ExplicitData { x_train, y_train: d.y_train, x_test, y_test: Some(y_test) },
            layout: Layout::Plane { alphas, ends },
            bounds: vec![X_RANGE, X_RANGE],
        });
    }
    if p.set == DataChoice::User {
        if p.points.is_empty() {
            return Err("no training points: click on the plot to add some".to_string());
        }
        let (x, y): (Vec<f64>, Vec<f64>) = p.points.iter().copied().unzip();
        return Ok(Problem {
            points: ExplicitData::from_1d(&x, y, &evenly(X_RANGE.0, X_RANGE.1, TEST_POINTS), None),
            layout: Layout::Line,
            bounds: vec![X_RANGE],
        });
    }
    let d = if p.set == DataChoice::Formula {
        p.formula.dataset(p.n_train, p.noise, seed).map_err(|e| e.to_string())?
    } else {
        let target = p.set.target_1d().unwrap_or(ntk_core::datasets::Target1d::Sin);
        Dataset1d::generate(target, p.n_train, p.noise, seed)
    };
    Ok(Problem { points: d.into(), layout: Layout::Line, bounds: vec![X_RANGE] })
}

/// Points (one per entry) as the rows of a matrix.
pub fn rows(x: &[Vec<f64>]) -> DMatrix<f64> {
    let d = x.first().map_or(1, Vec::len);
    DMatrix::from_fn(x.len(), d, |i, j| x[i][j])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::explorer::{DataChoice, ExplorerParams};
    use crate::params::table::{TestPoints, UserTable};
    use crate::params::Described;
    use crate::params::Value;
    use crate::storage::NoTables;
    use ntk_core::datasets::csv::Points;
    use ntk_core::datasets::GRID_SIDE;

    const UNICODE_2D: &str = include_str!("../tests/data/csv/unicode_2d.csv");

    /// The explorer showing `text` as its table (through the link field, as a link does).
    fn with_table(text: &str) -> ExplorerParams {
        let mut p = ExplorerParams::default();
        let notes = (ExplorerParams::TABLE.set)(&mut p, Value::Text(text.to_string()), &NoTables);
        assert!(notes.is_empty(), "{notes:?}");
        p.data.set = DataChoice::Table;
        p
    }

    #[test]
    fn a_table_gives_its_points_and_a_padded_test_grid() {
        let p = with_table("x,y\n-1,0.5\n3,2\n1,-1\n");
        let d = problem(&p.data, p.seed).unwrap();
        assert_eq!(d.points.x_train, vec![vec![-1.0], vec![3.0], vec![1.0]]);
        assert_eq!(d.points.y_train, vec![0.5, 2.0, -1.0]);
        assert_eq!(d.points.y_test, None);
        assert_eq!(d.layout, Layout::Line);
        assert_eq!(d.points.x_test.len(), TEST_POINTS);
        // [−1, 3] padded by TABLE_PAD · 4 on each side.
        let pad = TABLE_PAD * 4.0;
        assert_eq!(d.points.x_test[0][0], -1.0 - pad);
        assert!((d.points.x_test[TEST_POINTS - 1][0] - (3.0 + pad)).abs() < 1e-15);
        assert!(d.points.x_test.windows(2).all(|w| w[0][0] < w[1][0]));
        // 2-D: the grid over each coordinate's padded range, then the segment.
        let mut q = with_table(UNICODE_2D);
        q.data.seg = (0, 2);
        let d = problem(&q.data, q.seed).unwrap();
        let Layout::Plane { alphas, ends } = &d.layout else { panic!("{:?}", d.layout) };
        assert_eq!(*ends, (0, 2));
        assert_eq!(d.points.x_test.len(), GRID_SIDE * GRID_SIDE + alphas.len());
        let (p1, p2) = (TABLE_PAD * 4.5, TABLE_PAD * 3.125);
        assert_eq!(d.bounds, vec![(-1.5 - p1, 3.0 + p1), (-2.0 - p2, 1.125 + p2)]);
        assert_eq!(d.points.x_test[0], vec![-1.5 - p1, -2.0 - p2]);
        assert!((d.points.x_test[GRID_SIDE - 1][0] - (3.0 + p1)).abs() < 1e-15, "x₁ fastest along a row");
        let last = &d.points.x_test[GRID_SIDE * GRID_SIDE - 1];
        assert!((last[0] - (3.0 + p1)).abs() < 1e-15 && (last[1] - (1.125 + p2)).abs() < 1e-15);
        // α = 1 is x₁ = training point 0, α = 0 is x₂ = training point 2.
        let at = |a: f64| {
            &d.points.x_test
                [GRID_SIDE * GRID_SIDE + alphas.iter().position(|&b| (b - a).abs() < 1e-12).unwrap()]
        };
        assert_eq!(at(1.0), &vec![-1.5, 0.25]);
        assert_eq!(at(0.0), &vec![3.0, 1.125]);
        // A single point still has a range to plot.
        let one = with_table("2,1\n");
        let d = problem(&one.data, 1).unwrap();
        assert_eq!((d.points.x_test[0][0], d.points.x_test[TEST_POINTS - 1][0]), (1.0, 3.0));
        // The table set without a table has nothing to train on.
        let mut none = ExplorerParams::default();
        none.data.set = DataChoice::Table;
        assert!(problem(&none.data, 1).unwrap_err().contains("paste or upload"));
        assert_eq!(none.normalize().len(), 1);
        assert_eq!(none.data.set, DataChoice::Sin);
    }

    #[test]
    fn an_opened_runs_test_points_are_its_own_and_kept_in_order() {
        let train = Points { x: vec![vec![0.0], vec![1.0]], y: vec![0.0, 1.0], header: None };
        let test = TestPoints { x: vec![vec![-1.0], vec![0.5], vec![2.0]], y: Some(vec![3.0, 4.0, 5.0]) };
        let t = UserTable::with_test(train.clone(), Some(test.clone())).unwrap();
        assert!(t.text().contains("# test points\n-1,3\n0.5,4\n2,5\n"), "{}", t.text());
        assert_eq!(UserTable::from_text(t.text()).unwrap().test, Some(test));
        let unsorted = TestPoints { x: vec![vec![1.0], vec![0.0]], y: None };
        assert!(UserTable::with_test(train.clone(), Some(unsorted.clone())).is_err());
        let (sorted, order) = crate::params::table::sort_test_points(unsorted);
        assert_eq!(order, vec![1, 0]);
        let t = UserTable::with_test(train, Some(sorted)).unwrap();
        let mut p = ExplorerParams::default();
        p.data.table = Some(t);
        p.data.set = DataChoice::Table;
        let d = problem(&p.data, 1).unwrap();
        assert_eq!(d.points.x_test, vec![vec![0.0], vec![1.0]]);
        assert_eq!(d.layout, Layout::Line);
    }
}
