//! The architecture fields every view shares: depth, nonlinearity, σ_w², σ_b² and the
//! parameterization, described once over the core's [`Architecture`] that each view's state
//! embeds. Ranges differ by view (the catapult's real network offers three nonlinearities), so
//! each field is a `const fn` of its range; the view names its fields in
//! [`HasArch::ARCH_FIELDS`] for the shared controls ([`crate::components::arch::ArchControls`]).

use ntk_core::custom_phi::CustomPhi;
use ntk_core::{Activation, Architecture, Parameterization};

use super::notes::Note;
use super::{Field, Kind, Value};

/// A state that embeds an [`Architecture`].
pub trait HasArch: Sized + 'static {
    /// The architecture.
    fn arch(&self) -> &Architecture;
    /// The architecture, to change.
    fn arch_mut(&mut self) -> &mut Architecture;
    /// The view's architecture fields, for the shared controls.
    const ARCH_FIELDS: ArchFields<Self>;
}

/// The architecture fields a view offers (`None`: fixed in that view).
pub struct ArchFields<S: 'static> {
    /// hidden layers L
    pub depth: Option<&'static Field<S>>,
    /// the nonlinearity φ
    pub activation: &'static Field<S>,
    /// σ_w²
    pub sw2: &'static Field<S>,
    /// σ_b²
    pub sb2: &'static Field<S>,
    /// NTK or standard parameterization
    pub param: Option<&'static Field<S>>,
    /// the expression of a typed φ (shown while the nonlinearity is "custom")
    pub phi: Option<&'static Field<S>>,
}

impl<S: 'static> ArchFields<S> {
    /// The fields every view offers (nonlinearity, σ_w², σ_b²); depth, parameterization and a
    /// typed φ fixed.
    pub const fn basic(
        activation: &'static Field<S>,
        sw2: &'static Field<S>,
        sb2: &'static Field<S>,
    ) -> Self {
        ArchFields { depth: None, activation, sw2, sb2, param: None, phi: None }
    }
}

/// Implements [`HasArch`] for a view's state whose [`Architecture`] is its field `arch`, with
/// the given [`ArchFields`].
#[macro_export]
macro_rules! has_arch {
    ($ty:ty, $fields:expr) => {
        impl $crate::params::arch::HasArch for $ty {
            fn arch(&self) -> &ntk_core::Architecture {
                &self.arch
            }
            fn arch_mut(&mut self) -> &mut ntk_core::Architecture {
                &mut self.arch
            }
            const ARCH_FIELDS: $crate::params::arch::ArchFields<Self> = $fields;
        }
    };
}

/// The neural-tangents cookbook's network, the explorer's and the width lab's default: two erf
/// layers, σ_w² = 2.25, σ_b² = 0.0025, NTK parameterization.
pub const COOKBOOK_ARCH: Architecture = Architecture {
    depth: 2,
    activation: Activation::Erf,
    sw2: 2.25,
    sb2: 0.0025,
    param: Parameterization::Ntk,
};

/// Names of the nonlinearities the explorer offers, in select order.
pub const ACTIVATIONS: [&str; 9] =
    ["erf", "relu", "tanh", "identity", "sin", "gelu", "softplus", "sigmoid", CUSTOM];
/// The built-in nonlinearities (views without a typed φ).
pub const BUILT_IN_ACTIVATIONS: [&str; 8] =
    ["erf", "relu", "tanh", "identity", "sin", "gelu", "softplus", "sigmoid"];
/// The name of a typed nonlinearity in the select (its expression is the field [`phi`]).
pub const CUSTOM: &str = "custom";
/// The expression a typed nonlinearity starts from (swish: `x·σ(x)`).
pub const DEFAULT_PHI: &str = "x*sigmoid(x)";
/// Longest expression a link or the text box carries.
pub const MAX_PHI_LEN: usize = 200;
/// Names of the parameterizations: NTK (paper Eq. 1), standard (SM F), mean-field/μP
/// (docs/MATH.md; the analytic GPs describe NTK parameterization only).
pub const PARAMETERIZATIONS: [&str; 3] = ["ntk", "standard", "mf"];

/// The name of an activation on the page (`leaky_relu` without its slope).
pub fn activation_name(a: Activation) -> &'static str {
    match a {
        Activation::Relu => "relu",
        Activation::LeakyRelu { .. } => "leaky_relu",
        Activation::Erf => "erf",
        Activation::Identity => "identity",
        Activation::Sin => "sin",
        Activation::Gelu => "gelu",
        Activation::Tanh => "tanh",
        Activation::Softplus => "softplus",
        Activation::Sigmoid => "sigmoid",
        Activation::Custom(_) => CUSTOM,
    }
}

/// Depth L, 1 ..= `max` hidden layers (key `depth`).
pub const fn depth<S: HasArch>(max: u64) -> Field<S> {
    Field {
        key: "depth",
        label: "depth L (hidden layers)",
        kind: Kind::Int { min: 1, max, log: false },
        get: |s| Value::Int(s.arch().depth as u64),
        set: |s, v, _| {
            if let Value::Int(v) = v {
                s.arch_mut().depth = v as usize;
            }
            Vec::new()
        },
    }
}

/// The nonlinearity φ, one of `names` (key `act`).
pub const fn activation<S: HasArch>(names: &'static [&'static str]) -> Field<S> {
    Field {
        key: "act",
        label: "nonlinearity φ",
        kind: Kind::Choice(names),
        get: |s| Value::Choice(activation_name(s.arch().activation)),
        set: |s, v, _| {
            if let Value::Choice(name) = v {
                if name == CUSTOM {
                    // Keep a typed φ already in place; otherwise start from the default.
                    if !matches!(s.arch().activation, Activation::Custom(_)) {
                        if let Ok(c) = CustomPhi::new(DEFAULT_PHI) {
                            s.arch_mut().activation = Activation::Custom(c);
                        }
                    }
                } else if let Ok(a) = name.parse::<Activation>() {
                    s.arch_mut().activation = a;
                }
            }
            Vec::new()
        },
    }
}

/// The weight variance σ_w² in `[min, max]` (key `sw2`).
pub const fn sw2<S: HasArch>(min: f64, max: f64, log: bool) -> Field<S> {
    Field {
        key: "sw2",
        label: "σ_w² (weight variance)",
        kind: Kind::Real { min, max, log },
        get: |s| Value::Real(s.arch().sw2),
        set: |s, v, _| {
            if let Value::Real(v) = v {
                s.arch_mut().sw2 = v;
            }
            Vec::new()
        },
    }
}

/// The bias variance σ_b² in `[0, max]` (key `sb2`).
pub const fn sb2<S: HasArch>(max: f64) -> Field<S> {
    Field {
        key: "sb2",
        label: "σ_b² (bias variance)",
        kind: Kind::Real { min: 0.0, max, log: false },
        get: |s| Value::Real(s.arch().sb2),
        set: |s, v, _| {
            if let Value::Real(v) = v {
                s.arch_mut().sb2 = v;
            }
            Vec::new()
        },
    }
}

/// NTK, standard or mean-field parameterization of the finite networks (key `param`).
pub const fn param<S: HasArch>() -> Field<S> {
    Field {
        key: "param",
        label: "parameterization",
        kind: Kind::Choice(&PARAMETERIZATIONS),
        get: |s| {
            Value::Choice(match s.arch().param {
                Parameterization::Ntk => "ntk",
                Parameterization::Standard => "standard",
                Parameterization::MeanField => "mf",
            })
        },
        set: |s, v, _| {
            if let Value::Choice(name) = v {
                match name.parse::<Parameterization>() {
                    Ok(p) if PARAMETERIZATIONS.contains(&p.to_string().as_str()) => s.arch_mut().param = p,
                    _ => {}
                }
            }
            Vec::new()
        },
    }
}

/// The expression of a typed nonlinearity φ(x) (key `phi`, written while the nonlinearity is
/// "custom"; a link that gives it makes φ the typed one, so it follows `act` in a view's
/// fields). An expression that does not parse, is
/// not finite on the real line or grows too fast for the Gaussian integrals leaves the previous
/// φ in place, with the reason as a note.
pub const fn phi<S: HasArch>() -> Field<S> {
    Field {
        key: "phi",
        label: "φ(x) =",
        kind: Kind::Text { max_len: MAX_PHI_LEN },
        get: |s| match s.arch().activation {
            Activation::Custom(c) => Value::Text(c.source().to_string()),
            _ => Value::Unset,
        },
        set: |s, v, _| {
            let Value::Text(text) = v else { return Vec::new() };
            match CustomPhi::new(&text) {
                Ok(c) => {
                    s.arch_mut().activation = Activation::Custom(c);
                    Vec::new()
                }
                Err(e) => {
                    vec![Note::text("φ(x) = ").quote(&text).then(format!(": {e}; kept the previous φ"))]
                }
            }
        },
    }
}
