//! A small WebDriver (W3C) client for chromedriver: sessions, navigation, elements, scripts,
//! screenshots.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{json, Value};

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A headless Chromium session; the browser and its driver stop when this is dropped.
pub struct Browser {
    driver: Child,
    base: String,
    session: String,
    _profile: TempDir,
}

/// A handle to a DOM element of the current page.
#[derive(Clone, Debug)]
pub struct Element(String);

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0)).and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

fn env_path(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| PathBuf::from(default))
}

impl Browser {
    /// Starts chromedriver on a free loopback port and opens a headless Chromium session
    /// (1400 × 1000 window, fresh profile, no network chatter).
    ///
    /// # Panics
    /// When chromedriver or Chromium cannot be started (the message says which).
    pub fn launch() -> Browser {
        Browser::launch_with(None)
    }

    /// As [`Browser::launch`], with Chromium's trace events of `categories` (comma-separated,
    /// e.g. `"toplevel,devtools.timeline"`) collected in the performance log
    /// ([`Browser::trace_events`]).
    pub fn launch_traced(categories: &str) -> Browser {
        Browser::launch_with(Some(categories))
    }

    fn launch_with(trace: Option<&str>) -> Browser {
        let chromedriver = env_path("CHROMEDRIVER", "/usr/bin/chromedriver");
        let chromium = env_path("CHROMIUM", "/usr/bin/chromium");
        let port = free_port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", chromedriver.display()));
        let base = format!("http://127.0.0.1:{port}");
        let up = wait_until(Duration::from_secs(20), || ureq::get(&format!("{base}/status")).call().is_ok());
        assert!(up, "chromedriver did not start within 20 s");
        let profile = std::env::temp_dir().join(format!("e2e-profile-{port}-{}", std::process::id()));
        let mut caps = json!({"capabilities": {"alwaysMatch": {"goog:loggingPrefs": {"browser": "ALL"}, "goog:chromeOptions": {
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", "--window-size=1400,1000", "--hide-scrollbars", "--js-flags=--expose-gc",
                     format!("--user-data-dir={}", profile.display())]
        }}}});
        if let Some(categories) = trace {
            let always = &mut caps["capabilities"]["alwaysMatch"];
            always["goog:loggingPrefs"]["performance"] = json!("ALL");
            always["goog:chromeOptions"]["perfLoggingPrefs"] =
                json!({"enableNetwork": false, "enablePage": false, "traceCategories": categories});
        }
        let mut browser = Browser { driver, base, session: String::new(), _profile: TempDir(profile) };
        let created = browser.request("POST", "/session", Some(caps));
        browser.session = created["sessionId"].as_str().expect("session id").to_string();
        browser
    }

    fn request(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = if path == "/session" {
            format!("{}{path}", self.base)
        } else {
            format!("{}/session/{}{path}", self.base, self.session)
        };
        let req = ureq::request(method, &url).timeout(Duration::from_secs(900));
        let resp = match body {
            Some(b) => req.send_json(b),
            None => req.call(),
        };
        match resp {
            Ok(r) => r.into_json::<Value>().map(|v| v["value"].clone()).unwrap_or(Value::Null),
            Err(ureq::Error::Status(code, r)) => {
                let text = r.into_string().unwrap_or_default();
                panic!("WebDriver {method} {path} failed with {code}: {text}")
            }
            Err(e) => panic!("WebDriver {method} {path}: {e}"),
        }
    }

    /// Navigates to `url` and waits for the load event.
    pub fn goto(&self, url: &str) {
        self.request("POST", "/url", Some(json!({ "url": url })));
    }

    /// Runs a script (its `return` value comes back as JSON); `arguments[i]` are `args`.
    pub fn execute(&self, script: &str, args: Vec<Value>) -> Value {
        self.request("POST", "/execute/sync", Some(json!({ "script": script, "args": args })))
    }

    /// Runs an asynchronous script: it receives a callback as its last argument and the call
    /// returns what the script passes to it (scripts may run up to two minutes).
    pub fn execute_async(&self, script: &str, args: Vec<Value>) -> Value {
        self.request("POST", "/timeouts", Some(json!({ "script": 600_000 })));
        self.request("POST", "/execute/async", Some(json!({ "script": script, "args": args })))
    }

    /// Sets a range or text input's value and dispatches `input` and `change`, as a person
    /// dragging a slider or typing does.
    pub fn set_input(&self, css: &str, value: &str) {
        self.set_input_values(css, &[value]);
    }

    /// Sets an input to each of `values` in turn, as [`Browser::set_input`] does, within one
    /// script: the edits follow each other with no WebDriver round trip between them.
    pub fn set_input_values(&self, css: &str, values: &[&str]) {
        let ok = self.execute(
            "const e = document.querySelector(arguments[0]); if (!e) return false; \
             for (const v of arguments[1]) { e.value = v; \
               e.dispatchEvent(new Event('input', {bubbles: true})); \
               e.dispatchEvent(new Event('change', {bubbles: true})); } \
             return true;",
            vec![json!(css), json!(values)],
        );
        assert_eq!(ok, Value::Bool(true), "no input '{css}'");
    }

    /// The first element matching a CSS selector, if any.
    pub fn find(&self, css: &str) -> Option<Element> {
        let v = self.execute("return document.querySelector(arguments[0]);", vec![json!(css)]);
        v.get(ELEMENT_KEY).and_then(Value::as_str).map(|id| Element(id.to_string()))
    }

    /// The first element matching `css` whose visible text is `text`, if any.
    pub fn find_with_text(&self, css: &str, text: &str) -> Option<Element> {
        let v = self.execute(
            "return Array.from(document.querySelectorAll(arguments[0])).find(e => e.innerText.trim() === arguments[1]) || null;",
            vec![json!(css), json!(text)],
        );
        v.get(ELEMENT_KEY).and_then(Value::as_str).map(|id| Element(id.to_string()))
    }

    /// Waits up to `timeout` for an element matching `css`.
    ///
    /// # Panics
    /// If none appears in time.
    pub fn wait_for(&self, css: &str, timeout: Duration) -> Element {
        let mut found = None;
        let _ = wait_until(timeout, || {
            found = self.find(css);
            found.is_some()
        });
        found.unwrap_or_else(|| {
            panic!("no element '{css}' after {timeout:?}; page text: {}", self.text("body"))
        })
    }

    /// Waits up to `timeout` for a script to return `true`. A script that throws (typically
    /// because the element it reads is not mounted yet) counts as "not yet"; the last error is
    /// reported if the wait times out.
    ///
    /// # Panics
    /// With `what` and the script's last result if it never returns `true`.
    pub fn wait_true(&self, script: &str, timeout: Duration, what: &str) {
        let guarded = format!(
            "try {{ return (function() {{ {script} }})(); }} \
             catch (e) {{ return 'script error: ' + e.message; }}"
        );
        let mut last = Value::Null;
        let held = wait_until(timeout, || {
            last = self.execute(&guarded, vec![]);
            last == Value::Bool(true)
        });
        assert!(held, "timed out after {timeout:?} waiting for {what}; the script last returned {last}");
    }

    /// The visible text of the first element matching `css` ("" if none).
    pub fn text(&self, css: &str) -> String {
        self.execute(
            "const e = document.querySelector(arguments[0]); return e ? e.innerText : '';",
            vec![json!(css)],
        )
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    /// Clicks an element.
    pub fn click(&self, el: &Element) {
        self.request("POST", &format!("/element/{}/click", el.0), Some(json!({})));
    }

    /// Types keys into an element.
    pub fn send_keys(&self, el: &Element, text: &str) {
        self.request("POST", &format!("/element/{}/value", el.0), Some(json!({ "text": text })));
    }

    /// A mouse gesture as a person makes it (W3C WebDriver actions, so the page receives real
    /// pointer, mouse and contextmenu events): press `button` (0 left, 2 right) at `from`, move
    /// to `to` over 200 ms, release; positions are CSS pixels from the element's centre.
    pub fn mouse_drag(&self, el: &Element, button: u32, from: (i64, i64), to: (i64, i64)) {
        let origin = json!({ ELEMENT_KEY: el.0 });
        let mut steps = vec![
            json!({"type": "pointerMove", "duration": 0, "origin": origin, "x": from.0, "y": from.1}),
            json!({"type": "pointerDown", "button": button}),
        ];
        if to != from {
            steps.push(
                json!({"type": "pointerMove", "duration": 200, "origin": origin, "x": to.0, "y": to.1}),
            );
        }
        steps.push(json!({"type": "pointerUp", "button": button}));
        let actions = json!({"actions": [{"type": "pointer", "id": "mouse",
            "parameters": {"pointerType": "mouse"}, "actions": steps}]});
        self.request("POST", "/actions", Some(actions));
        self.request("DELETE", "/actions", None);
    }

    /// A mouse click with `button` at `at` (CSS pixels from the element's centre).
    pub fn mouse_click(&self, el: &Element, button: u32, at: (i64, i64)) {
        self.mouse_drag(el, button, at, at);
    }

    /// Presses and releases one key (a WebDriver key code such as `"\u{E017}"` for Delete) in
    /// the focused element.
    pub fn press_key(&self, key: &str) {
        let actions = json!({"actions": [{"type": "key", "id": "keyboard",
            "actions": [{"type": "keyDown", "value": key}, {"type": "keyUp", "value": key}]}]});
        self.request("POST", "/actions", Some(actions));
        self.request("DELETE", "/actions", None);
    }

    /// Makes the document of a frame (an `<iframe>` element of the current document) the one
    /// every following command acts on (W3C "Switch To Frame").
    pub fn switch_to_frame(&self, frame: &Element) {
        self.request("POST", "/frame", Some(json!({ "id": { ELEMENT_KEY: frame.0 } })));
    }

    /// Makes the parent of the current frame's document the one commands act on (W3C "Switch
    /// To Parent Frame").
    pub fn switch_to_parent_frame(&self) {
        self.request("POST", "/frame/parent", Some(json!({})));
    }

    /// Chooses a file in an `<input type=file>` (the file's absolute path), as a person picking
    /// it in the file dialog: the input's `change` event fires.
    pub fn choose_file(&self, css: &str, path: &Path) {
        let input = self.find(css).unwrap_or_else(|| panic!("no file input '{css}'"));
        let path = path.canonicalize().unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        self.send_keys(&input, &path.to_string_lossy());
    }

    /// Resizes the browser window (CSS pixels), e.g. to a phone's size.
    pub fn set_window_size(&self, width: u32, height: u32) {
        self.request("POST", "/window/rect", Some(json!({ "width": width, "height": height })));
    }

    /// The browser console's errors since the last call (uncaught exceptions, panics, failed
    /// loads: entries of level SEVERE).
    pub fn console_errors(&self) -> Vec<String> {
        let log = self.request("POST", "/se/log", Some(json!({ "type": "browser" })));
        log.as_array()
            .map(|entries| {
                entries
                    .iter()
                    .filter(|e| e["level"] == "SEVERE")
                    .filter_map(|e| e["message"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Sends a Chrome DevTools Protocol command through chromedriver (`goog/cdp/execute`) and
    /// returns its result.
    pub fn cdp(&self, cmd: &str, params: Value) -> Value {
        self.request("POST", "/goog/cdp/execute", Some(json!({ "cmd": cmd, "params": params })))
    }

    /// Runs `source` at the start of every document loaded from now on, before the page's own
    /// scripts; the returned identifier removes it ([`Browser::remove_on_new_document`]).
    pub fn on_new_document(&self, source: &str) -> String {
        let v = self.cdp("Page.addScriptToEvaluateOnNewDocument", json!({ "source": source }));
        v["identifier"].as_str().expect("a script identifier").to_string()
    }

    /// Stops running a script added by [`Browser::on_new_document`].
    pub fn remove_on_new_document(&self, identifier: &str) {
        self.cdp("Page.removeScriptToEvaluateOnNewDocument", json!({ "identifier": identifier }));
    }

    /// The trace events collected since the last call (a browser from
    /// [`Browser::launch_traced`]; Chrome's trace event format: `name`, `cat`, `ph`, `ts` and
    /// `dur` in µs, `pid`, `tid`, `args`).
    pub fn trace_events(&self) -> Vec<Value> {
        let log = self.request("POST", "/se/log", Some(json!({ "type": "performance" })));
        let mut events = Vec::new();
        for entry in log.as_array().into_iter().flatten() {
            let Some(text) = entry["message"].as_str() else { continue };
            let Ok(message) = serde_json::from_str::<Value>(text) else { continue };
            if message["message"]["method"] == "Tracing.dataCollected" {
                events.push(message["message"]["params"].clone());
            }
        }
        events
    }

    /// Saves a PNG screenshot of the viewport to `path`.
    pub fn screenshot(&self, path: &Path) {
        let b64 = self.request("GET", "/screenshot", None);
        let png = base64::engine::general_purpose::STANDARD
            .decode(b64.as_str().unwrap_or_default())
            .expect("base64 PNG");
        std::fs::write(path, png).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = ureq::delete(&format!("{}/session/{}", self.base, self.session)).call();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Polls `cond` every 50 ms until it holds (returns true) or `timeout` passes (false).
pub fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}
