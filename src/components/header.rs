//! Page title, the one-line statement of what the explorer shows, and the embed menu.

use leptos::prelude::*;

use crate::components::embed::EmbedMenu;

/// The page header: title, a one-line description, the embed menu.
#[component]
pub fn Header() -> impl IntoView {
    view! {
        <header class="header" data-testid="header">
            <div class="title-row">
                <h1>"Wide networks explorer"</h1>
                <EmbedMenu />
            </div>
            <p class="tagline" data-testid="tagline">
                "Watch an ensemble of finite-width networks, their linearizations and the "
                "infinite-width NNGP and NTK Gaussian processes train side by side "
                "(Lee et al. 2019, “Wide Neural Networks of Any Depth Evolve as Linear Models "
                "Under Gradient Descent”)."
            </p>
        </header>
    }
}
