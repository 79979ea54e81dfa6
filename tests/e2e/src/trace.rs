//! Where the page's main thread spends its time, from Chromium's trace events
//! ([`crate::Browser::launch_traced`]): the top-level tasks of the thread that recorded two
//! `performance.mark`s, between them — their total (the thread's busy time), the longest, and
//! the time inside each kind of work (script called from a frame, a timer or an event, style,
//! layout, paint, garbage collection).

use serde_json::Value;

/// The trace categories [`busy_between`] reads.
pub const CATEGORIES: &str =
    "toplevel,devtools.timeline,disabled-by-default-devtools.timeline,blink.user_timing,v8";

/// The main thread between two marks.
#[derive(Clone, Debug)]
pub struct Busy {
    /// time between the marks (ms)
    pub window_ms: f64,
    /// time in top-level tasks (ms)
    pub busy_ms: f64,
    /// tasks longer than 50 ms
    pub long_tasks: usize,
    /// the longest task (ms)
    pub longest_ms: f64,
    /// inclusive time (ms) per kind of event, largest first
    pub by_name: Vec<(String, f64)>,
}

impl Busy {
    /// Busy time over the window.
    pub fn fraction(&self) -> f64 {
        self.busy_ms / self.window_ms
    }
}

fn mark<'a>(events: &'a [Value], name: &str) -> Option<&'a Value> {
    events.iter().find(|e| e["name"] == name && e["cat"].as_str().is_some_and(|c| c.contains("user_timing")))
}

/// The main thread's work between the marks `start` and `end` (`None` if a mark is missing).
pub fn busy_between(events: &[Value], start: &str, end: &str) -> Option<Busy> {
    let (a, b) = (mark(events, start)?, mark(events, end)?);
    let (pid, tid) = (a["pid"].clone(), a["tid"].clone());
    let (t0, t1) = (a["ts"].as_f64()?, b["ts"].as_f64()?);
    let on_thread = |e: &&Value| e["pid"] == pid && e["tid"] == tid && e["ph"] == "X";
    let clipped = |e: &Value| -> Option<(f64, f64)> {
        let (ts, dur) = (e["ts"].as_f64()?, e["dur"].as_f64().unwrap_or(0.0));
        let (s, f) = (ts.max(t0), (ts + dur).min(t1));
        (f > s).then_some((s, f))
    };
    let mut tasks: Vec<(f64, f64)> = events
        .iter()
        .filter(on_thread)
        .filter(|e| e["name"] == "RunTask" || e["name"] == "ThreadControllerImpl::RunTask")
        .filter_map(clipped)
        .collect();
    tasks.sort_by(|x, y| x.0.total_cmp(&y.0));
    // The union of the tasks (nested ones counted once).
    let (mut busy, mut longest, mut long_tasks, mut cur) = (0.0, 0.0f64, 0, None::<(f64, f64)>);
    for (s, f) in tasks {
        match cur {
            Some((cs, cf)) if s <= cf => cur = Some((cs, cf.max(f))),
            _ => {
                if let Some((cs, cf)) = cur {
                    busy += cf - cs;
                    longest = longest.max(cf - cs);
                    long_tasks += usize::from(cf - cs > 50_000.0);
                }
                cur = Some((s, f));
            }
        }
    }
    if let Some((cs, cf)) = cur {
        busy += cf - cs;
        longest = longest.max(cf - cs);
        long_tasks += usize::from(cf - cs > 50_000.0);
    }
    let mut by_name: Vec<(String, f64)> = Vec::new();
    for e in events.iter().filter(on_thread).filter(|e| e["name"] != "RunTask") {
        let Some((s, f)) = clipped(e) else { continue };
        let name = e["name"].as_str().unwrap_or_default().to_string();
        match by_name.iter_mut().find(|(n, _)| *n == name) {
            Some((_, t)) => *t += (f - s) / 1000.0,
            None => by_name.push((name, (f - s) / 1000.0)),
        }
    }
    by_name.sort_by(|x, y| y.1.total_cmp(&x.1));
    Some(Busy {
        window_ms: (t1 - t0) / 1000.0,
        busy_ms: busy / 1000.0,
        long_tasks,
        longest_ms: longest / 1000.0,
        by_name,
    })
}
