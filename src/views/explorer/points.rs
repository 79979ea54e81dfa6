//! Editing the user's training points on the main plot: a press on empty space adds a point, a
//! press on a point selects it, dragging moves it, right-click removes it; with the canvas
//! focused, Delete removes the selected point and the arrow keys move it.

use leptos::prelude::*;

use crate::params::explorer::{user_point, DataChoice, ExplorerParams, MAX_TRAIN};
use crate::plot::function_plot::Frame;

/// Pointer distance (CSS pixels) within which a press hits a point.
const HIT_RADIUS: f64 = 12.0;
/// Arrow-key nudge in data units.
const NUDGE: f64 = 0.05;

/// The state of point editing (see the module doc).
#[derive(Clone, Copy)]
pub struct PointEditor {
    params: RwSignal<ExplorerParams>,
    /// where the main plot's area lies (set when it is drawn)
    pub frame: StoredValue<Option<Frame>>,
    dragging: StoredValue<Option<usize>>,
    /// the point selected for the keyboard
    pub selected: RwSignal<Option<usize>>,
    /// why the last edit was refused
    pub note: RwSignal<Option<String>>,
}

/// Index of the point drawn within `radius` CSS pixels of `css`, the nearest.
pub fn point_near(points: &[(f64, f64)], frame: &Frame, css: (f64, f64), radius: f64) -> Option<usize> {
    points
        .iter()
        .enumerate()
        .map(|(i, &(x, y))| {
            let (px, py) = frame.to_css(x, y);
            (i, (px - css.0).hypot(py - css.1))
        })
        .filter(|(_, d)| *d <= radius)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i)
}

impl PointEditor {
    /// An editor of the points of `params`.
    pub fn new(params: RwSignal<ExplorerParams>) -> Self {
        PointEditor {
            params,
            frame: StoredValue::new(None),
            dragging: StoredValue::new(None),
            selected: RwSignal::new(None),
            note: RwSignal::new(None),
        }
    }

    fn editing(&self) -> bool {
        self.params.with_untracked(|p| p.data.set == DataChoice::User)
    }

    /// A press: select the point under the pointer, or add one there.
    pub fn pointer_down(&self, ev: &web_sys::PointerEvent, canvas: Option<web_sys::HtmlCanvasElement>) {
        let Some(f) = self.frame.get_value() else { return };
        if !self.editing() || ev.button() != 0 {
            return;
        }
        let css = (f64::from(ev.offset_x()), f64::from(ev.offset_y()));
        let count = self.params.with_untracked(|p| p.data.points.len());
        let index = match self.params.with_untracked(|p| point_near(&p.data.points, &f, css, HIT_RADIUS)) {
            Some(i) => i,
            None if count >= MAX_TRAIN => {
                self.note.set(Some(format!("at most {MAX_TRAIN} training points: remove one first")));
                return;
            }
            None => {
                let Some((x, y)) = f.to_data(css.0, css.1) else { return };
                self.params.update(|p| p.data.points.push(user_point(x, y)));
                count
            }
        };
        self.note.set(None);
        self.selected.set(Some(index));
        self.dragging.set_value(Some(index));
        if let Some(c) = canvas {
            let _ = c.set_pointer_capture(ev.pointer_id());
            let _ = c.focus();
        }
        ev.prevent_default();
    }

    /// A move: drag the pressed point.
    pub fn pointer_move(&self, ev: &web_sys::PointerEvent) {
        let (Some(i), Some(f)) = (self.dragging.get_value(), self.frame.get_value()) else { return };
        let (x, y) = f.to_data_clamped(f64::from(ev.offset_x()), f64::from(ev.offset_y()));
        let moved = user_point(x, y);
        if self.params.with_untracked(|p| p.data.points.get(i) != Some(&moved)) {
            self.params.update(|p| {
                if let Some(pt) = p.data.points.get_mut(i) {
                    *pt = moved;
                }
            });
        }
    }

    /// A release: stop dragging.
    pub fn pointer_up(&self) {
        self.dragging.set_value(None);
    }

    fn remove(&self, i: usize) {
        self.params.update(|p| {
            if i < p.data.points.len() {
                p.data.points.remove(i);
            }
        });
        self.selected.set(None);
        self.note.set(None);
    }

    /// A right-click: remove the point under the pointer.
    pub fn context_menu(&self, ev: &web_sys::MouseEvent) {
        let Some(f) = self.frame.get_value() else { return };
        if !self.editing() {
            return;
        }
        ev.prevent_default();
        let css = (f64::from(ev.offset_x()), f64::from(ev.offset_y()));
        if let Some(i) = self.params.with_untracked(|p| point_near(&p.data.points, &f, css, HIT_RADIUS)) {
            self.remove(i);
        }
    }

    /// A key on the focused canvas: Delete/Backspace removes the selected point, the arrows
    /// move it, Escape deselects it.
    pub fn key(&self, ev: &web_sys::KeyboardEvent) {
        let Some(i) = self.selected.get_untracked() else { return };
        if !self.editing() {
            return;
        }
        let (dx, dy) = match ev.key().as_str() {
            "Delete" | "Backspace" => {
                ev.prevent_default();
                return self.remove(i);
            }
            "Escape" => return self.selected.set(None),
            "ArrowLeft" => (-NUDGE, 0.0),
            "ArrowRight" => (NUDGE, 0.0),
            "ArrowUp" => (0.0, NUDGE),
            "ArrowDown" => (0.0, -NUDGE),
            _ => return,
        };
        ev.prevent_default();
        self.params.update(|p| {
            if let Some(pt) = p.data.points.get_mut(i) {
                *pt = user_point(pt.0 + dx, pt.1 + dy);
            }
        });
    }

    /// Chooses a data set; choosing the user's set with no points starts from the points of
    /// the 1-D set on screen (`on_screen` gives them for a state).
    pub fn choose(&self, choice: DataChoice, on_screen: impl FnOnce(&ExplorerParams) -> Vec<(f64, f64)>) {
        self.params.update(|p| {
            if choice == DataChoice::User && p.data.points.is_empty() {
                p.data.points = on_screen(p);
            }
            p.data.set = choice;
        });
        self.selected.set(None);
    }

    /// Removes every point.
    pub fn clear(&self) {
        self.params.update(|p| p.data.points.clear());
        self.selected.set(None);
    }
}
