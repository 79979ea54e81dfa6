//! The architecture controls every view shares: depth, nonlinearity, σ_w², σ_b² and the
//! parameterization, as the view's [`HasArch::ARCH_FIELDS`] describe them.

use leptos::prelude::*;
use ntk_core::Activation;

use crate::components::field::FieldControl;
use crate::params::arch::HasArch;
use crate::params::Described;

/// The controls of a view's architecture fields (those it offers; the others are fixed).
#[component]
pub fn ArchControls<S: Described + HasArch + Send + Sync>(
    /// the view's state
    state: RwSignal<S>,
    /// the view's id prefix
    #[prop(default = "")]
    prefix: &'static str,
) -> impl IntoView {
    let fields = S::ARCH_FIELDS;
    view! {
        {fields.depth.map(|f| view! { <FieldControl field=f state=state prefix=prefix /> })}
        <FieldControl field=fields.activation state=state prefix=prefix />
        <FieldControl field=fields.sw2 state=state prefix=prefix />
        <FieldControl field=fields.sb2 state=state prefix=prefix />
        {fields.phi.map(|f| {
            // The expression box, while the nonlinearity is a typed one.
            let custom = Memo::new(move |_| state.with(|s| matches!(s.arch().activation, Activation::Custom(_))));
            move || custom.get().then(|| view! { <FieldControl field=f state=state prefix=prefix /> })
        })}
        {fields.param.map(|f| view! { <FieldControl field=f state=state prefix=prefix /> })}
    }
}
