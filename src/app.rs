//! The page layout: header, controls, the main plot and the side panels.

use leptos::prelude::*;

use crate::components::header::Header;

/// The whole explorer page.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <div class="app" data-testid="app">
            <Header />
            <div class="layout">
                <aside class="panel controls" data-testid="controls" aria-label="Controls">
                    <h2>"Network and training"</h2>
                </aside>
                <main class="panel main-plot" data-testid="main-plot" aria-label="Main plot">
                    <h2>"Function space through training"</h2>
                </main>
                <section class="panel side" data-testid="side-panels" aria-label="Side panels">
                    <h2>"Loss curves"</h2>
                    <h2>"What am I looking at?"</h2>
                </section>
            </div>
        </div>
    }
}
