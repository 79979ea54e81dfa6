//! The shareable state of the catapult view (docs/MATH.md, "Learning-rate thresholds and the
//! catapult"): the two-scalar model's ηλ₀, n, λ₀, f₀ and steps, and the real networks trained
//! beside it. Parsed and written through the same table machinery as the explorer's state.

use ntk_core::Activation;

use crate::state::{parse_query, write_query, Kind, Param, Value};

/// Activations of the catapult view's real network.
pub const CATAPULT_ACTIVATIONS: [&str; 3] = ["relu", "tanh", "identity"];

/// Everything a catapult link reproduces.
#[derive(Clone, Debug, PartialEq)]
pub struct CatapultParams {
    /// ηλ₀, the learning rate in units of 1/λ₀ (phases: lazy < 2 < catapult < 4 < divergent)
    pub eta_lambda0: f64,
    /// width n of the two-scalar model
    pub n: u64,
    /// λ₀ of the two-scalar model
    pub lambda0: f64,
    /// f₀ of the two-scalar model
    pub f0: f64,
    /// gradient-descent steps (model and networks)
    pub steps: u64,
    /// the real network's nonlinearity
    pub activation: Activation,
    /// the real network's hidden width
    pub width: usize,
    /// its σ_w²
    pub sw2: f64,
    /// its σ_b²
    pub sb2: f64,
    /// training points (1: the one-sample problem x = 1, y = 0; more: y = sin x)
    pub points: usize,
    /// small-width networks trained beside it (0 for none)
    pub members: usize,
    /// their width
    pub member_width: usize,
    /// initialisation seed
    pub seed: u64,
}

impl Default for CatapultParams {
    /// A catapult: ηλ₀ = 3 with a ReLU network of width 1024 on 4 points.
    fn default() -> Self {
        CatapultParams {
            eta_lambda0: 3.0,
            n: 1000,
            lambda0: 2.0,
            f0: 1.0,
            steps: 100,
            activation: Activation::Relu,
            width: 1024,
            sw2: 2.0,
            sb2: 0.0,
            points: 4,
            members: 6,
            member_width: 32,
            seed: 0,
        }
    }
}

/// Every URL parameter of the catapult view, in URL order.
pub const CATAPULT_PARAMS: [Param; 13] = [
    Param { key: "el0", label: "ηλ₀", kind: Kind::Real { min: 0.05, max: 6.0 } },
    Param { key: "n", label: "model width n", kind: Kind::Int { min: 10, max: 1_000_000 } },
    Param { key: "l0", label: "λ₀", kind: Kind::Real { min: 0.1, max: 10.0 } },
    Param { key: "f0", label: "f₀", kind: Kind::Real { min: -10.0, max: 10.0 } },
    Param { key: "steps", label: "steps", kind: Kind::Int { min: 10, max: 2000 } },
    Param { key: "act", label: "nonlinearity", kind: Kind::Name(&CATAPULT_ACTIVATIONS) },
    Param { key: "width", label: "network width", kind: Kind::Int { min: 16, max: 4096 } },
    Param { key: "sw2", label: "σ_w²", kind: Kind::Real { min: 0.1, max: 4.0 } },
    Param { key: "sb2", label: "σ_b²", kind: Kind::Real { min: 0.0, max: 2.0 } },
    Param { key: "points", label: "training points", kind: Kind::Int { min: 1, max: 16 } },
    Param { key: "members", label: "small networks", kind: Kind::Int { min: 0, max: 20 } },
    Param { key: "mwidth", label: "small-network width", kind: Kind::Int { min: 8, max: 256 } },
    Param { key: "seed", label: "seed", kind: Kind::Int { min: 0, max: 1 << 53 } },
];

fn activation_name(a: Activation) -> &'static str {
    match a {
        Activation::Tanh => "tanh",
        Activation::Identity => "identity",
        _ => "relu",
    }
}

impl CatapultParams {
    fn get(&self, key: &str) -> Value {
        match key {
            "el0" => Value::Real(self.eta_lambda0),
            "n" => Value::Int(self.n),
            "l0" => Value::Real(self.lambda0),
            "f0" => Value::Real(self.f0),
            "steps" => Value::Int(self.steps),
            "act" => Value::Name(activation_name(self.activation)),
            "width" => Value::Int(self.width as u64),
            "sw2" => Value::Real(self.sw2),
            "sb2" => Value::Real(self.sb2),
            "points" => Value::Int(self.points as u64),
            "members" => Value::Int(self.members as u64),
            "mwidth" => Value::Int(self.member_width as u64),
            "seed" => Value::Int(self.seed),
            _ => unreachable!("every key of CATAPULT_PARAMS is handled"),
        }
    }

    fn set(&mut self, key: &str, value: Value) {
        match (key, value) {
            ("el0", Value::Real(v)) => self.eta_lambda0 = v,
            ("n", Value::Int(v)) => self.n = v,
            ("l0", Value::Real(v)) => self.lambda0 = v,
            ("f0", Value::Real(v)) => self.f0 = v,
            ("steps", Value::Int(v)) => self.steps = v,
            ("act", Value::Name(v)) => self.activation = v.parse().unwrap_or(Activation::Relu),
            ("width", Value::Int(v)) => self.width = v as usize,
            ("sw2", Value::Real(v)) => self.sw2 = v,
            ("sb2", Value::Real(v)) => self.sb2 = v,
            ("points", Value::Int(v)) => self.points = v as usize,
            ("members", Value::Int(v)) => self.members = v as usize,
            ("mwidth", Value::Int(v)) => self.member_width = v as usize,
            ("seed", Value::Int(v)) => self.seed = v,
            _ => {}
        }
    }

    /// The query string of this state, every parameter included.
    pub fn to_query(&self) -> String {
        write_query(&CATAPULT_PARAMS, |k| self.get(k))
    }

    /// Parses a query string; never fails (as [`crate::state::ExplorerParams::from_query`]).
    pub fn from_query(query: &str) -> (CatapultParams, Vec<String>) {
        let mut state = CatapultParams::default();
        let notes = parse_query(query, &CATAPULT_PARAMS, &["view"], |k, v| state.set(k, v));
        (state, notes)
    }

    /// The catapult view at the explorer's setting: its activation (ReLU for those the view
    /// does not offer), σ's, and ηλ₀ = 2η/η_max (η_max = 2N/λ_max(Θ), λ = λ_max/N).
    pub fn from_explorer(
        activation: Activation,
        sw2: f64,
        sb2: f64,
        lr: f64,
        eta_max: f64,
    ) -> CatapultParams {
        let activation = match activation {
            Activation::Tanh | Activation::Identity => activation,
            _ => Activation::Relu,
        };
        let eta_lambda0 = (2.0 * lr / eta_max).clamp(0.05, 6.0);
        CatapultParams {
            eta_lambda0: (eta_lambda0 * 1000.0).round() / 1000.0,
            activation,
            sw2: sw2.clamp(0.1, 4.0),
            sb2: sb2.clamp(0.0, 2.0),
            ..CatapultParams::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

    #[test]
    fn round_trip_and_hostile_values() {
        let s = CatapultParams {
            eta_lambda0: 3.7,
            activation: Activation::Tanh,
            members: 0,
            ..Default::default()
        };
        let (back, notes) = CatapultParams::from_query(&format!("view=catapult&{}", s.to_query()));
        assert_eq!(back, s);
        assert!(notes.is_empty(), "{notes:?}");
        let (s, notes) = CatapultParams::from_query("el0=99&n=-5&act=gelu&width=1e9&zz=1&f0=NaN");
        assert_eq!(s.eta_lambda0, 6.0);
        assert_eq!(s.n, 10);
        assert_eq!(s.activation, Activation::Relu);
        assert_eq!(s.width, 4096);
        assert_eq!(s.f0, CatapultParams::default().f0);
        assert_eq!(notes.len(), 6, "{notes:?}");
        let c = CatapultParams::from_explorer(Activation::Erf, 2.25, 0.0025, 1.5, 1.0);
        assert_eq!((c.eta_lambda0, c.activation), (3.0, Activation::Relu));
    }
}
