//! The learning rate against the theory's landmarks η_crit = 2N/(λ_min + λ_max) and
//! η_max = 2N/λ_max of the train NTK (paper §2.3, Theorem 2.1): the slider's ticks, the hint
//! under it, the "η = ½ η_crit" action, the warning when another change moved η past η_max,
//! and the offer of the catapult view past η_max.

use leptos::prelude::*;

use super::state::ExplorerState;
use crate::components::controls::Scale;
use crate::format::tidy;
use crate::params::catapult::CatapultParams;
use crate::params::explorer::ExplorerParams;
use crate::problem::problem;

/// The learning-rate guide of the explorer (see the module doc). Cheap to copy.
#[derive(Clone, Copy)]
pub struct LrGuide {
    params: RwSignal<ExplorerParams>,
    /// the landmarks as ticks on the learning-rate slider
    pub landmarks: Signal<Vec<(f64, String)>>,
    /// where η lies against the landmarks, in words
    pub hint: Signal<String>,
    /// past η_max: the catapult view at this setting, and the ηλ₀ the explorer's η means
    pub catapult_offer: Memo<Option<(CatapultParams, f64)>>,
    /// why η is past η_max after a change of something else, until η is below it again
    pub warning: RwSignal<Option<String>>,
    /// (η_crit, η_max) of the current kernel
    eta_landmarks: Memo<Option<(f64, f64)>>,
}

/// The learning-rate slider's scale, to which "η = ½ η_crit" is rounded.
const LR_SCALE: Scale = Scale { min: 1e-4, max: 100.0, log: true, integer: false };

impl LrGuide {
    /// The guide of the explorer with state `state`.
    pub fn new(state: ExplorerState) -> Self {
        let (params, theory, theory_key) = (state.params, state.theory, state.theory_key);
        let landmarks = Signal::derive(move || {
            theory.with(&theory_key.get(), |t| match t {
                // One tick when the two coincide (λ_min ≪ λ_max, as for 1-D inputs).
                Ok(t) if t.landmarks.eta_critical > 0.97 * t.landmarks.eta_max => {
                    vec![(t.landmarks.eta_max, "η_crit ≈ η_max".to_string())]
                }
                Ok(t) => vec![
                    (t.landmarks.eta_critical, "η_crit".to_string()),
                    (t.landmarks.eta_max, "η_max".to_string()),
                ],
                Err(_) => vec![],
            })
        });
        let hint = Signal::derive(move || {
            let key = theory_key.get();
            let lr = params.with(|p| p.training.lr);
            theory.with(&key, |t| match t {
                Ok(t) => {
                    let l = &t.landmarks;
                    let where_ = if lr >= l.eta_max {
                        "above η_max: the linearized model diverges (catapult or divergence for the network)"
                    } else if lr > l.eta_critical {
                        "between η_crit and η_max: converges, but past the paper's Theorem 2.1 threshold"
                    } else {
                        "below η_crit: the lazy regime of the paper"
                    };
                    let n = problem(&key.data, key.seed).map_or(0, |d| d.points.y_train.len());
                    // η_crit = 2N/(λ_min + λ_max) and η_max = 2N/λ_max coincide when λ_min ≪ λ_max.
                    let close =
                        if l.eta_critical > 0.97 * l.eta_max { " (equal: λ_min ≪ λ_max)" } else { "" };
                    format!(
                        "η_crit = {:.3}, η_max = {:.3}{close} (train NTK, N = {n}); {where_}",
                        l.eta_critical, l.eta_max
                    )
                }
                Err(e) => format!("theory unavailable: {e}"),
            })
        });
        let catapult_offer = Memo::new(move |_| {
            let (arch, lr) = params.with(|p| (p.arch, p.training.lr));
            theory.with(&theory_key.get(), |t| match t {
                Ok(t) if lr >= t.landmarks.eta_max => {
                    let wanted = 2.0 * lr / t.landmarks.eta_max;
                    Some((CatapultParams::from_explorer(&arch, lr, t.landmarks.eta_max), wanted))
                }
                _ => None,
            })
        });
        let eta_landmarks = Memo::new(move |_| {
            theory.with(&theory_key.get(), |t| {
                t.as_ref().ok().map(|t| (t.landmarks.eta_critical, t.landmarks.eta_max))
            })
        });
        let guide =
            LrGuide { params, landmarks, hint, catapult_offer, warning: RwSignal::new(None), eta_landmarks };
        guide.warn_when_pushed_past_eta_max();
        guide
    }

    /// A change other than η itself that moved η past the new kernel's η_max is said so (in the
    /// plot's header) until η is below η_max again.
    fn warn_when_pushed_past_eta_max(&self) {
        let (params, eta_landmarks, warning) = (self.params, self.eta_landmarks, self.warning);
        Effect::new(move |previous: Option<Option<(f64, f64)>>| {
            let lr = params.with(|p| p.training.lr);
            let now = eta_landmarks.get().map(|(_, max)| (lr, max));
            if let (Some(Some((lr0, max0))), Some((lr1, max1))) = (previous, now) {
                if lr1 >= max1 && lr0 < max0 && lr0 == lr1 {
                    warning.set(Some(format!(
                        "This change moved η = {} past the new kernel's η_max = {}: the networks and the NTK-GP diverge.",
                        tidy(lr1),
                        tidy(max1)
                    )));
                }
            }
            if now.is_some_and(|(lr, max)| lr < max) {
                warning.set(None);
            }
            now
        });
    }

    /// Sets η to half the train NTK's η_crit (inside the paper's Theorem 2.1), rounded on the
    /// slider's scale; nothing while the theory is not there.
    pub fn half_critical(&self) {
        if let Some((crit, _)) = self.eta_landmarks.get_untracked() {
            let lr = LR_SCALE.tidy(0.5 * crit);
            self.params.update(|p| p.training.lr = lr);
        }
    }
}
