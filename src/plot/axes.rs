//! Tick marks that never crowd: how many labels fit on an axis of a given length, nice linear
//! ticks (1, 2, 5 × 10ᵏ steps) and logarithmic ticks (decades, thinned, or 1-2-5 within a short
//! range), with labels written for people ([`tick_label`]). The plots hand the chosen ticks to
//! plotters (`with_key_points`), so what is drawn is what was laid out here.

use std::ops::Range;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};

/// A linear or logarithmic axis over `range` whose tick marks are exactly `ticks` (chosen by
/// [`linear_ticks`] / [`log_ticks`] to fit), for plotters.
#[derive(Clone, Debug, PartialEq)]
pub struct Ticked {
    range: Range<f64>,
    log: bool,
    ticks: Vec<f64>,
}

impl Ticked {
    /// A linear axis over [lo, hi] with ticks that fit `max` labels.
    pub fn linear(lo: f64, hi: f64, max: usize) -> Ticked {
        Ticked { range: lo..hi, log: false, ticks: linear_ticks(lo, hi, max) }
    }

    /// A logarithmic axis over [lo, hi] (lo > 0) with ticks that fit `max` labels.
    pub fn log(lo: f64, hi: f64, max: usize) -> Ticked {
        Ticked { range: lo..hi, log: true, ticks: log_ticks(lo, hi, max) }
    }

    /// Its ticks.
    pub fn ticks(&self) -> &[f64] {
        &self.ticks
    }

    /// Position of `v` along the axis, 0 at the start and 1 at the end.
    pub fn fraction(&self, v: f64) -> f64 {
        let (lo, hi) = (self.range.start, self.range.end);
        if self.log {
            (v.max(f64::MIN_POSITIVE).ln() - lo.ln()) / (hi.ln() - lo.ln())
        } else {
            (v - lo) / (hi - lo)
        }
    }
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let f = self.fraction(*v).clamp(-10.0, 11.0);
        (f64::from(limit.0) + f * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.range.clone()
    }
}

/// Where a plot drew something, in backing-store pixels (x to the right, y down).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Rect {
    /// left edge
    pub x0: f64,
    /// top edge
    pub y0: f64,
    /// right edge
    pub x1: f64,
    /// bottom edge
    pub y1: f64,
}

impl Rect {
    /// Whether the two rectangles share interior points.
    pub fn overlaps(&self, other: &Rect) -> bool {
        self.x0 < other.x1 && other.x0 < self.x1 && self.y0 < other.y1 && other.y0 < self.y1
    }

    /// Whether `other` lies inside this rectangle (edges included).
    pub fn contains(&self, other: &Rect) -> bool {
        self.x0 <= other.x0 && other.x1 <= self.x1 && self.y0 <= other.y0 && other.y1 <= self.y1
    }

    /// A rectangle of `width` × `height` centred on (cx, cy).
    pub fn centred(cx: f64, cy: f64, width: f64, height: f64) -> Rect {
        Rect { x0: cx - width / 2.0, y0: cy - height / 2.0, x1: cx + width / 2.0, y1: cy + height / 2.0 }
    }
}

/// What a drawn plot occupies: its canvas, its plotting areas, its legend and every label, for
/// tests that check nothing overlaps and nothing is clipped.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Geometry {
    /// the whole canvas
    pub canvas: Option<Rect>,
    /// plotting areas (one per panel)
    pub areas: Vec<Rect>,
    /// legend boxes
    pub legends: Vec<Rect>,
    /// tick-label boxes, per axis (labels of one axis must not overlap each other)
    pub axes: Vec<Vec<Rect>>,
}

impl Geometry {
    /// What is wrong with the layout, if anything: labels of an axis that overlap, a legend over
    /// a plotting area, a box outside the canvas.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (a, labels) in self.axes.iter().enumerate() {
            for (i, p) in labels.iter().enumerate() {
                if let Some(q) = labels[i + 1..].iter().find(|q| p.overlaps(q)) {
                    out.push(format!("axis {a}: labels {p:?} and {q:?} overlap"));
                }
            }
        }
        for l in &self.legends {
            if let Some(area) = self.areas.iter().find(|area| l.overlaps(area)) {
                out.push(format!("legend {l:?} over the plotting area {area:?}"));
            }
        }
        if let Some(canvas) = self.canvas {
            let boxes = self.legends.iter().chain(self.areas.iter()).chain(self.axes.iter().flatten());
            for b in boxes.filter(|b| !canvas.contains(b)) {
                out.push(format!("{b:?} outside the canvas {canvas:?}"));
            }
        }
        out
    }
}

/// Space between two tick labels, as a fraction of the label's size.
const LABEL_GAP: f64 = 0.6;
/// Most ticks an axis gets, however long it is.
pub const MAX_TICKS: usize = 40;

/// How many labels of extent `label_px` (width on a horizontal axis, height on a vertical one)
/// fit along `axis_px` with a gap between neighbours (at least 1).
pub fn labels_that_fit(axis_px: f64, label_px: f64) -> usize {
    // A label measured as 0 wide (text measured on a canvas that is not shown) counts as a
    // pixel wide; the count is capped.
    let n = (axis_px / (label_px.max(1.0) * (1.0 + LABEL_GAP))).floor();
    if n.is_finite() {
        (n.max(1.0) as usize).min(MAX_TICKS)
    } else {
        1
    }
}

/// Nice ticks on [lo, hi]: multiples of a step of 1, 2 or 5 × 10ᵏ, at most `max` of them (at
/// least the two ends when nothing nicer fits).
pub fn linear_ticks(lo: f64, hi: f64, max: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return vec![];
    }
    let max = max.min(MAX_TICKS);
    if max < 2 {
        // Room for one label: the nicest value in range.
        return linear_ticks(lo, hi, 2)
            .into_iter()
            .min_by(|a, b| a.abs().total_cmp(&b.abs()))
            .into_iter()
            .collect();
    }
    let raw = (hi - lo) / max as f64;
    let exponent = raw.log10().floor() as i32;
    // The step m·10^e; a tick i·m·10^e is computed as (i·m)·10^e or (i·m)/10^−e, so that 0.6 is
    // 0.6 and not 0.6000000000000001.
    let scale =
        |units: f64| if exponent >= 0 { units * 10f64.powi(exponent) } else { units / 10f64.powi(-exponent) };
    let m = [1.0, 2.0, 5.0, 10.0].into_iter().find(|&m| (hi - lo) / scale(m) <= max as f64).unwrap_or(10.0);
    let step = scale(m);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    if !(step.is_finite() && step > 0.0) || last.saturating_sub(first) > max as i64 + 1 {
        // A range too narrow for its magnitude (rounding): its ends.
        return vec![lo, hi];
    }
    (first..=last).map(|i| if i == 0 { 0.0 } else { scale(i as f64 * m) }).collect()
}

/// Logarithmic ticks on [lo, hi] (lo > 0), at most `max`: decades 10ᵏ (every 2nd, 3rd, … when
/// they do not all fit); within less than two decades, 1-2-5 × 10ᵏ (or 1-3 × 10ᵏ) when they fit.
pub fn log_ticks(lo: f64, hi: f64, max: usize) -> Vec<f64> {
    if !(lo > 0.0 && hi.is_finite()) || hi <= lo {
        return vec![];
    }
    let max = max.min(MAX_TICKS);
    if max < 2 {
        // Room for one label: a decade in range, else the 1-2-5 value nearest the middle.
        let mid = (lo * hi).sqrt();
        let candidates = log_ticks(lo, hi, MAX_TICKS);
        return candidates
            .into_iter()
            .min_by(|a, b| (a / mid).ln().abs().total_cmp(&(b / mid).ln().abs()))
            .into_iter()
            .collect();
    }
    let (k0, k1) = (lo.log10().ceil() as i32, hi.log10().floor() as i32);
    let within = |v: f64| v >= lo * (1.0 - 1e-12) && v <= hi * (1.0 + 1e-12);
    for mantissas in [&[1.0, 2.0, 5.0][..], &[1.0, 3.0][..]] {
        if hi / lo > 100.0 {
            break;
        }
        let ticks: Vec<f64> = (k0 - 1..=k1)
            .flat_map(|k| mantissas.iter().map(move |m| m * 10f64.powi(k)))
            .filter(|&v| within(v))
            .collect();
        if ticks.len() >= 2 && ticks.len() <= max {
            return ticks;
        }
    }
    let decades = (k1 - k0 + 1).max(0) as usize;
    if decades < 2 {
        // Less than two decades and not even 1-3 fits: the decade, or the ends.
        return if decades == 1 { vec![10f64.powi(k0)] } else { vec![lo, hi] };
    }
    let every = decades.div_ceil(max).max(1) as i32;
    (k0..=k1).filter(|k| (k - k0) % every == 0).map(|k| 10f64.powi(k)).collect()
}

/// A tick label for people: "0", "0.5", "300", "-2", "1e-3", "2.5e4" (at most 3 significant
/// digits, exponent form below 10⁻³ and from 10⁵ on).
pub fn tick_label(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return if v == 0.0 { "0".to_string() } else { v.to_string() };
    }
    let magnitude = v.abs().log10().floor() as i32;
    if (-3..5).contains(&magnitude) {
        let decimals = (2 - magnitude).max(0) as usize;
        let s = format!("{v:.decimals$}");
        let s = if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.') } else { s.as_str() };
        return if s == "-0" { "0".to_string() } else { s.to_string() };
    }
    let mantissa = v / 10f64.powi(magnitude);
    let m = format!("{mantissa:.2}");
    let m = m.trim_end_matches('0').trim_end_matches('.');
    format!("{m}e{magnitude}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_ticks_are_nice_and_few() {
        assert_eq!(linear_ticks(-3.2, 3.2, 8), vec![-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0]);
        assert_eq!(linear_ticks(-3.2, 3.2, 4), vec![-2.0, 0.0, 2.0]);
        assert_eq!(linear_ticks(0.0, 1.0, 6), vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        let t = linear_ticks(-1.07, 0.93, 10);
        assert!(t.contains(&0.0) && !t.iter().any(|v| v.to_bits() == (-0.0f64).to_bits()), "{t:?}");
        assert!(linear_ticks(-1.07, 0.93, 10).len() <= 10);
        assert!(linear_ticks(1.0, 1.0, 5).is_empty());
    }

    #[test]
    fn log_ticks_never_exceed_what_fits() {
        assert_eq!(log_ticks(1e-4, 1.0, 10), vec![1e-4, 1e-3, 1e-2, 1e-1, 1.0]);
        assert_eq!(log_ticks(1e-6, 1e2, 3), vec![1e-6, 1e-3, 1.0]);
        // The short range of the bug report (2 … 6): 1-2-5 ticks, not one label per unit.
        assert_eq!(log_ticks(1.5, 7.0, 4), vec![2.0, 5.0]);
        assert_eq!(log_ticks(0.15, 3.0, 6), vec![0.2, 0.5, 1.0, 2.0]);
        for (lo, hi, max) in [(0.01, 1e4, 3), (2.0, 3.0, 2), (1e-9, 1e9, 5)] {
            let t = log_ticks(lo, hi, max);
            assert!(t.len() <= max.max(2), "{lo} {hi} {max}: {t:?}");
            assert!(t.iter().all(|&v| v >= lo * 0.999 && v <= hi * 1.001), "{t:?}");
        }
    }

    #[test]
    fn labels_read_as_people_write_them() {
        for (v, s) in [
            (0.0, "0"),
            (-0.0, "0"),
            (300.0, "300"),
            (0.5, "0.5"),
            (-2.0, "-2"),
            (1e-3, "0.001"),
            (1e-4, "1e-4"),
            (2.5e4, "25000"),
            (1e5, "1e5"),
            (0.25, "0.25"),
            (1234.0, "1234"),
        ] {
            assert_eq!(tick_label(v), s, "{v}");
        }
        assert_eq!(labels_that_fit(600.0, 40.0), 9);
        assert_eq!(labels_that_fit(10.0, 40.0), 1);
        // Text measured as 0 wide (a hidden canvas) must not ask for unbounded ticks.
        assert_eq!(labels_that_fit(600.0, 0.0), MAX_TICKS);
        assert!(linear_ticks(0.0, 1.0, usize::MAX).len() <= MAX_TICKS + 1);
        assert!(log_ticks(1e-3, 1e3, usize::MAX).len() <= MAX_TICKS);
        assert_eq!(linear_ticks(-3.2, 3.2, 1), vec![0.0]);
        assert_eq!(log_ticks(0.02, 50.0, 1), vec![1.0]);
    }
}
