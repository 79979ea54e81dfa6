//! The page's kernel worker: GP kernels of activations evaluated by quadrature (tanh, softplus,
//! sigmoid) take seconds for the page's point sets, so they are computed in a worker of their
//! own (separate from the ensemble pool, so a training run never delays them).
//!
//! Only the latest request matters: a new request while an older one is being computed
//! terminates the worker (a synchronous computation cannot read messages) and starts a fresh
//! one; replies carry their request id and the owner drops stale ones. A worker that dies is
//! reported as a failed request and replaced at the next request.

use std::cell::RefCell;
use std::rc::Rc;

use ntk_core::gp::GpKernels;
use ntk_core::Architecture;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{ErrorEvent, MessageEvent, Worker};

use super::protocol::{FromWorker, ToWorker};
use super::spawn::spawn_worker;

/// What a request ends with: its id and the kernels, or a one-line reason.
pub type KernelReply = (u64, Result<GpKernels, String>);

type Callback = Rc<dyn Fn(KernelReply)>;

struct Live {
    worker: Worker,
    ready: bool,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

#[derive(Default)]
struct State {
    live: Option<Live>,
    /// the request being computed
    busy: Option<u64>,
    /// the latest request, waiting for the worker to be ready
    queued: Option<(u64, String)>,
}

/// A worker computing GP kernels, one request at a time, the latest winning.
#[derive(Clone)]
pub struct KernelWorker {
    state: Rc<RefCell<State>>,
    on_reply: Callback,
}

impl KernelWorker {
    /// A kernel worker that reports every finished (or failed) request to `on_reply`; the
    /// worker itself starts with the first request.
    pub fn new(on_reply: impl Fn(KernelReply) + 'static) -> Self {
        KernelWorker { state: Rc::default(), on_reply: Rc::new(on_reply) }
    }

    /// Computes the kernels of `arch` on the points as request `request`, abandoning any
    /// request still being computed.
    pub fn request(&self, request: u64, arch: Architecture, x_train: Vec<Vec<f64>>, x_test: Vec<Vec<f64>>) {
        let message = ToWorker::Kernels { request, arch, x_train, x_test }.to_json();
        let busy = self.state.borrow().busy.is_some();
        if busy {
            self.stop();
        }
        if self.state.borrow().live.is_none() {
            if let Err(e) = self.start() {
                (self.on_reply)((request, Err(format!("cannot start the kernel worker: {e}"))));
                return;
            }
        }
        self.state.borrow_mut().queued = Some((request, message));
        self.send_queued();
    }

    fn start(&self) -> Result<(), String> {
        let worker = spawn_worker().map_err(|e| format!("{e:?}"))?;
        let (this, on_reply) = (self.clone(), Rc::clone(&self.on_reply));
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            let text = ev.data().as_string().unwrap_or_default();
            match serde_json::from_str::<FromWorker>(&text) {
                Ok(FromWorker::Ready) => {
                    if let Some(live) = this.state.borrow_mut().live.as_mut() {
                        live.ready = true;
                    }
                    this.send_queued();
                }
                Ok(FromWorker::Kernels { request, result }) => {
                    this.state.borrow_mut().busy = None;
                    this.send_queued();
                    on_reply((request, result));
                }
                _ => {}
            }
        });
        let this = self.clone();
        let on_error = Closure::<dyn FnMut(ErrorEvent)>::new(move |ev: ErrorEvent| {
            ev.prevent_default();
            let busy = this.state.borrow().busy;
            this.stop();
            if let Some(request) = busy {
                let why = if ev.message().is_empty() { "it crashed".to_string() } else { ev.message() };
                (this.on_reply)((request, Err(format!("the kernel worker stopped ({why})"))));
            }
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        self.state.borrow_mut().live =
            Some(Live { worker, ready: false, _on_message: on_message, _on_error: on_error });
        Ok(())
    }

    /// Terminates the worker (its closures are dropped after this call returns).
    fn stop(&self) {
        let live = {
            let mut state = self.state.borrow_mut();
            state.busy = None;
            state.live.take()
        };
        if let Some(live) = live {
            live.worker.set_onmessage(None);
            live.worker.set_onerror(None);
            live.worker.terminate();
            // Dropping the closures while one of them runs (stop() from on_error) would free
            // it under its own feet: drop them on a later turn of the event loop.
            let cell = RefCell::new(Some(live));
            let later = Closure::once_into_js(move || drop(cell.take()));
            if let Some(w) = web_sys::window() {
                let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(later.unchecked_ref(), 0);
            }
        }
    }

    fn send_queued(&self) {
        let mut state = self.state.borrow_mut();
        let ready = state.live.as_ref().is_some_and(|l| l.ready);
        if !ready || state.busy.is_some() {
            return;
        }
        if let Some((request, message)) = state.queued.take() {
            let sent = state.live.as_ref().map(|l| l.worker.post_message(&JsValue::from_str(&message)));
            if let Some(Ok(())) = sent {
                state.busy = Some(request);
            } else {
                drop(state);
                (self.on_reply)((request, Err("cannot send the request to the kernel worker".into())));
            }
        }
    }
}
