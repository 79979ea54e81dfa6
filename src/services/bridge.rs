//! The explorer's architecture shared with the views that read or set it (the order-and-chaos
//! view follows the explorer's φ and σ's, and a click on its diagram sets them).

use leptos::prelude::*;
use ntk_core::Architecture;

/// The explorer's architecture, and requests to change it (Leptos context).
#[derive(Clone, Copy)]
pub struct ExplorerBridge {
    /// the explorer's architecture (written by the explorer whenever it changes)
    pub current: RwSignal<Option<Architecture>>,
    /// φ, σ_w² and σ_b² the explorer is asked to take (it clears the request once applied)
    pub request: RwSignal<Option<Architecture>>,
}

impl ExplorerBridge {
    /// Creates the bridge and provides it to the component tree below.
    pub fn provide() -> ExplorerBridge {
        let bridge = ExplorerBridge { current: RwSignal::new(None), request: RwSignal::new(None) };
        provide_context(bridge);
        bridge
    }

    /// Asks the explorer to take the activation and σ's of `arch`.
    pub fn set_explorer(&self, arch: Architecture) {
        self.request.set(Some(arch));
    }
}
