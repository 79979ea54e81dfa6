//! Page title and the one-line statement of what the explorer shows.

use leptos::prelude::*;

/// The page header: title and a one-line description.
#[component]
pub fn Header() -> impl IntoView {
    view! {
        <header class="header" data-testid="header">
            <h1>"Wide networks explorer"</h1>
            <p class="tagline" data-testid="tagline">
                "Watch an ensemble of finite-width networks, their linearizations and the "
                "infinite-width NNGP and NTK Gaussian processes train side by side "
                "(Lee et al. 2019, “Wide Neural Networks of Any Depth Evolve as Linear Models "
                "Under Gradient Descent”)."
            </p>
        </header>
    }
}
