//! The explorer's quadratic-model overlay switch: a checkbox (`quad=1` in the link) that trains
//! every member's quadratic model `f_quad = f₀ + J₀δ + ½ δᵀH₀δ` (δ = θ − θ₀) beside its network
//! and linearization; the main plot then draws the quadratic models' mean ± 2σ and the loss plot
//! their losses, and the `ntk ensemble` command under the figure gains `--quadratic`.

use leptos::prelude::*;

use crate::params::explorer::ExplorerParams;

/// The checkbox of [`ExplorerParams::QUADRATIC`], with a one-line hint while it is on.
#[component]
pub fn QuadraticToggle(params: RwSignal<ExplorerParams>) -> impl IntoView {
    view! {
        <label class="follow" title="the second-order Taylor model of each network around its initialisation, trained by the same steps (Hessian–vector products in dual numbers; about fifty times the work of a network step)">
            <input type="checkbox" data-testid="explorer-quad-on" prop:checked=move || params.with(|p| p.training.quadratic)
                on:change=move |ev| {
                    let on = event_target_checked(&ev);
                    params.update(|p| p.training.quadratic = on);
                } />
            "quadratic models: f₀ + J₀δ + ½ δᵀH₀δ"
        </label>
        <Show when=move || params.with(|p| p.training.quadratic)>
            <p class="hint" data-testid="quad-hint">"Drawn in purple (mean ± 2σ over the members) with their losses: early in training they follow the networks more closely than the linearizations (their error grows like t³, the linearization's like t²), later not necessarily."</p>
        </Show>
    }
}

#[cfg(test)]
mod tests {
    use std::ops::ControlFlow;

    use ntk_core::nets::ensemble::run_members;

    use crate::params::explorer::{ExplorerParams, TrainingParams};
    use crate::params::url::{decode, encode, RESERVED};
    use crate::problem::problem;
    use crate::services::ensemble::{check_workload, ensemble_spec};
    use crate::storage::NoTables;
    use crate::views::explorer::figures::{ensemble_loss_curves, line_plot, EnsembleAt};

    /// `quad=1` turns the quadratic models on in the run, the command and the figures; it is
    /// absent from the link when off (links made before it are unchanged), and the workload
    /// refusal counts its cost.
    #[test]
    fn the_quadratic_overlay_is_in_the_link_the_run_the_command_and_the_plots() {
        let d = ExplorerParams::default();
        assert!(!encode(&d).contains("quad"));
        assert!(!d.ensemble_command().unwrap().contains("--quadratic"));
        let q = ExplorerParams {
            training: TrainingParams {
                width: 16,
                steps: 40,
                members: 3,
                quadratic: true,
                ..d.training.clone()
            },
            ..d.clone()
        };
        let link = encode(&q);
        assert!(link.contains("quad=1"), "{link}");
        let (back, notes) = decode::<ExplorerParams>(&link, RESERVED, &NoTables);
        assert_eq!((&back, notes.len()), (&q, 0));
        assert!(back.ensemble_command().unwrap().ends_with(" --quadratic"));
        let data = problem(&q.data, q.seed).unwrap();
        let spec = ensemble_spec(&q.run_key(), &data).unwrap();
        assert!(spec.quadratic);
        // The figures: the quadratic models' band on the main plot, their losses in the loss plot.
        let summary = run_members(&spec, 0..3, |_| ControlFlow::Continue(())).unwrap().summary();
        let c = summary.checkpoints.last().unwrap();
        let plot = line_plot(
            &data,
            None,
            Some(&EnsembleAt { checkpoint: c, members: Vec::new() }),
            String::new(),
            None,
        );
        let band = plot.quad.expect("a quadratic band");
        let line = data.line_points();
        assert_eq!(band.mean, c.quad.as_ref().unwrap().outputs.mean[line].to_vec());
        let names: Vec<String> = ensemble_loss_curves(&summary, true).into_iter().map(|c| c.name).collect();
        assert!(
            names.contains(&"quadratic train".to_string()) && names.contains(&"quadratic test".to_string())
        );
        let plain =
            ExplorerParams { training: TrainingParams { quadratic: false, ..q.training.clone() }, ..q };
        let plain_spec = ensemble_spec(&plain.run_key(), &data).unwrap();
        let plain_summary = run_members(&plain_spec, 0..3, |_| ControlFlow::Continue(())).unwrap().summary();
        assert!(!ensemble_loss_curves(&plain_summary, true).iter().any(|c| c.name.starts_with("quadratic")));
        // A job the page runs without the quadratic models is refused with them: width 2048,
        // 20 members, 1,000 steps is 2.5e12 FLOP without, 1.3e14 with.
        let big = |quadratic| {
            let mut s = spec.clone();
            (s.width, s.members, s.steps, s.quadratic) = (2048, 20, 1000, quadratic);
            s
        };
        assert!(check_workload(&big(false)).is_ok());
        assert!(check_workload(&big(true)).is_err());
    }
}
