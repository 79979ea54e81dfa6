//! A worker for one job at a time where only the latest request matters: the page's kernel
//! worker (GP kernels of activations evaluated by quadrature — tanh, softplus, sigmoid — take
//! seconds for the page's point sets), the catapult view's network runs and the width-scaling
//! view's points (one or two such workers). Each has workers of its own, separate from the
//! ensemble pool, so a training run never delays them.
//!
//! A new request while an older one is being computed terminates the worker (a synchronous
//! computation cannot read messages) and starts a fresh one ([`JobWorker::cancel`] does the same
//! without a new request: the width-scaling view's Cancel button); replies carry their request id and
//! the owner drops stale ones. A worker that dies is reported as a failed request and replaced
//! at the next request.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{ErrorEvent, MessageEvent, Worker};

use super::protocol::{FromWorker, ToWorker};
use super::spawn::spawn_worker;

/// What a job worker reports.
#[derive(Clone, Debug, PartialEq)]
pub enum JobEvent {
    /// a message of the worker (progress or result; stale ones included: check the request id)
    Message(FromWorker),
    /// the worker died while computing `request`
    Lost {
        /// the request it was computing
        request: u64,
        /// what happened, one line
        message: String,
    },
}

type Callback = Rc<dyn Fn(JobEvent)>;

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

/// A worker computing one request at a time, the latest winning.
#[derive(Clone)]
pub struct JobWorker {
    state: Rc<RefCell<State>>,
    on_reply: Callback,
}

impl JobWorker {
    /// A job worker that reports its messages and deaths to `on_event`; the worker itself
    /// starts with the first request.
    pub fn new(on_event: impl Fn(JobEvent) + 'static) -> Self {
        JobWorker { state: Rc::default(), on_reply: Rc::new(on_event) }
    }

    /// Sends `job` (whose request id is `request`), abandoning any request still being computed.
    pub fn request(&self, request: u64, job: &ToWorker) {
        let message = job.to_json();
        let busy = self.state.borrow().busy.is_some();
        if busy {
            self.stop();
        }
        if self.state.borrow().live.is_none() {
            if let Err(e) = self.start() {
                (self.on_reply)(JobEvent::Lost { request, message: format!("cannot start a worker: {e}") });
                return;
            }
        }
        self.state.borrow_mut().queued = Some((request, message));
        self.send_queued();
    }

    /// Abandons the request being computed (terminating the worker, which restarts with the
    /// next request) and any request waiting to be sent; no event is reported for them.
    pub fn cancel(&self) {
        self.state.borrow_mut().queued = None;
        if self.state.borrow().busy.is_some() {
            self.stop();
        }
    }

    /// Whether a request is being computed or waiting to be sent.
    pub fn is_busy(&self) -> bool {
        let state = self.state.borrow();
        state.busy.is_some() || state.queued.is_some()
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
                Ok(message) => {
                    if message.is_final() {
                        this.state.borrow_mut().busy = None;
                        this.send_queued();
                    }
                    on_reply(JobEvent::Message(message));
                }
                Err(_) => {}
            }
        });
        let this = self.clone();
        let on_error = Closure::<dyn FnMut(ErrorEvent)>::new(move |ev: ErrorEvent| {
            ev.prevent_default();
            let busy = this.state.borrow().busy;
            this.stop();
            if let Some(request) = busy {
                let why = if ev.message().is_empty() { "it crashed".to_string() } else { ev.message() };
                (this.on_reply)(JobEvent::Lost { request, message: format!("the worker stopped ({why})") });
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
                (self.on_reply)(JobEvent::Lost {
                    request,
                    message: "cannot send the request to the worker".into(),
                });
            }
        }
    }
}
