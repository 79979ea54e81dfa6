"""neural-tangents' analytic NNGP + NTK on the workload of `ntk bench theory`, and ours beside it.

    cargo build --release -p ntk-cli
    cargo xtask bench-peer kernels [--points 1000] [--depth 10] [--tanh-points 100,200,400]

Workload (as `ntk bench theory`): points x_ij = 1.5 sin((i+1)(0.618034 + 0.414214 j) + phase),
8 dimensions, phase 0 (rows) and 0.3 (columns); `Dense(W_std = √1.8, b_std = √0.1)`, then
(φ, Dense) × depth, NTK parameterization, float64, `jit(kernel_fn)` timed after compilation.
Closed forms: stax.Erf, Relu, LeakyRelu(0.1), Gelu(approximate=False), Sin, Identity. tanh has
no closed form in neural-tangents: `ElementwiseNumerical(jnp.tanh, deg=25)`, its suggested
25-point Gauss–Hermite rule, at the sizes given (its cost grows as deg² per entry).

Accuracy: on a 40 × 40 corner of the same points, neural-tangents' kernels against ours
(`ntk kernel`, which the Rust tests hold to 1e-10 of independent references), as the largest
difference relative to the entry's scale √(K(x,x) K(x',x')).

Ours: `target/release/ntk bench theory` on the same workload, run by this script, so both
appear in one report (machine, date and load are the same).
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import tempfile
import time

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import neural_tangents as nt  # noqa: E402
from neural_tangents import stax  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SW2, SB2 = 1.8, 0.1


def points(n, d, phase):
    i = np.arange(n)[:, None] + 1.0
    j = np.arange(d)[None, :]
    return np.sin(i * (0.618034 + j * 0.414214) + phase) * 1.5


def layer(name):
    return {
        "erf": lambda: stax.Erf(),
        "relu": lambda: stax.Relu(),
        "leaky_relu:0.1": lambda: stax.LeakyRelu(0.1),
        "gelu": lambda: stax.Gelu(approximate=False),
        "sin": lambda: stax.Sin(),
        "identity": lambda: stax.Identity(),
        "tanh": lambda: stax.ElementwiseNumerical(jnp.tanh, deg=25),
    }[name]()


def kernel_fn(name, depth):
    w, b = float(np.sqrt(SW2)), float(np.sqrt(SB2))
    layers = [stax.Dense(1, W_std=w, b_std=b, parameterization="ntk")]
    for _ in range(depth):
        layers += [layer(name), stax.Dense(1, W_std=w, b_std=b, parameterization="ntk")]
    fn = stax.serial(*layers)[2]
    return jax.jit(lambda x1, x2: fn(x1, x2, ("nngp", "ntk")))


def timed(name, depth, n, repeat):
    fn = kernel_fn(name, depth)
    x1, x2 = points(n, 8, 0.0), points(n, 8, 0.3)
    start = time.perf_counter()
    k = fn(x1, x2)
    k.ntk.block_until_ready()
    first = time.perf_counter() - start
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        k = fn(x1, x2)
        k.ntk.block_until_ready()
        runs.append(time.perf_counter() - start)
    return {
        "activation": name,
        "points": [n, n],
        "depth": depth,
        "seconds": [min(runs), max(runs)],
        "first_call_seconds (includes jit compilation)": first,
        "checksum": float(np.sum(np.asarray(k.ntk))),
    }


def ours_on(name, depth, x1, x2, ntk_binary):
    """Our kernels on the given points through `ntk kernel` (CSV in, JSON out)."""
    with tempfile.TemporaryDirectory() as tmp:
        f1, f2 = os.path.join(tmp, "x1.csv"), os.path.join(tmp, "x2.csv")
        for path, x in ((f1, x1), (f2, x2)):
            with open(path, "w") as out:
                out.write("\n".join(",".join(repr(float(v)) for v in row) for row in x) + "\n")
        args = [ntk_binary, "kernel", "--act", name, "--depth", str(depth), "--sw2", str(SW2), "--sb2", str(SB2),
                "--x1", f1, "--x2", f2]
        out = json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)
    return np.array(out["nngp"]), np.array(out["ntk"])


def accuracy(name, depth, ntk_binary, corner=40):
    x1, x2 = points(corner, 8, 0.0), points(corner, 8, 0.3)
    k = kernel_fn(name, depth)(x1, x2)
    k1 = kernel_fn(name, depth)(x1, x1)
    k2 = kernel_fn(name, depth)(x2, x2)
    ours = ours_on(name, depth, x1, x2, ntk_binary)
    result = {"activation": name, "entries": corner * corner}
    for key, theirs, mine, d1, d2 in (
        ("nngp", np.asarray(k.nngp), ours[0], np.diag(np.asarray(k1.nngp)), np.diag(np.asarray(k2.nngp))),
        ("ntk", np.asarray(k.ntk), ours[1], np.diag(np.asarray(k1.ntk)), np.diag(np.asarray(k2.ntk))),
    ):
        scale = np.sqrt(np.outer(d1, d2))
        result[f"max_difference_{key}"] = float(np.max(np.abs(theirs - mine) / scale))
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1000)
    parser.add_argument("--depth", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tanh-points", default="100,200,400")
    parser.add_argument("--ntk", default=os.path.join(ROOT, "target", "release", "ntk"))
    args = parser.parse_args()
    have_ntk = os.path.exists(args.ntk)

    report = {
        "date": datetime.date.today().isoformat(),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        "peer": f"jax {jax.__version__}, neural-tangents {nt.__version__}, float64, devices {jax.devices()}",
        "neural_tangents": [],
    }
    for name in ["erf", "relu", "leaky_relu:0.1", "gelu", "sin", "identity"]:
        report["neural_tangents"].append(timed(name, args.depth, args.points, args.repeat))
    for n in [int(v) for v in args.tanh_points.split(",") if v]:
        report["neural_tangents"].append(timed("tanh", args.depth, n, 1))
    if have_ntk:
        report["accuracy_against_ours"] = [accuracy(name, args.depth, args.ntk) for name in ["erf", "tanh"]]
        ours = subprocess.run(
            [args.ntk, "bench", "theory", "--points", str(args.points), "--depth", str(args.depth),
             "--repeat", str(args.repeat)],
            check=True, capture_output=True, text=True,
        ).stdout
        report["ours"] = json.loads(ours)
        by_name = {k["activation"]: k for k in report["ours"]["kernels"]}
        ratios = {
            r["activation"]: r["seconds"][0] / by_name[r["activation"]]["seconds"][0]
            for r in report["neural_tangents"]
            if r["activation"] in by_name and r["points"][0] == args.points
        }
        # tanh at the peer's sizes too.
        for r in report["neural_tangents"]:
            if r["activation"] == "tanh" and r["points"][0] != args.points:
                n = r["points"][0]
                mine = json.loads(subprocess.run(
                    [args.ntk, "bench", "theory", "--only", "tanh", "--points", str(n), "--depth", str(args.depth),
                     "--repeat", str(args.repeat), "--sample", "0"],
                    check=True, capture_output=True, text=True,
                ).stdout)["kernels"][0]
                report.setdefault("ours_tanh_at_peer_sizes", []).append(mine)
                ratios[f"tanh {n}x{n}"] = r["seconds"][0] / mine["seconds"][0]
        report["ratio (peer seconds / ours, minima, same points)"] = ratios
    else:
        report["ours"] = f"not run: build {args.ntk} first (cargo build --release -p ntk-cli)"
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
