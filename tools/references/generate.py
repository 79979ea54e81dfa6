#!/usr/bin/env python3
"""High-precision reference numbers for the analytic kernels and GP predictions.

Writes crates/ntk-core/tests/data/reference_hp.json (schema in tests/data/README.md):

- "kernel_map" cases: T(Σ) = E[φ(u)φ(v)] and Ṫ(Σ) = E[φ'(u)φ'(v)], (u, v) ~ N(0, Σ), for every
  activation on a grid of hard spots (correlation ±1 and ±(1 − 1e-6), tiny and huge variances);
- "kernel" cases: NNGP K and NTK Θ of the readout layer (docs/MATH.md recursion) for the
  neural-tangents fixture inputs (tests/data/nt_reference.json) plus leaky_relu, softplus,
  sigmoid and hard spots (antipodal and collinear points, tiny and huge variances);
- "predict" cases: NNGP and NTK-GP mean and variance at training times (paper Eq. 13-16,
  mean-loss convention) for the fixture inputs plus leaky_relu, gelu, softplus, sigmoid.

How each number is computed, independently of the Rust code:

- relu, leaky_relu, erf, identity, sin: closed forms in mpmath at 40 significant digits.
  relu/leaky_relu use φ(x) = ((1+a)/2) x + ((1-a)/2)|x| with
  E|u||v| = (2/π)√(s₁s₂)(√(1-ρ²) + ρ asin ρ) and E[sgn u sgn v] = (2/π) asin ρ (a different
  form from the arc-cosine expressions of the Rust code).
- gelu: semi-analytic, in mpmath at 32 digits: the inner Gaussian expectation over v given u
  is closed-form (E[g(m + σZ)] for g = x Φ(x) and its derivative), the outer one a 1-D
  trapezoidal rule with step halving (entire integrand: error ~ exp(-c/h²)).
- tanh, softplus, sigmoid: 2-D trapezoidal rule in x87 extended precision (numpy.longdouble,
  ε ≈ 1.1e-19) on the Cholesky coordinates, step halved until two successive rules agree to
  2e-18 of the Cauchy-Schwarz scale; analytic integrands in a strip make the rule converge
  exponentially, so the last rule is far more accurate than that difference. Variances flow
  through the layers in extended precision; the error estimate of every case is stored.
- GP predictions: mpmath matrices at 40 digits (symmetric eigendecomposition mp.eigsy), from
  the kernels above.

Cross-checks run on every invocation (results under "checks" in the JSON; the script fails if
one is off by more than its bound): closed forms against 1-D semi-analytic mpmath quadrature
(relu, leaky_relu, erf, sin); the extended-precision 2-D rule against mpmath closed forms
(sin) and, on the diagonal
(correlation 1), against 1-D mpmath quadrature for tanh, softplus and sigmoid; the identity
T_sigmoid(Σ) = 1/4 + T_tanh(Σ/4)/4 between two independent 2-D rules. `--slow-checks` adds a
nested 2-D mpmath quadrature of tanh at 20 digits for two off-diagonal Σ (about a minute each).

Run with `cargo xtask references` (a throwaway venv with the pinned mpmath and numpy); the
tests only read the JSON. Takes 3.5-8 minutes wall on a shared two-core machine; reruns
reproduce the JSON byte for byte.
"""

import argparse
import json
import math
import multiprocessing
import os
import sys
import time

import mpmath as mp
import numpy as np

mp.mp.dps = 40
LD = np.longdouble
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.path.join(ROOT, "crates", "ntk-core", "tests", "data")
QUAD_TOL = LD("2e-18")
SCHEMA_VERSION = 1


# ---------------------------------------------------------------- conversions


def to_ld(x):
    """An mpf (or float) as a longdouble, correctly rounded to ~21 digits."""
    return LD(mp.nstr(mp.mpf(x), 24, strip_zeros=False)) if not isinstance(x, LD) else x


def to_mp(x):
    """A longdouble (or float) as an mpf, exactly enough (21 significant digits)."""
    if isinstance(x, LD):
        return mp.mpf(np.format_float_scientific(x, precision=21, unique=False))
    return mp.mpf(x)


def f64(x):
    """The nearest float64, for the JSON."""
    return float(to_mp(x)) if isinstance(x, LD) else float(x)


# ---------------------------------------------------------------- activations


def parse_act(name):
    if name.startswith("leaky_relu"):
        slope = float(name.split(":")[1]) if ":" in name else 0.01
        return "leaky_relu", mp.mpf(slope)
    return name, None


CLOSED = {"relu", "leaky_relu", "erf", "identity", "sin"}
SEMI_ANALYTIC = {"gelu"}
QUADRATURE = {"tanh", "softplus", "sigmoid"}


def leaky_mp(s1, s2, c, a):
    """T, Ṫ of φ(x) = ((1+a)/2) x + ((1-a)/2)|x| (a = 0: relu)."""
    p, m = (1 + a) / 2, (1 - a) / 2
    scale = mp.sqrt(s1 * s2)
    rho = mp.mpf(0) if scale == 0 else max(mp.mpf(-1), min(mp.mpf(1), c / scale))
    abs_abs = 2 / mp.pi * scale * (mp.sqrt(1 - rho * rho) + rho * mp.asin(rho))
    t = p * p * c + m * m * abs_abs
    t_dot = p * p + m * m * 2 / mp.pi * mp.asin(rho)
    return t, t_dot


def closed_mp(act, slope, s1, s2, c):
    if act == "relu":
        return leaky_mp(s1, s2, c, mp.mpf(0))
    if act == "leaky_relu":
        return leaky_mp(s1, s2, c, slope)
    if act == "erf":
        prod = (1 + 2 * s1) * (1 + 2 * s2)
        return 2 / mp.pi * mp.asin(2 * c / mp.sqrt(prod)), 4 / mp.pi / mp.sqrt(prod - 4 * c * c)
    if act == "identity":
        return c, mp.mpf(1)
    if act == "sin":
        damp = mp.exp(-(s1 + s2) / 2)
        return damp * mp.sinh(c), damp * mp.cosh(c)
    raise ValueError(act)


def std_normal_quad(fn):
    """E[fn(z)], z ~ N(0, 1), by mpmath's adaptive tanh-sinh rule (split at 0)."""
    w = 1 / mp.sqrt(2 * mp.pi)
    return w * mp.quad(lambda z: mp.exp(-z * z / 2) * fn(z), [-mp.inf, 0, mp.inf])


def gelu_inner(m, sig):
    """E[g(m + σZ)] and E[g'(m + σZ)] for g(x) = xΦ(x), Z ~ N(0, 1)."""
    k = mp.sqrt(1 + sig * sig)
    x = m / k
    pdf = mp.npdf(x)
    cdf = mp.ncdf(x)
    return m * cdf + sig * sig * pdf / k, cdf + m * pdf / k**3


def gelu_mp(s1, s2, c):
    """T, Ṫ of exact GELU: inner expectation over v | u closed-form, outer 1-D quadrature
    (at 32 digits: the slowest closed-form path, and far beyond float64 still)."""
    with mp.workdps(32):
        return _gelu_mp(mp.mpf(s1), mp.mpf(s2), mp.mpf(c))


def _gelu_mp(s1, s2, c):
    a, b = mp.sqrt(s1), mp.sqrt(s2)
    if a == 0 or b == 0:
        g0 = gelu_inner(mp.mpf(0), b)
        f0 = gelu_inner(mp.mpf(0), a)
        return f0[0] * g0[0], f0[1] * g0[1]
    rho = max(mp.mpf(-1), min(mp.mpf(1), c / (a * b)))
    sig = b * mp.sqrt((1 - rho) * (1 + rho))

    def integrands(z):
        u = a * z
        cdf, pdf = mp.ncdf(u), mp.npdf(u)
        inner = gelu_inner(b * rho * z, sig)
        return u * cdf * inner[0], (cdf + u * pdf) * inner[1]

    return std_normal_trapezoid(integrands)


def std_normal_trapezoid(fn, z_max=13, tol=mp.mpf("1e-28")):
    """E[fn(z)] for an entire vector-valued integrand, z ~ N(0, 1): the trapezoidal rule on
    [-13, 13] (tail < 1e-37), step halved from 1/2 until two rules agree to `tol` of the
    largest |value|; for entire integrands the error decays like exp(-c/h²), so the last rule
    is far more accurate than that difference."""
    w = 1 / mp.sqrt(2 * mp.pi)

    def term(z):
        return [w * mp.exp(-z * z / 2) * v for v in fn(z)]

    h = mp.mpf(1) / 2
    n = int(z_max / h)
    sums = [mp.fsum(col) for col in zip(*[term(k * h) for k in range(-n, n + 1)])]
    est = [h * x for x in sums]
    while True:
        h /= 2
        n = int(z_max / h)
        odd = [term(k * h) for k in range(-n + (1 - n % 2), n + 1, 2)]
        sums = [x + mp.fsum(col) for x, col in zip(sums, zip(*odd))]
        new = [h * x for x in sums]
        scale = max(abs(x) for x in new)
        if all(abs(x - y) <= tol * scale for x, y in zip(new, est)):
            return tuple(new)
        if h < mp.mpf(1) / 512:
            raise RuntimeError("trapezoid (mpmath) did not converge")
        est = new


def semi_analytic_mp(act, slope, s1, s2, c):
    """Cross-check of the closed forms: inner expectation closed-form, outer 1-D quadrature."""
    a, b = mp.sqrt(s1), mp.sqrt(s2)
    rho = max(mp.mpf(-1), min(mp.mpf(1), c / (a * b)))
    r = mp.sqrt((1 - rho) * (1 + rho))
    sig = b * r
    if act in ("relu", "leaky_relu"):
        al = mp.mpf(0) if act == "relu" else slope

        def inner(m):
            # E[relu(m + σZ)] = m Φ(m/σ) + σ φ(m/σ); leaky = relu(x) - a relu(-x).
            if sig == 0:
                pos, neg = max(m, 0), max(-m, 0)
                step_p = 1 if m > 0 else 0
            else:
                pos = m * mp.ncdf(m / sig) + sig * mp.npdf(m / sig)
                neg = -m * mp.ncdf(-m / sig) + sig * mp.npdf(m / sig)
                step_p = mp.ncdf(m / sig)
            return pos - al * neg, step_p + al * (1 - step_p)

        def phi(x):
            return x if x >= 0 else al * x

        def dphi(x):
            return 1 if x >= 0 else al

    elif act == "erf":

        def inner(m):
            k = mp.sqrt(1 + 2 * sig * sig)
            return mp.erf(m / k), 2 / mp.sqrt(mp.pi) / k * mp.exp(-m * m / (k * k))

        phi, dphi = mp.erf, lambda x: 2 / mp.sqrt(mp.pi) * mp.exp(-x * x)
    elif act == "sin":

        def inner(m):
            d = mp.exp(-sig * sig / 2)
            return mp.sin(m) * d, mp.cos(m) * d

        phi, dphi = mp.sin, mp.cos
    else:
        raise ValueError(act)
    t = std_normal_quad(lambda z: phi(a * z) * inner(b * rho * z)[0])
    t_dot = std_normal_quad(lambda z: dphi(a * z) * inner(b * rho * z)[1])
    return t, t_dot


def ld_fns(act):
    """(φ, φ') in extended precision for the quadrature activations (and sin, for checks)."""
    if act == "tanh":
        return np.tanh, lambda x: 1 / np.cosh(x) ** 2
    if act == "sigmoid":

        def sig(x):
            return 1 / (1 + np.exp(-x))

        return sig, lambda x: sig(x) * sig(-x)
    if act == "softplus":
        return (lambda x: np.logaddexp(LD(0), x)), (lambda x: 1 / (1 + np.exp(-x)))
    if act == "sin":
        return np.sin, np.cos
    raise ValueError(act)


def mp_fns(act):
    if act == "tanh":
        return mp.tanh, lambda x: mp.sech(x) ** 2
    if act == "sigmoid":
        return (lambda x: 1 / (1 + mp.exp(-x))), (lambda x: mp.exp(-x) / (1 + mp.exp(-x)) ** 2)
    if act == "softplus":
        return (lambda x: mp.log1p(mp.exp(x))), (lambda x: 1 / (1 + mp.exp(-x)))
    raise ValueError(act)


# ---------------------------------------------------------------- extended-precision 2-D rule

Z_MAX = LD(10)  # Gaussian tail beyond 10: < 1e-22
PI_LD = LD("3.14159265358979323846264338327950288")
INV_SQRT_2PI = 1 / np.sqrt(2 * PI_LD)


def _rule(fs, gs, a, b, rho, r, h):
    n = int(Z_MAX / h)
    z = np.arange(-n, n + 1, dtype=LD) * h
    w = h * INV_SQRT_2PI * np.exp(-z * z / 2)
    out = []
    if r == 0:
        for f, g in zip(fs, gs):
            out.append(np.sum(w * f(a * z) * g(b * rho * z)))
        return out
    arg = b * (rho * z[:, None] + r * z[None, :])
    for f, g in zip(fs, gs):
        inner = (g(arg) * w[None, :]).sum(axis=1)
        out.append(np.sum(w * f(a * z) * inner))
    return out


def expect2_ld(act, s1, s2, c):
    """(T, Ṫ) and their error estimates by the halving trapezoidal rule in extended precision."""
    phi, dphi = ld_fns(act)
    s1, s2, c = LD(s1), LD(s2), LD(c)
    a, b = np.sqrt(s1), np.sqrt(s2)
    if a == 0 or b == 0:
        rho = LD(0)
    else:
        rho = np.clip(c / (a * b), LD(-1), LD(1))
    r = np.sqrt(np.maximum(LD(0), (1 - rho) * (1 + rho)))
    # Cauchy-Schwarz scales √(E φ(u)² E φ(v)²) for the convergence test (1-D rules, converged).
    fs, gs = [phi, dphi], [phi, dphi]
    h = LD(0.5)
    prev = _rule(fs, gs, a, b, rho, r, h)
    scale = [
        np.sqrt(abs(_rule([f], [f], a, a, LD(1), LD(0), LD(1) / 64)[0] * _rule([f], [f], b, b, LD(1), LD(0), LD(1) / 64)[0]))
        for f in fs
    ]
    while True:
        h = h / 2
        cur = _rule(fs, gs, a, b, rho, r, h)
        diffs = [abs(x - y) for x, y in zip(cur, prev)]
        if all(d <= QUAD_TOL * max(s, LD("1e-300")) for d, s in zip(diffs, scale)):
            return cur, [d / max(s, LD("1e-300")) for d, s in zip(diffs, scale)]
        if h < LD(1) / 256:
            raise RuntimeError(f"{act}: trapezoid did not converge at Σ = ({s1}, {s2}, {c}): {diffs}")
        prev = cur


# ---------------------------------------------------------------- kernel maps and recursion


class Map:
    """T and Ṫ of one activation, in mpmath (closed forms) or extended precision (quadrature)."""

    def __init__(self, name):
        self.name = name
        self.act, self.slope = parse_act(name)
        self.quadrature = self.act in QUADRATURE
        self.max_rel_err = 0.0  # of the quadrature, relative to the Cauchy-Schwarz scale

    def num(self, x):
        return to_ld(x) if self.quadrature else mp.mpf(x)

    def pair(self, s1, s2, c):
        if self.quadrature:
            (t, t_dot), err = expect2_ld(self.act, s1, s2, c)
            self.max_rel_err = max(self.max_rel_err, float(max(err)))
            return t, t_dot
        if self.act in SEMI_ANALYTIC:
            return gelu_mp(s1, s2, c)
        return closed_mp(self.act, self.slope, s1, s2, c)

    def diag(self, s):
        return self.pair(s, s, s)


def layer1(x, y, sw2, sb2):
    d = len(x)
    return sw2 * mp.fsum(mp.mpf(p) * mp.mpf(q) for p, q in zip(x, y)) / d + sb2


def point_chain(m, x, depth, sw2, sb2):
    """Per-layer variances s^1..s^{L+1} of one point (the diagonal recursion)."""
    s = [m.num(layer1(x, x, sw2, sb2))]
    for _ in range(depth):
        t, _ = m.diag(s[-1])
        s.append(m.num(sw2) * t + m.num(sb2))
    return s


def pair_kernels(m, x, y, chain_x, chain_y, depth, sw2, sb2, same):
    """K and Θ of the readout layer for points x, y (docs/MATH.md recursion)."""
    w, b = m.num(sw2), m.num(sb2)
    k = m.num(layer1(x, y, sw2, sb2))
    theta = k
    for l in range(depth):
        if same:
            t, t_dot = m.diag(chain_x[l])
        else:
            t, t_dot = m.pair(chain_x[l], chain_y[l], k)
        k = w * t + b
        theta = k + w * t_dot * theta
    return k, theta


def kernel_matrices(m, x1, x2, depth, sw2, sb2):
    c1 = [point_chain(m, x, depth, sw2, sb2) for x in x1]
    c2 = [point_chain(m, x, depth, sw2, sb2) for x in x2]
    nngp = [[None] * len(x2) for _ in x1]
    ntk = [[None] * len(x2) for _ in x1]
    for i, x in enumerate(x1):
        for j, y in enumerate(x2):
            same = list(x) == list(y)
            nngp[i][j], ntk[i][j] = pair_kernels(m, x, y, c1[i], c2[j], depth, sw2, sb2, same)
    return nngp, ntk


def kernel_diagonal(m, xs, depth, sw2, sb2):
    out = []
    for x in xs:
        k, theta = pair_kernels(m, x, x, point_chain(m, x, depth, sw2, sb2), None, depth, sw2, sb2, True)
        out.append((k, theta))
    return out


# ---------------------------------------------------------------- GP predictions


def eig_filter(lam, t, n, p):
    """(1 - e^{-pλt/N})/λ, or 1/λ at t = ∞."""
    if t is None:
        return 1 / lam
    if t == 0:
        return mp.mpf(0)
    return -mp.expm1(-p * lam * t / n) / lam


def predictions(k_train, th_train, k_cross, th_cross, prior, y, times):
    n = len(y)
    kx = mp.matrix(k_train)
    tx = mp.matrix(th_train)
    yv = mp.matrix(y)
    lam_t, v_t = mp.eigsy(tx)
    lam_k, v_k = mp.eigsy(kx)
    cond = {
        "ntk": float(max(lam_t) / min(lam_t)),
        "nngp": float(max(lam_k) / min(lam_k)),
    }
    assert min(lam_t) > 0 and min(lam_k) > 0, "train kernels must be positive definite"
    kc = mp.matrix(k_cross)
    tc = mp.matrix(th_cross)
    m_test = len(prior)
    out = []
    for t in times:
        tt = None if t is None else mp.mpf(t)
        g_t = [eig_filter(lam_t[i], tt, n, 1) for i in range(n)]
        a_mat = tc * v_t * mp.diag(g_t) * v_t.T  # A(t) = Θ(*,X) Θ⁻¹ (I - e^{-Θt/N})
        mean_ntk = a_mat * yv
        ak = a_mat * kx
        var_ntk = []
        for i in range(m_test):
            quad = mp.fsum(ak[i, j] * a_mat[i, j] for j in range(n))
            lin = mp.fsum(a_mat[i, j] * kc[i, j] for j in range(n))
            var_ntk.append(prior[i] + quad - 2 * lin)
        g1 = [eig_filter(lam_k[i], tt, n, 1) for i in range(n)]
        g2 = [eig_filter(lam_k[i], tt, n, 2) for i in range(n)]
        p = kc * v_k
        py = v_k.T * yv
        mean_nngp = [mp.fsum(p[i, j] * g1[j] * py[j] for j in range(n)) for i in range(m_test)]
        var_nngp = [prior[i] - mp.fsum(p[i, j] ** 2 * g2[j] for j in range(n)) for i in range(m_test)]
        out.append(
            {
                "time": None if t is None else float(t),
                "nngp": {"mean": [float(v) for v in mean_nngp], "var": [float(v) for v in var_nngp]},
                "ntk": {
                    "mean": [float(mean_ntk[i]) for i in range(m_test)],
                    "var": [float(v) for v in var_ntk],
                },
            }
        )
    return cond, out


# ---------------------------------------------------------------- cases


def f64_rows(a):
    return [[f64(v) for v in r] for r in a]


def rows(a):
    return [[float(v) for v in r] for r in a]


def kernel_case(name, act, depth, sw2, sb2, x1, x2, source):
    m = Map(act)
    t0 = time.time()
    nngp, ntk = kernel_matrices(m, x1, x2, depth, mp.mpf(sw2), mp.mpf(sb2))
    case = {
        "type": "kernel",
        "name": name,
        "source": source,
        "act": act,
        "depth": depth,
        "sw2": sw2,
        "sb2": sb2,
        "param": "ntk",
        "method": method_of(m),
        "rel_err": rel_err_of(m),
        "x1": rows(x1),
        "x2": rows(x2),
        "nngp": [[f64(v) for v in r] for r in nngp],
        "ntk": [[f64(v) for v in r] for r in ntk],
    }
    log(f"kernel {name}: {time.time() - t0:.1f} s")
    return case


def predict_case(name, act, depth, sw2, sb2, x_train, y_train, x_test, times, source):
    m = Map(act)
    t0 = time.time()
    w, b = mp.mpf(sw2), mp.mpf(sb2)
    k_tr, th_tr = kernel_matrices(m, x_train, x_train, depth, w, b)
    k_cr, th_cr = kernel_matrices(m, x_test, x_train, depth, w, b)
    k_tt, _ = kernel_matrices(m, x_test, x_test, depth, w, b)
    prior = [k_tt[i][i] for i in range(len(x_test))]
    conv = lambda a: [[to_mp(v) for v in r] for r in a]  # noqa: E731
    cond, out = predictions(
        conv(k_tr), conv(th_tr), conv(k_cr), conv(th_cr), [to_mp(v) for v in prior], [mp.mpf(v) for v in y_train], times
    )
    case = {
        "type": "predict",
        "name": name,
        "source": source,
        "act": act,
        "depth": depth,
        "sw2": sw2,
        "sb2": sb2,
        "param": "ntk",
        "method": method_of(m),
        "rel_err": rel_err_of(m),
        "x_train": rows(x_train),
        "y_train": [float(v) for v in y_train],
        "x_test": rows(x_test),
        "cond": cond,
        "kernels": {
            "train": {"nngp": f64_rows(k_tr), "ntk": f64_rows(th_tr)},
            "cross": {"nngp": f64_rows(k_cr), "ntk": f64_rows(th_cr)},
            "test_nngp": f64_rows(k_tt),
        },
        "times": out,
    }
    log(f"predict {name}: {time.time() - t0:.1f} s (cond ntk {cond['ntk']:.3g}, nngp {cond['nngp']:.3g})")
    return case


def method_of(m):
    if m.quadrature:
        return "trapezoid_2d_longdouble"
    if m.act in SEMI_ANALYTIC:
        return "semi_analytic_mpmath"
    return "closed_form_mpmath"


def rel_err_of(m):
    """Estimated relative error of every T, Ṫ value (quadrature) or of the 40-digit arithmetic."""
    if m.quadrature:
        # The stored estimate is the difference of the last two rules (the last one is far
        # more accurate), floored at the extended-precision rounding of the sums.
        return max(m.max_rel_err, 1e-17)
    return 1e-30


# Hard spots for the kernel maps: (s1, s2, ρ).
VARIANCE_PAIRS = [(1e-6, 1e-6), (1e-6, 2.0), (0.3, 0.3), (1.0, 1.0), (0.7, 2.5), (5.0, 5.0), (10.0, 10.0), (30.0, 30.0), (2.0, 50.0)]
CORRELATIONS = [-1.0, -(1.0 - 1e-6), -0.7, 0.0, 0.3, 0.9, 1.0 - 1e-6, 1.0]
ALL_ACTS = ["relu", "leaky_relu:0.2", "erf", "identity", "sin", "gelu", "tanh", "softplus", "sigmoid"]


def kernel_map_cases(act):
    """T and Ṫ of one activation at every hard spot."""
    cases = []
    m = Map(act)
    t0 = time.time()
    for s1, s2 in VARIANCE_PAIRS:
        for rho in CORRELATIONS:
            # c is the float64 value the tests will pass; the reference is at that c.
            c = rho * s1 if s1 == s2 and rho in (1.0, -1.0) else rho * math.sqrt(s1 * s2)
            if act == "sin" and max(s1, s2) > 10:
                continue  # e^{-s} leaves nothing of interest to test
            m.max_rel_err = 0.0
            t, t_dot = m.pair(m.num(s1), m.num(s2), m.num(c))
            cases.append(
                {
                    "type": "kernel_map",
                    "act": act,
                    "s1": s1,
                    "s2": s2,
                    "c": c,
                    "rho": rho,
                    "t": f64(t),
                    "t_dot": f64(t_dot),
                    "method": method_of(m),
                    "rel_err": rel_err_of(m),
                }
            )
    log(f"kernel_map {act}: {time.time() - t0:.1f} s")
    return cases


def rng_points(seed, n, d, scale=1.0):
    r = np.random.default_rng(seed)
    return [[float(v) for v in r.normal(0.0, scale, d)] for _ in range(n)]


def extra_kernel_jobs():
    jobs = []
    x1, x2 = rng_points(11, 5, 2), rng_points(12, 3, 2)
    jobs.append((kernel_case, ("leaky_relu-d3", "leaky_relu:0.2", 3, 2.1, 0.1, x1, x2, "extra")))
    jobs.append((kernel_case, ("softplus-d2", "softplus", 2, 1.3, 0.2, x1, x2, "extra")))
    jobs.append((kernel_case, ("sigmoid-d3", "sigmoid", 3, 3.5, 0.05, x1, x2, "extra")))
    # Hard spots: antipodal points (ρ = -1 at every layer for odd φ with σ_b² = 0), collinear
    # points of different norms (ρ = +1, s₁ ≠ s₂), a repeated point (the symmetric diagonal).
    p = [0.8, -0.6]
    hard = [p, [-v for v in p], [2 * v for v in p], [0.3, 0.9]]
    for act, depth, sw2 in [("relu", 3, 2.0), ("erf", 3, 1.7), ("tanh", 3, 1.7), ("leaky_relu:0.2", 2, 1.9)]:
        jobs.append((kernel_case, (f"{act}-antipodal-d{depth}", act, depth, sw2, 0.0, hard, hard, "hard spot")))
    # Tiny and huge variances.
    xs = rng_points(13, 3, 3)
    jobs.append((kernel_case, ("tanh-tiny-variance", "tanh", 2, 1e-4, 1e-6, xs, xs, "hard spot")))
    jobs.append((kernel_case, ("erf-tiny-variance", "erf", 2, 1e-4, 1e-6, xs, xs, "hard spot")))
    jobs.append((kernel_case, ("tanh-huge-variance", "tanh", 2, 20.0, 1.0, xs, xs, "hard spot")))
    jobs.append((kernel_case, ("relu-huge-variance", "relu", 4, 30.0, 2.0, xs, xs, "hard spot")))
    return jobs


TIMES = [0.0, 1.0, 10.0, 100.0, None]


def extra_predict_jobs():
    jobs = []
    x_train, x_test = rng_points(21, 5, 2), rng_points(22, 4, 2)
    y_train = [math.sin(2 * x[0]) + 0.3 * x[1] for x in x_train]
    for act, depth, sw2, sb2 in [
        ("leaky_relu:0.2", 2, 1.9, 0.1),
        ("gelu", 2, 2.0, 0.1),
        ("softplus", 2, 1.5, 0.05),
        ("sigmoid", 2, 4.0, 0.1),
        ("sin", 2, 1.2, 0.1),
    ]:
        jobs.append((predict_case, (f"{act}-d{depth}", act, depth, sw2, sb2, x_train, y_train, x_test, TIMES, "extra")))
    return jobs


def nt_jobs(nt):
    """The neural-tangents fixture's inputs, recomputed here."""
    jobs = []
    for i, c in enumerate(nt["cases"]):
        src = f"nt_reference.json case {i}"
        name = f"nt-{c['act']}-d{c['depth']}"
        if c["type"] == "kernel":
            args = (name, c["act"], c["depth"], c["sw2"], c["sb2"], c["x1"], c["x2"], src)
            jobs.append((kernel_case, args))
        else:
            times = [t["time"] for t in c["times"]]
            args = (name, c["act"], c["depth"], c["sw2"], c["sb2"], c["x_train"], c["y_train"], c["x_test"], times, src)
            jobs.append((predict_case, args))
    return jobs


def job_cost(job):
    """A rough cost to schedule the slow jobs (gelu and quadrature predictions) first."""
    fn, args = job
    act = args[0] if fn is kernel_map_cases else args[1]
    weight = 10 if act in ("gelu", "tanh", "softplus", "sigmoid") else 1
    return weight * (3 if fn is predict_case else 1)


def run_job(job):
    fn, args = job
    out = fn(*args)
    return out if isinstance(out, list) else [out]


# ---------------------------------------------------------------- cross-checks

CHECK_POINTS = [(1.0, 1.0, 0.3), (0.4, 2.5, -0.7), (3.0, 0.2, 0.95), (1.3, 1.3, 1.0), (2.0, 0.7, -1.0), (0.5, 0.8, 0.0), (6.0, 9.0, 0.999)]


def checks(slow):
    results = []

    def record(what, ref, other, scale, bound):
        err = float(abs(to_mp(ref) - to_mp(other)) / to_mp(scale))
        ok = err <= bound
        results.append({"check": what, "rel_err": err, "bound": bound, "ok": ok})
        flag = "ok " if ok else "FAIL"
        log(f"  {flag} {what}: {err:.2e} (bound {bound:.0e})")

    log("checks: closed forms against 1-D semi-analytic quadrature (mpmath, 40 digits)")
    for act in ["relu", "leaky_relu:-1.5", "erf", "sin"]:
        name, slope = parse_act(act)
        for s1, s2, rho in CHECK_POINTS:
            s1m, s2m = mp.mpf(s1), mp.mpf(s2)
            c = rho * mp.sqrt(s1m * s2m)
            exact = closed_mp(name, slope, s1m, s2m, c)
            semi = semi_analytic_mp(name, slope, s1m, s2m, c)
            d1, d2 = closed_mp(name, slope, s1m, s1m, s1m), closed_mp(name, slope, s2m, s2m, s2m)
            scale = [mp.sqrt(abs(d1[k] * d2[k])) for k in (0, 1)]
            record(f"{act} T {s1},{s2},{rho}", exact[0], semi[0], scale[0], 1e-25)
            record(f"{act} Ṫ {s1},{s2},{rho}", exact[1], semi[1], scale[1], 1e-25)
    log("checks: extended-precision 2-D rule against closed forms (sin) and 1-D mpmath (diagonals)")
    for s1, s2, rho in CHECK_POINTS:
        c = rho * math.sqrt(s1 * s2)
        (t, t_dot), _ = expect2_ld("sin", s1, s2, c)
        s1m, s2m = mp.mpf(s1), mp.mpf(s2)
        exact = closed_mp("sin", None, s1m, s2m, to_mp(LD(c)))
        record(f"trapezoid sin T {s1},{s2},{rho}", exact[0], t, 1, 1e-17)
        record(f"trapezoid sin Ṫ {s1},{s2},{rho}", exact[1], t_dot, 1, 1e-17)
    for act in sorted(QUADRATURE):
        phi, dphi = mp_fns(act)
        for s in [1e-6, 0.3, 2.0, 9.0, 30.0]:
            (t, t_dot), _ = expect2_ld(act, s, s, s)
            a = mp.sqrt(mp.mpf(s))
            t_mp = std_normal_quad(lambda z: phi(a * z) ** 2)
            d_mp = std_normal_quad(lambda z: dphi(a * z) ** 2)
            record(f"trapezoid {act} diagonal T s={s}", t_mp, t, t_mp, 1e-17)
            record(f"trapezoid {act} diagonal Ṫ s={s}", d_mp, t_dot, d_mp, 1e-17)
    log("checks: sigmoid against tanh at Σ/4 (two 2-D rules)")
    for s1, s2, rho in CHECK_POINTS:
        c = rho * math.sqrt(s1 * s2)
        (ts, tds), _ = expect2_ld("sigmoid", s1, s2, c)
        (tt, tdt), _ = expect2_ld("tanh", LD(s1) / 4, LD(s2) / 4, LD(c) / 4)
        record(f"sigmoid = 1/4 + tanh(Σ/4)/4, T {s1},{s2},{rho}", ts, LD(0.25) + tt / 4, ts, 1e-17)
        record(f"sigmoid' = tanh'(Σ/4)/16, Ṫ {s1},{s2},{rho}", tds, tdt / 16, tds, 1e-17)
    if slow:
        log("checks (slow): tanh off-diagonal by nested mpmath quadrature at 20 digits")
        for s1, s2, rho in [(1.3, 2.1, 0.6), (6.0, 9.0, 0.999)]:
            c = rho * math.sqrt(s1 * s2)
            (t, _), _ = expect2_ld("tanh", s1, s2, c)
            with mp.workdps(20):
                a, b = mp.sqrt(mp.mpf(s1)), mp.sqrt(mp.mpf(s2))
                rr = to_mp(LD(c)) / (a * b)
                q = mp.sqrt((1 - rr) * (1 + rr))
                ref = std_normal_quad(lambda z1: mp.tanh(a * z1) * std_normal_quad(lambda z2: mp.tanh(b * (rr * z1 + q * z2))))
            record(f"trapezoid tanh T {s1},{s2},{rho} vs nested mpmath", ref, t, ref, 1e-17)
    return results


# ---------------------------------------------------------------- main


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(DATA, "reference_hp.json"))
    parser.add_argument("--slow-checks", action="store_true", help="add nested 2-D mpmath checks of tanh")
    parser.add_argument("--jobs", type=int, default=os.cpu_count(), help="worker processes")
    parser.add_argument("--skip-checks", action="store_true", help="write the JSON without cross-checks")
    args = parser.parse_args()
    if np.finfo(LD).eps > 1e-18:
        sys.exit("numpy.longdouble is not x87 extended precision on this machine; the quadrature needs it")
    start = time.time()
    with open(os.path.join(DATA, "nt_reference.json")) as f:
        nt = json.load(f)
    check_results = [] if args.skip_checks else checks(args.slow_checks)
    failed = [c for c in check_results if not c["ok"]]
    jobs = [(kernel_map_cases, (act,)) for act in ALL_ACTS] + nt_jobs(nt) + extra_kernel_jobs() + extra_predict_jobs()
    # Longest first keeps both cores busy to the end; the output keeps the job order.
    order = sorted(range(len(jobs)), key=lambda i: -job_cost(jobs[i]))
    with multiprocessing.Pool(args.jobs) as pool:
        results = dict(zip(order, pool.map(run_job, [jobs[i] for i in order], chunksize=1)))
    cases = [c for i in range(len(jobs)) for c in results[i]]
    doc = {
        "schema": SCHEMA_VERSION,
        "generator": "tools/references/generate.py",
        "versions": {"mpmath": mp.__version__, "numpy": np.__version__, "python": sys.version.split()[0]},
        "conventions": "docs/MATH.md: NTK parameterization, depth = hidden layers, sw2/sb2 variances, "
        "mean loss 1/(2N) Σ (f - y)², time = learning rate × steps (null = ∞)",
        "checks": check_results,
        "cases": cases,
    }
    with open(args.out, "w") as f:
        json.dump(doc, f, indent=None, separators=(",", ":"))
        f.write("\n")
    log(f"wrote {args.out}: {len(cases)} cases in {time.time() - start:.0f} s")
    if failed:
        sys.exit(f"{len(failed)} cross-checks failed: {[c['check'] for c in failed]}")


if __name__ == "__main__":
    main()
