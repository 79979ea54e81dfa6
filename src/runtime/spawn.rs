//! Starting a worker that runs this very wasm module.
//!
//! Why not Trunk's `data-type="worker"` or gloo-worker: both need a second build artefact that
//! only Trunk produces, so the pool could not be tested with `wasm-bindgen-test` (which builds
//! one module and serves it alone). Instead a worker is a tiny ES-module bootstrap (a Blob URL)
//! that imports the page's own wasm-bindgen module glue by its URL (`import.meta.url`), receives
//! the page's compiled `WebAssembly.Module`, instantiates it and calls [`super::worker_main::worker_main`]. The same code
//! path runs in the built page and in the browser tests; module workers are supported by every
//! current browser (Chromium, Firefox ≥ 114, Safari ≥ 15).

use std::cell::RefCell;

use wasm_bindgen::prelude::*;
use web_sys::{Blob, BlobPropertyBag, Url, Worker, WorkerOptions, WorkerType};

#[wasm_bindgen]
extern "C" {
    type ImportMeta;
    #[wasm_bindgen(thread_local_v2, js_namespace = import, js_name = meta)]
    static IMPORT_META: ImportMeta;
    #[wasm_bindgen(method, getter)]
    fn url(this: &ImportMeta) -> String;
}

thread_local! {
    static BOOTSTRAP_URL: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// URL of this module's JS glue (what the bootstrap imports).
pub fn module_url() -> String {
    IMPORT_META.with(ImportMeta::url)
}

/// The JS source of a worker: import the module glue, wait for the page to post the compiled
/// `WebAssembly.Module` (so the worker neither refetches nor recompiles it), instantiate it and
/// start the worker loop.
pub fn bootstrap_source(module_url: &str) -> String {
    let quoted = serde_json::to_string(module_url).expect("a string serializes");
    format!(
        "import init, * as wasm from {quoted};\n\
         self.onmessage = async (event) => {{\n\
         \x20 self.onmessage = null;\n\
         \x20 await init({{ module_or_path: event.data }});\n\
         \x20 wasm.worker_main();\n\
         }};\n"
    )
}

fn bootstrap_url() -> Result<String, JsValue> {
    BOOTSTRAP_URL.with(|cell| {
        if let Some(url) = cell.borrow().as_ref() {
            return Ok(url.clone());
        }
        let parts = js_sys::Array::of1(&JsValue::from_str(&bootstrap_source(&module_url())));
        let props = BlobPropertyBag::new();
        props.set_type("text/javascript");
        let blob = Blob::new_with_str_sequence_and_options(&parts, &props)?;
        let url = Url::create_object_url_with_blob(&blob)?;
        *cell.borrow_mut() = Some(url.clone());
        Ok(url)
    })
}

/// Starts a new worker (it posts `Ready` once its wasm is loaded).
///
/// # Errors
/// The browser's exception when workers cannot be created.
pub fn spawn_worker() -> Result<Worker, JsValue> {
    let options = WorkerOptions::new();
    options.set_type(WorkerType::Module);
    options.set_name("worker");
    let worker = Worker::new_with_options(&bootstrap_url()?, &options)?;
    worker.post_message(&wasm_bindgen::module())?;
    Ok(worker)
}
