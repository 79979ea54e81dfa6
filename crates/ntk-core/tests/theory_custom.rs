//! Custom activations (expressions in x) through the infinite-width kernels: equal to the
//! built-in activations they spell, equal to the closed forms of those that have one (an
//! independent check of the whole series / quadrature path at large variances), their text
//! and JSON forms, and their errors. (Finite networks with custom φ: `theory_monte_carlo.rs`,
//! `nets_linearization.rs`.)

use nalgebra::DMatrix;
use ntk_core::theory::kernels::{kernel_diagonal, kernels, KernelError};
use ntk_core::{Activation, Architecture, Parameterization, PhiError};

fn arch(act: Activation, depth: usize, sw2: f64, sb2: f64) -> Architecture {
    Architecture::new(depth, act, sw2, sb2, Parameterization::Ntk).unwrap()
}

/// Points with input variances spanning 10⁻⁴ … 10³, a repeated and a nearly repeated one.
fn points(n: usize, phase: f64) -> DMatrix<f64> {
    let mut x = DMatrix::from_fn(n, 3, |i, j| {
        let scale = 10f64.powf(-2.0 + 3.5 * ((i * 5) % n) as f64 / n as f64);
        scale * ((i as f64 + 1.0) * (0.618_034 + j as f64 * 0.414_214) + phase).sin()
    });
    let r0 = x.row(0).into_owned();
    x.set_row(2, &r0);
    let r1 = x.row(1).into_owned();
    x.set_row(3, &(r1 * (1.0 + 1e-9)));
    x
}

/// Largest entry difference relative to the Cauchy–Schwarz scale `√(K(x,x) K(x',x'))`.
fn worst(a: &DMatrix<f64>, b: &DMatrix<f64>, d1: &[f64], d2: &[f64]) -> f64 {
    let mut w: f64 = 0.0;
    for j in 0..a.ncols() {
        for i in 0..a.nrows() {
            w = w.max((a[(i, j)] - b[(i, j)]).abs() / (d1[i] * d2[j]).sqrt());
        }
    }
    w
}

fn compare(custom: Activation, builtin: Activation, depth: usize, tol: f64) {
    let (x1, x2) = (points(12, 0.0), points(9, 0.5));
    let (a, b) = (arch(custom, depth, 1.9, 0.05), arch(builtin, depth, 1.9, 0.05));
    for (p, q) in [(&x1, &x2), (&x1, &x1)] {
        let (kc, kb) = (kernels(&a, p, q).unwrap(), kernels(&b, p, q).unwrap());
        let (d1, d2) = (kernel_diagonal(&b, p).unwrap(), kernel_diagonal(&b, q).unwrap());
        let (n1, n2): (Vec<f64>, Vec<f64>) =
            (d1.nngp.iter().copied().collect(), d2.nngp.iter().copied().collect());
        let (t1, t2): (Vec<f64>, Vec<f64>) =
            (d1.ntk.iter().copied().collect(), d2.ntk.iter().copied().collect());
        let (wk, wt) = (worst(&kc.nngp, &kb.nngp, &n1, &n2), worst(&kc.ntk, &kb.ntk, &t1, &t2));
        assert!(
            wk <= tol && wt <= tol,
            "{custom} vs {builtin} depth {depth}: {wk:.1e} (K), {wt:.1e} (Θ) > {tol:e}"
        );
    }
}

/// `custom:tanh(x)` evaluates tanh and its derivative sech² exactly as the built-in does, so
/// every number on the way is the same: 1e-12 allows for nothing but rounding.
#[test]
fn custom_tanh_equals_the_builtin() {
    compare(Activation::custom("tanh(x)").unwrap(), Activation::Tanh, 4, 1e-12);
    compare(Activation::custom("softplus(x)").unwrap(), Activation::Softplus, 3, 1e-12);
}

/// On the page's 1-D data (the near-diagonal rule's case, σ_b² = 0.0025) a typed `tanh(x)`,
/// `sigmoid(x)` or `softplus(x)` gives the built-in's kernels bit for bit: the same scalar
/// functions, the same derivative bounds, hence the same routes and the same sums.
#[test]
fn typed_spellings_give_the_builtin_kernels_bit_for_bit() {
    let x1 = DMatrix::from_column_slice(6, 1, &[-3.1, -1.7, -0.2, 0.0, 0.9, 2.8]);
    let x2 = DMatrix::from_column_slice(4, 1, &[-2.9, -0.5, 1.3, 3.1]);
    for (typed, builtin) in [
        ("tanh(x)", Activation::Tanh),
        ("sigmoid(x)", Activation::Sigmoid),
        ("softplus(x)", Activation::Softplus),
    ] {
        let (a, b) =
            (arch(Activation::custom(typed).unwrap(), 3, 2.25, 0.0025), arch(builtin, 3, 2.25, 0.0025));
        for (p, q) in [(&x1, &x2), (&x1, &x1)] {
            let (kc, kb) = (kernels(&a, p, q).unwrap(), kernels(&b, p, q).unwrap());
            assert_eq!(kc.nngp, kb.nngp, "{typed}: K");
            assert_eq!(kc.ntk, kb.ntk, "{typed}: Θ");
        }
    }
}

/// Custom spellings of activations with closed-form kernels — erf, sin and GELU as x·Φ(x) —
/// through the series / quadrature path against those closed forms, with input variances up to
/// ≈ 2·10³ (first layer) and correlations at and near ±1: map errors ≤ 1e-10 of the scale
/// (`theory_smooth.rs`), grown by at most σ_w² Ṫ ≲ 2 per layer, give ≤ 1e-9 after 3 layers.
#[test]
fn custom_spellings_match_closed_forms() {
    compare(Activation::custom("erf(x)").unwrap(), Activation::Erf, 3, 1e-9);
    compare(Activation::custom("sin(x)").unwrap(), Activation::Sin, 3, 1e-9);
    compare(Activation::custom("x*normcdf(x)").unwrap(), Activation::Gelu, 3, 1e-9);
}

#[test]
fn text_and_json_forms_round_trip() {
    let act: Activation = "custom: x * sigmoid( x )".parse().unwrap();
    assert_eq!(act.to_string(), "custom:x*sigmoid(x)");
    assert_eq!(act.to_string().parse::<Activation>().unwrap(), act);
    assert_eq!(act, Activation::custom("x*sigmoid(x)").unwrap());
    let json = serde_json::to_string(&act).unwrap();
    assert_eq!(json, r#"{"kind":"custom","expr":"x*sigmoid(x)"}"#);
    assert_eq!(serde_json::from_str::<Activation>(&json).unwrap(), act);
    let a = arch(act, 2, 1.5, 0.1);
    let back: Architecture = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
    assert_eq!(back, a);
    // Built-in names are untouched.
    assert_eq!("TANH".parse::<Activation>().unwrap(), Activation::Tanh);
    // A bad expression in JSON or text is an error with the reason.
    let err = serde_json::from_str::<Activation>(r#"{"kind":"custom","expr":"x*"}"#).unwrap_err();
    assert!(err.to_string().contains("position 3"), "{err}");
    let err = "custom:x + y".parse::<Activation>().unwrap_err();
    assert!(err.to_string().contains("unknown variable 'y'"), "{err}");
    assert!(matches!(Activation::custom("exp(x^2)"), Err(PhiError::TooFast { .. })));
}

/// exp(x) is accepted (it grows only exponentially), but its kernel overflows at large
/// variances: a typed error naming the layer and variance, never NaN.
#[test]
fn divergent_kernels_are_errors() {
    let act = Activation::custom("exp(x)").unwrap();
    let x = DMatrix::from_row_slice(2, 1, &[0.3, -0.2]);
    assert!(kernels(&arch(act, 2, 1.0, 0.1), &x, &x).is_ok());
    let far = DMatrix::from_row_slice(2, 1, &[30.0, -25.0]);
    match kernels(&arch(act, 2, 1.0, 0.1), &far, &far) {
        Err(KernelError::Divergent { layer, var, .. }) => assert!(layer >= 1 && var > 300.0, "{layer} {var}"),
        other => panic!("expected a divergence error, got {other:?}"),
    }
}

/// `exp(x)` has the kernel `T = E[e^u e^v] = e^{(s₁+s₂)/2 + c}` and `Ṫ = T`: at depth 1 with
/// σ_w² = 1, σ_b² = 0 on 1-D inputs (ρ = ±1 exactly, variances up to 56, where the mass of
/// `E[e^{2u}]` sits 15 standard deviations out), `K = T` and `Θ = T (1 + c)`, to 1e-10 of
/// the Cauchy–Schwarz scale.
#[test]
fn exponential_kernel_matches_its_closed_form() {
    let act = Activation::custom("exp(x)").unwrap();
    let x = DMatrix::from_row_slice(5, 1, &[0.5, 3.0, -4.0, 7.5, -0.05]);
    let k = kernels(&arch(act, 1, 1.0, 0.0), &x, &x).unwrap();
    for i in 0..5 {
        for j in 0..5 {
            let (s1, s2, c) = (x[i] * x[i], x[j] * x[j], x[i] * x[j]);
            let t = (0.5 * (s1 + s2) + c).exp();
            let scale = (2.0 * s1).exp().sqrt() * (2.0 * s2).exp().sqrt();
            assert!((k.nngp[(i, j)] - t).abs() <= 1e-10 * scale, "K ({i},{j}): {} vs {t}", k.nngp[(i, j)]);
            let theta = t * (1.0 + c);
            let theta_scale = scale * (1.0 + s1).sqrt() * (1.0 + s2).sqrt();
            assert!(
                (k.ntk[(i, j)] - theta).abs() <= 1e-10 * theta_scale,
                "Θ ({i},{j}): {} vs {theta}",
                k.ntk[(i, j)]
            );
        }
    }
}
