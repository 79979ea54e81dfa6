//! What a plot wrote: the text boxes drawn on each canvas, recorded as they are drawn.
//!
//! A canvas is pixels, so its labels cannot be read back from the DOM. [`CanvasTexts::record`]
//! installs, before the page's scripts run, a wrapper of `CanvasRenderingContext2D.fillText`
//! that keeps, per canvas, every string drawn since the canvas was last filled whole (a plot's
//! redraw starts by filling its background) with its box in canvas pixels: the text's measured
//! bounding box (`measureText`, so alignment and baseline are accounted for) through the
//! context's transform (so rotated axis titles are placed as drawn).

use serde::Deserialize;
use serde_json::json;

use crate::Browser;

/// The recorder, run at the start of every document.
const RECORDER: &str = r#"
(() => {
  if (window.__canvasTexts) return;
  const texts = new WeakMap();
  window.__canvasTexts = texts;
  const P = CanvasRenderingContext2D.prototype;
  const fillRect = P.fillRect, fillText = P.fillText, drawImage = P.drawImage;
  const dev = (t, x, y) => [t.a * x + t.c * y + t.e, t.b * x + t.d * y + t.f];
  P.fillRect = function (x, y, w, h) {
    const t = this.getTransform(), c = this.canvas;
    const [x0, y0] = dev(t, x, y), [x1, y1] = dev(t, x + w, y + h);
    if (Math.min(x0, x1) <= 0 && Math.min(y0, y1) <= 0 && Math.max(x0, x1) >= c.width && Math.max(y0, y1) >= c.height) {
      texts.set(c, []);
    }
    return fillRect.call(this, x, y, w, h);
  };
  // A saved copy drawn back whole (a plot that redraws only its time marker) starts over too.
  P.drawImage = function (image, ...rest) {
    const c = this.canvas;
    if (rest.length === 2 && rest[0] <= 0 && rest[1] <= 0 && image.width >= c.width && image.height >= c.height) {
      texts.set(c, []);
    }
    return drawImage.call(this, image, ...rest);
  };
  P.fillText = function (s, x, y, maxWidth) {
    const m = this.measureText(s), t = this.getTransform();
    const l = x - m.actualBoundingBoxLeft, r = x + m.actualBoundingBoxRight;
    const top = y - m.actualBoundingBoxAscent, bottom = y + m.actualBoundingBoxDescent;
    const pts = [dev(t, l, top), dev(t, r, top), dev(t, l, bottom), dev(t, r, bottom)];
    const xs = pts.map(p => p[0]), ys = pts.map(p => p[1]);
    if (!texts.has(this.canvas)) texts.set(this.canvas, []);
    const box = { text: String(s), x0: Math.min(...xs), x1: Math.max(...xs), y0: Math.min(...ys), y1: Math.max(...ys) };
    const list = texts.get(this.canvas);
    const same = (b) => b.text === box.text && Math.abs(b.x0 - box.x0) < 0.5 && Math.abs(b.y0 - box.y0) < 0.5;
    if (!list.some(same)) list.push(box);
    return maxWidth === undefined ? fillText.call(this, s, x, y) : fillText.call(this, s, x, y, maxWidth);
  };
})();
"#;

/// One string drawn on a canvas and its box (canvas pixels).
#[derive(Clone, Debug, Deserialize)]
pub struct TextBox {
    /// the string
    pub text: String,
    /// left
    pub x0: f64,
    /// right
    pub x1: f64,
    /// top
    pub y0: f64,
    /// bottom
    pub y1: f64,
}

impl TextBox {
    /// The overlap of two boxes: (width, height), negative where they are apart.
    pub fn overlap(&self, other: &TextBox) -> (f64, f64) {
        (self.x1.min(other.x1) - self.x0.max(other.x0), self.y1.min(other.y1) - self.y0.max(other.y0))
    }
}

/// The recorder installed in a browser session; dropping it uninstalls it (for documents
/// loaded afterwards).
pub struct CanvasTexts<'a> {
    browser: &'a Browser,
    identifier: String,
}

impl<'a> CanvasTexts<'a> {
    /// Records the texts drawn on every canvas of the documents loaded from now on.
    pub fn record(browser: &'a Browser) -> CanvasTexts<'a> {
        CanvasTexts { browser, identifier: browser.on_new_document(RECORDER) }
    }

    /// The texts of the canvas matching `css` since its last whole redraw (empty if none).
    pub fn of(&self, css: &str) -> Vec<TextBox> {
        let v = self.browser.execute(
            "const c = document.querySelector(arguments[0]);
             return (c && window.__canvasTexts && window.__canvasTexts.get(c)) || [];",
            vec![json!(css)],
        );
        serde_json::from_value(v).unwrap_or_default()
    }

    /// Pairs of non-blank texts of the canvas matching `css` whose boxes overlap by more than
    /// `tolerance` pixels both ways.
    pub fn overlaps(&self, css: &str, tolerance: f64) -> Vec<(TextBox, TextBox)> {
        overlapping(self.of(css), tolerance)
    }

    /// The texts of every canvas shown (laid out, not `display: none`), by the canvas's
    /// `data-testid` (or its index).
    pub fn shown(&self) -> Vec<(String, Vec<TextBox>)> {
        let v = self.browser.execute(
            "return Array.from(document.querySelectorAll('canvas'))
               .map((c, i) => [c, i]).filter(([c]) => c.getClientRects().length > 0)
               .map(([c, i]) => [c.dataset.testid || ('canvas ' + i), (window.__canvasTexts && window.__canvasTexts.get(c)) || []]);",
            vec![],
        );
        serde_json::from_value(v).unwrap_or_default()
    }
}

/// Pairs of non-blank texts among `boxes` that overlap by more than `tolerance` pixels both ways.
pub fn overlapping(boxes: Vec<TextBox>, tolerance: f64) -> Vec<(TextBox, TextBox)> {
    let boxes: Vec<TextBox> =
        boxes.into_iter().filter(|b| !b.text.trim().is_empty() && b.x1 > b.x0).collect();
    let mut pairs = Vec::new();
    for (i, a) in boxes.iter().enumerate() {
        for b in &boxes[i + 1..] {
            let (w, h) = a.overlap(b);
            if w > tolerance && h > tolerance {
                pairs.push((a.clone(), b.clone()));
            }
        }
    }
    pairs
}

impl Drop for CanvasTexts<'_> {
    fn drop(&mut self) {
        self.browser.remove_on_new_document(&self.identifier);
    }
}
