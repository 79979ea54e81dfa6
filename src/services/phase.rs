//! The order-and-chaos view's computations as a service (Leptos context), all in workers: the
//! phase diagram (its σ_b² rows split over two workers, assembled as they arrive), and the point
//! panels (correlation map, Gram conditioning) in a worker of their own. A new request
//! abandons the older one of its kind.

use leptos::prelude::*;
use ntk_core::datasets::named_set;
use ntk_core::experiments::trainability::{TrainabilityCell, TrainabilityResult, TrainabilitySpec};
use ntk_core::theory::phase::{PhaseGrid, PhaseGridSpec, PhaseRow};

use crate::params::phase::{PointKey, C0S};
use crate::runtime::protocol::{Output, PhasePointJob, PhasePointResult, Work};
use crate::runtime::scheduler::{Event, Scheduler, SchedulerOptions};

/// The diagram shown: the spec it belongs to, the rows arrived, the grid once complete.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GridState {
    /// what it is for
    pub spec: Option<PhaseGridSpec>,
    /// rows arrived so far
    pub rows: Vec<PhaseRow>,
    /// the assembled grid
    pub grid: Option<PhaseGrid>,
    /// why it could not be computed
    pub error: Option<String>,
}

/// The point panels shown.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PointState {
    /// what they are for
    pub key: Option<PointKey>,
    /// their numbers
    pub result: Option<Result<PhasePointResult, String>>,
}

/// The trainability grid: run on demand, cell by cell, cancellable.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TrainState {
    /// the grid run
    pub spec: Option<TrainabilitySpec>,
    /// cells finished
    pub cells: Vec<TrainabilityCell>,
    /// progress of the cells in flight, by task
    pub in_flight: Vec<f64>,
    /// the assembled result, once every cell is in
    pub result: Option<TrainabilityResult>,
    /// running (not finished, failed or cancelled)
    pub running: bool,
    /// why it stopped
    pub error: Option<String>,
}

impl TrainState {
    /// Fraction of the grid done.
    pub fn fraction(&self) -> f64 {
        let total = self.spec.as_ref().map_or(0, |s| s.sw2.len() * s.depths.len());
        if total == 0 {
            return 0.0;
        }
        ((self.cells.len() as f64 + self.in_flight.iter().sum::<f64>()) / total as f64).min(1.0)
    }
}

/// Most training FLOP of one trainability grid in the page.
pub const MAX_TRAINABILITY_FLOP: f64 = 6e11;

/// The order-and-chaos computations of the page.
#[derive(Clone, Copy)]
pub struct PhaseService {
    /// the diagram
    pub grid: RwSignal<GridState>,
    /// the point panels
    pub point: RwSignal<PointState>,
    /// the trainability grid
    pub train: RwSignal<TrainState>,
    grid_scheduler: StoredValue<Option<Scheduler>, LocalStorage>,
    point_scheduler: StoredValue<Option<Scheduler>, LocalStorage>,
    train_scheduler: StoredValue<Option<Scheduler>, LocalStorage>,
}

/// The training inputs of a point key's data set.
///
/// # Errors
/// The data set's message (an unknown name).
pub fn point_job(key: &PointKey) -> Result<PhasePointJob, String> {
    let data = named_set(key.data, key.n_train, 0.0, key.data_seed).map_err(|e| e.to_string())?;
    Ok(PhasePointJob {
        activation: key.activation,
        sw2: key.sw2,
        sb2: key.sb2,
        c0s: C0S.to_vec(),
        layers: key.layers,
        x_train: data.x_train,
        max_depth: key.max_depth,
    })
}

impl PhaseService {
    /// Creates the service and provides it to the component tree below.
    pub fn provide() -> PhaseService {
        let service = PhaseService {
            grid: RwSignal::new(GridState::default()),
            point: RwSignal::new(PointState::default()),
            train: RwSignal::new(TrainState::default()),
            grid_scheduler: StoredValue::new_local(None),
            point_scheduler: StoredValue::new_local(None),
            train_scheduler: StoredValue::new_local(None),
        };
        provide_context(service);
        service
    }

    /// Whether the diagram shown (or being computed) is `spec`'s.
    pub fn has_grid(&self, spec: &PhaseGridSpec) -> bool {
        self.grid.with_untracked(|g| g.spec.as_ref() == Some(spec) && g.error.is_none())
    }

    /// Whether the point panels shown (or being computed) are `key`'s.
    pub fn has_point(&self, key: &PointKey) -> bool {
        self.point.with_untracked(|p| p.key.as_ref() == Some(key) && !matches!(p.result, Some(Err(_))))
    }

    /// Computes the diagram of `spec`, its rows split over two workers.
    pub fn start_grid(&self, spec: PhaseGridSpec) {
        if let Err(e) = spec.validate() {
            self.grid.set(GridState { spec: Some(spec), error: Some(e.to_string()), ..GridState::default() });
            return;
        }
        if self.grid_scheduler.with_value(Option::is_none) {
            let service = *self;
            let workers = SchedulerOptions::workers_for(SchedulerOptions::browser_cores(), 2);
            let s =
                Scheduler::new(SchedulerOptions::with_workers(workers), move |e| service.on_grid_event(e));
            self.grid_scheduler.set_value(Some(s));
        }
        let rows = spec.sb2.points;
        // Small tasks (a few rows each) so both workers stay busy and rows arrive steadily.
        let chunk = rows.div_ceil(8).max(1);
        let tasks: Vec<Work> = (0..rows)
            .step_by(chunk)
            .map(|a| Work::PhaseRows { spec: spec.clone(), rows: (a, (a + chunk).min(rows)) })
            .collect();
        self.grid.set(GridState { spec: Some(spec), ..GridState::default() });
        self.grid_scheduler.with_value(|s| s.as_ref().map(|s| s.run(tasks)));
    }

    fn on_grid_event(&self, event: Event) {
        match event {
            Event::Done { result: Ok(Output::PhaseRows(rows)), .. } => self.grid.update(|g| {
                g.rows.extend(rows);
                if let Some(spec) = &g.spec {
                    if g.rows.len() == spec.sb2.points {
                        match PhaseGrid::assemble(spec, g.rows.clone()) {
                            Ok(grid) => g.grid = Some(grid),
                            Err(e) => g.error = Some(e.to_string()),
                        }
                    }
                }
            }),
            Event::Done { result: Err(m), .. } | Event::Unavailable { message: m, .. } => {
                self.grid.update(|g| g.error = Some(m))
            }
            Event::Lost { message, rerun: false, .. } => self.grid.update(|g| g.error = Some(message)),
            _ => {}
        }
    }

    /// Computes the point panels of `key`.
    pub fn start_point(&self, key: PointKey) {
        let job = match point_job(&key) {
            Ok(j) => j,
            Err(e) => {
                self.point.set(PointState { key: Some(key), result: Some(Err(e)) });
                return;
            }
        };
        if self.point_scheduler.with_value(Option::is_none) {
            let service = *self;
            let s = Scheduler::new(SchedulerOptions::with_workers(1), move |e| service.on_point_event(e));
            self.point_scheduler.set_value(Some(s));
        }
        self.point.set(PointState { key: Some(key), result: None });
        self.point_scheduler.with_value(|s| s.as_ref().map(|s| s.run(vec![Work::PhasePoint(job)])));
    }

    fn on_point_event(&self, event: Event) {
        let result = match event {
            Event::Done { result: Ok(Output::PhasePoint(r)), .. } => Ok(*r),
            Event::Done { result: Ok(_), .. } => Err("unexpected reply from the worker".to_string()),
            Event::Done { result: Err(m), .. } | Event::Unavailable { message: m, .. } => Err(m),
            Event::Lost { message, rerun: false, .. } => Err(message),
            _ => return,
        };
        self.point.update(|p| p.result = Some(result));
    }

    /// Runs the trainability grid `spec`, one task per cell over two workers; refused before
    /// any work when the core refuses it or it needs more than [`MAX_TRAINABILITY_FLOP`].
    pub fn start_trainability(&self, spec: TrainabilitySpec) {
        let flop: f64 =
            spec.depths.iter().map(|&d| spec.estimate_cell_flop(d)).sum::<f64>() * spec.sw2.len() as f64;
        let refused = spec.validate().err().map(|e| e.to_string()).or_else(|| {
            (flop > MAX_TRAINABILITY_FLOP).then(|| {
                format!("needs {flop:.1e} FLOP (limit {MAX_TRAINABILITY_FLOP:.0e} for a tab): narrow the σ_w² range")
            })
        });
        if let Some(e) = refused {
            self.train.set(TrainState { spec: Some(spec), error: Some(e), ..TrainState::default() });
            return;
        }
        if self.train_scheduler.with_value(Option::is_none) {
            let service = *self;
            let workers = SchedulerOptions::workers_for(SchedulerOptions::browser_cores(), 2);
            let s =
                Scheduler::new(SchedulerOptions::with_workers(workers), move |e| service.on_train_event(e));
            self.train_scheduler.set_value(Some(s));
        }
        // Deepest cells first: they take longest, so the two workers finish together.
        let mut cells: Vec<(usize, usize)> =
            (0..spec.sw2.len()).flat_map(|i| (0..spec.depths.len()).map(move |j| (i, j))).collect();
        cells.sort_by_key(|&(_, j)| std::cmp::Reverse(j));
        let tasks: Vec<Work> =
            cells.into_iter().map(|cell| Work::Trainability { spec: spec.clone(), cell }).collect();
        let n = tasks.len();
        self.train.set(TrainState {
            spec: Some(spec),
            in_flight: vec![0.0; n],
            running: true,
            ..TrainState::default()
        });
        self.train_scheduler.with_value(|s| s.as_ref().map(|s| s.run(tasks)));
    }

    /// Stops the trainability grid; the cells finished stay.
    pub fn cancel_trainability(&self) {
        self.train_scheduler.with_value(|s| s.as_ref().map(Scheduler::cancel));
        self.train.update(|t| {
            if t.running {
                t.running = false;
                t.error = Some(format!("cancelled: {} cells finished", t.cells.len()));
                t.in_flight.iter_mut().for_each(|f| *f = 0.0);
            }
        });
    }

    fn on_train_event(&self, event: Event) {
        self.train.update(|t| match event {
            Event::Progress { job, progress } => {
                if let Some(f) = t.in_flight.get_mut(job.task) {
                    *f = progress.fraction;
                }
            }
            Event::Done { job, result: Ok(Output::Trainability(cell)) } => {
                if let Some(f) = t.in_flight.get_mut(job.task) {
                    *f = 0.0;
                }
                t.cells.push(*cell);
                if let Some(spec) = &t.spec {
                    if t.cells.len() == spec.sw2.len() * spec.depths.len() {
                        t.running = false;
                        match TrainabilityResult::assemble(spec, t.cells.clone()) {
                            Ok(r) => t.result = Some(r),
                            Err(e) => t.error = Some(e.to_string()),
                        }
                    }
                }
            }
            Event::Done { result: Err(m), .. } | Event::Unavailable { message: m, .. } => {
                t.running = false;
                t.error = Some(m);
            }
            Event::Lost { message, rerun: false, .. } => {
                t.running = false;
                t.error = Some(message);
            }
            _ => {}
        });
    }
}
