//! Entry point of the page: install the panic hook, mount the app.
//!
//! The same module also runs inside the ensemble workers (see `runtime::spawn`); there is no
//! window there, and the worker's bootstrap calls `ensemble_worker_main` instead.

fn main() {
    console_error_panic_hook::set_once();
    if web_sys::window().is_some() {
        leptos::mount::mount_to_body(wide_explorer::App);
    }
}
