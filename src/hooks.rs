//! Test hooks: what the end-to-end tests, the wasm tests and the browser benchmark read from
//! the page or make it do. They are compiled only with the cargo feature `test-hooks`, which
//! `cargo xtask test` and `cargo xtask bench-browser` build the page with; the release page
//! (`cargo xtask dist`, `cargo xtask serve`) ships none of them: `cargo xtask test` looks for
//! their names in the release page's wasm (`HOOK_NAMES` in xtask).
//!
//! - [`record`]: `data-*` attributes on the canvases (what was drawn, from which run, how long
//!   a drawing took: `data-draw-ms`, through which the tests count drawings per layer);
//! - `crate::bench`: entry points the tests call from JS (an ensemble job in a pool of workers,
//!   the census of the page's workers and its heap);
//! - `crate::heap`: the counting allocator behind that census;
//! - the worker's `Crash` message and `Scheduler::crash_worker`/`kill_worker_silently`, for the
//!   tests of the recovery path.

/// Sets attribute `name` of `el` to `value()` for the tests to read; without the feature
/// `test-hooks` it does nothing and `value` is never called (so what it would serialize costs
/// the release page nothing).
#[inline]
pub fn record(el: &web_sys::Element, name: &str, value: impl FnOnce() -> String) {
    #[cfg(feature = "test-hooks")]
    {
        let _ = el.set_attribute(name, &value());
    }
    #[cfg(not(feature = "test-hooks"))]
    {
        let _ = (el, name, value);
    }
}
