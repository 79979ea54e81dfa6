"""Regenerates the neural-tangents peer fixture (crates/ntk-core/tests/data/nt_reference.json)
from its own inputs, and reports how far the result is from the committed numbers.

    cargo xtask bench-peer nt_fixture [--out FILE]

Conventions of docs/MATH.md: NTK parameterization, `Dense(W_std = √sw2, b_std = √sb2)`, depth
hidden layers, readout Dense; mean-squared loss, time t = η·k (neural-tangents'
`gradient_descent_mse_ensemble` with learning_rate 1, `t` = time, `null` = ∞). tanh has no
closed form in neural-tangents: `ElementwiseNumerical(tanh, deg=150)` (150-point Gauss–Hermite).
The high-precision values these are compared with come from tools/references/generate.py.
"""

import argparse
import json
import os

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import neural_tangents as nt  # noqa: E402
from neural_tangents import stax  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURE = os.path.join(ROOT, "crates", "ntk-core", "tests", "data", "nt_reference.json")


def activation(name):
    if name == "relu":
        return stax.Relu()
    if name == "erf":
        return stax.Erf()
    if name == "identity":
        return stax.Identity()
    if name == "sin":
        return stax.Sin()
    if name == "gelu":
        return stax.Gelu(approximate=False)
    if name == "tanh":
        return stax.ElementwiseNumerical(jnp.tanh, deg=150)
    if name.startswith("leaky_relu"):
        return stax.LeakyRelu(float(name.split(":")[1]) if ":" in name else 0.01)
    raise ValueError(name)


def kernel_fn(case):
    w, b = float(np.sqrt(case["sw2"])), float(np.sqrt(case["sb2"]))
    layers = [stax.Dense(512, W_std=w, b_std=b, parameterization="ntk")]
    for _ in range(case["depth"]):
        layers += [activation(case["act"]), stax.Dense(512, W_std=w, b_std=b, parameterization="ntk")]
    layers[-1] = stax.Dense(1, W_std=w, b_std=b, parameterization="ntk")
    return stax.serial(*layers)[2]


def kernel_case(case):
    k = kernel_fn(case)(np.array(case["x1"]), np.array(case["x2"]), ("nngp", "ntk"))
    return {"nngp": np.asarray(k.nngp).tolist(), "ntk": np.asarray(k.ntk).tolist()}


def predict_case(case):
    x, y, xs = np.array(case["x_train"]), np.array(case["y_train"])[:, None], np.array(case["x_test"])
    predict = nt.predict.gradient_descent_mse_ensemble(kernel_fn(case), x, y, diag_reg=0.0)
    times = []
    for t in [c["time"] for c in case["times"]]:
        out = {"time": t}
        for get in ("nngp", "ntk"):
            mean, cov = predict(t=None if t is None else float(t), x_test=xs, get=get, compute_cov=True)
            out[get] = {"mean": np.asarray(mean)[:, 0].tolist(), "var": np.diag(np.asarray(cov)).tolist()}
        times.append(out)
    return {"times": times}


def max_rel(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = float(np.max(np.abs(b)))
    return float(np.max(np.abs(a - b))) / (scale if scale > 0 else 1.0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", help="write the regenerated fixture here")
    args = parser.parse_args()
    with open(FIXTURE) as f:
        fixture = json.load(f)
    cases = []
    for case in fixture["cases"]:
        new = dict(case)
        if case["type"] == "kernel":
            new.update(kernel_case(case))
            diffs = {k: max_rel(new[k], case[k]) for k in ("nngp", "ntk")}
        else:
            new.update(predict_case(case))
            diffs = {}
            for tn, to in zip(new["times"], case["times"]):
                for get in ("nngp", "ntk"):
                    for q in ("mean", "var"):
                        key = f"t={tn['time']} {get} {q}"
                        diffs[key] = max_rel(tn[get][q], to[get][q])
        worst = max(diffs.values())
        print(f"{case['type']} {case['act']} depth {case['depth']}: largest relative difference from the committed fixture {worst:.2e}")
        for k, v in diffs.items():
            if v > 1e-12:
                print(f"    {k}: {v:.2e}")
        cases.append(new)
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"cases": cases}, f)
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
