//! Letting the user save what the page shows: a text (CSV, JSON) or a canvas image as a file.

use wasm_bindgen::JsCast;

/// A `blob:` URL holding `text` of MIME type `mime` (release it with
/// `web_sys::Url::revoke_object_url` when it is replaced).
///
/// # Errors
/// The browser's exception.
pub fn object_url(text: &str, mime: &str) -> Result<String, wasm_bindgen::JsValue> {
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let props = web_sys::BlobPropertyBag::new();
    props.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &props)?;
    web_sys::Url::create_object_url_with_blob(&blob)
}

/// The program and the core that computed a figure or a table ("wide-explorer 0.1.0, ntk-core
/// 0.1.0"), as saved files name them.
pub fn version() -> String {
    format!("wide-explorer {}, {}", env!("CARGO_PKG_VERSION"), ntk_core::results::PRODUCER)
}

/// Saves the resource at `url` as a file called `name` (a click on a temporary link).
pub fn download(url: &str, name: &str) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return };
    if let Ok(a) = doc.create_element("a") {
        let _ = a.set_attribute("href", url);
        let _ = a.set_attribute("download", name);
        if let Ok(a) = a.dyn_into::<web_sys::HtmlElement>() {
            a.click();
        }
    }
}

/// Saves `text` as a file called `name`.
pub fn download_text(text: &str, mime: &str, name: &str) {
    if let Ok(url) = object_url(text, mime) {
        download(&url, name);
        let _ = web_sys::Url::revoke_object_url(&url);
    }
}
