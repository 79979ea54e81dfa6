//! What the explorer says of its run and its theory, above and under the main plot.

use leptos::prelude::*;

use super::state::ExplorerState;
use crate::services::theory::THEORY_PENDING;

/// The ensemble run in one line: refused (and why), starting, training (how far), trained,
/// opened from a file; with how many networks diverged and the first step one did.
pub fn run_status(state: ExplorerState) -> String {
    let (run, current, params) = (state.run, state.current, state.params);
    run.with(|r| {
        if let Some(e) = r.error.as_ref().filter(|_| current.get()) {
            return format!("Ensemble not run: {e}");
        }
        if !current.get() {
            return if r.key.is_none() {
                "Ensemble: starting…".to_string()
            } else {
                "Ensemble: starting a new run for the changed parameters…".to_string()
            };
        }
        let diverged = r.summary.as_ref().map_or(0, |s| s.diverged);
        let div = match r.summary.as_ref().and_then(|s| s.diverged_steps.iter().min().copied()) {
            Some(step) if diverged >= r.members_total => {
                format!(" — all {diverged} diverged (first at step {step}): lower η (η = ½ η_crit)")
            }
            Some(step) => format!(
                " — {diverged} of {} diverged (first at step {step}) and are left out from then on",
                r.members_total
            ),
            None => String::new(),
        };
        let steps = params.with(|p| p.training.steps);
        if let Some(source) = &r.source {
            return format!("Ensemble opened from {source}: a finished run, not trained in the page{div}");
        }
        match (r.done, r.latest_step()) {
            (true, _) => format!("Ensemble: {} networks trained for {steps} steps{div}", r.members_total),
            (false, Some(k)) => format!(
                "Ensemble: training {} networks… every one past step {k} of {steps} ({:.0}% of the training){div}",
                r.members_total,
                r.fraction * 100.0
            ),
            (false, None) => format!("Ensemble: training {} networks… starting", r.members_total),
        }
    })
}

/// The theory's state when it is not plainly drawn: computing, unavailable (and why), or
/// regularized (a singular training kernel); empty otherwise.
pub fn theory_status(state: ExplorerState) -> String {
    state.theory.with(&state.theory_key.get(), |t| match t {
        Ok(t)
            if t.dynamics.regularization().ntk_jitter > 0.0
                || t.dynamics.regularization().nngp_jitter > 0.0 =>
        {
            "NNGP / NTK-GP: the training kernel is numerically singular (repeated inputs?): a small \
             diagonal jitter was added, and at t = ∞ its null directions are left out (pseudo-inverse)"
                .to_string()
        }
        Ok(_) => String::new(),
        Err(e) if e == THEORY_PENDING => format!("NNGP / NTK-GP: {e}"),
        Err(e) => format!("NNGP / NTK-GP not shown: {e}"),
    })
}
