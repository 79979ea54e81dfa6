"""The neural-tangents cookbook ensemble in JAX, timed like `ntk bench ensemble`.

Two hidden erf layers of width 512 (W_std 1.5, b_std 0.05: sigma_w^2 = 2.25, sigma_b^2 = 0.0025),
5 training points x ~ U[-pi, pi], y = sin x + 0.1 eps, full-batch gradient descent with learning
rate 0.1 on the mean loss 1/(2N) sum (f - y)^2, float32, vmapped over members and jit-compiled:
either the whole run as one `lax.scan` over steps ("scan") or one jit-compiled step per Python
call ("step", the cookbook's loop). Only training is timed (no per-step losses), after a warm-up
run of the same shapes (compilation). GFLOP/s count 6 * N * (weights) per step and member, the
count of `ntk bench ensemble`; also reported per CPU-second of the process (all threads), which
is what to compare on a machine busy with other work.

    cargo xtask bench-peer ensemble [--members 16] [--steps 2000] [--width 512]
                                    [--mode scan|step|both] [--repeats 3] [--threads 1]
"""
import argparse
import json
import os
import time

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("--members", type=int, default=16)
parser.add_argument("--steps", type=int, default=2000)
parser.add_argument("--width", type=int, default=512)
parser.add_argument("--mode", choices=["scan", "step", "both"], default="both")
parser.add_argument("--repeats", type=int, default=3)
parser.add_argument("--threads", type=int, default=0, help="1: single-threaded XLA (default: all cores)")
args = parser.parse_args()
if args.threads == 1:
    # Must be set before jax is imported.
    os.environ["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import neural_tangents as nt  # noqa: E402
from jax import grad, jit, lax, random, vmap  # noqa: E402
from neural_tangents import stax  # noqa: E402

N_TRAIN, LEARNING_RATE, W_STD, B_STD = 5, 0.1, 1.5, 0.05

init_fn, apply_fn, _ = stax.serial(
    stax.Dense(args.width, W_std=W_STD, b_std=B_STD), stax.Erf(),
    stax.Dense(args.width, W_std=W_STD, b_std=B_STD), stax.Erf(),
    stax.Dense(1, W_std=W_STD, b_std=B_STD),
)

key = random.PRNGKey(10)
key, x_key, y_key = random.split(key, 3)
x_train = random.uniform(x_key, (N_TRAIN, 1), minval=-np.pi, maxval=np.pi)
y_train = jnp.sin(x_train) + 0.1 * random.normal(y_key, (N_TRAIN, 1))


def loss(params):
    """Mean loss 1/(2N) sum (f(x_i) - y_i)^2."""
    return 0.5 * jnp.mean((apply_fn(params, x_train) - y_train) ** 2)


def sgd_step(params, _=None):
    g = grad(loss)(params)
    return jax.tree_util.tree_map(lambda p, d: p - LEARNING_RATE * d, params, g), None


def members_params(seed):
    keys = random.split(random.PRNGKey(seed), args.members)
    return vmap(lambda k: init_fn(k, (-1, 1))[1])(keys)


train_scan = jit(vmap(lambda p: lax.scan(sgd_step, p, None, length=args.steps)[0]))
step_all = jit(vmap(lambda p: sgd_step(p)[0]))


def run(mode, params):
    if mode == "scan":
        out = train_scan(params)
    else:
        out = params
        for _ in range(args.steps):
            out = step_all(out)
    jax.block_until_ready(out)
    return out


weights = 1 * args.width + args.width * args.width + args.width
flop = 6.0 * N_TRAIN * weights * args.steps * args.members
modes = ["scan", "step"] if args.mode == "both" else [args.mode]
results = {}
for mode in modes:
    run(mode, members_params(0))  # compile and warm up
    seconds, cpu = [], []
    for r in range(args.repeats):
        params = members_params(1 + r)
        jax.block_until_ready(params)
        start, cpu_start = time.perf_counter(), time.process_time()
        final = run(mode, params)
        seconds.append(time.perf_counter() - start)
        cpu.append(time.process_time() - cpu_start)
    final_loss = float(jnp.mean(vmap(loss)(final)))
    results[mode] = {
        "wall_seconds": seconds,
        "gflop_per_second": [flop / s / 1e9 for s in seconds],
        # CPU time of all threads of the process during the timed run: on a loaded machine
        # FLOP per CPU-second compares implementations better than wall time.
        "cpu_seconds": cpu,
        "gflop_per_cpu_second": [flop / c / 1e9 for c in cpu],
        "final_train_loss_mean": final_loss,
    }
best = max(max(r["gflop_per_second"]) for r in results.values())
print(json.dumps({
    "benchmark": "ensemble (neural-tangents cookbook), JAX peer",
    "jax": jax.__version__,
    "neural_tangents": nt.__version__,
    "devices": [str(d) for d in jax.devices()],
    "threads": "1" if args.threads == 1 else "all",
    "members": args.members,
    "steps": args.steps,
    "width": args.width,
    "precision": str(jnp.zeros(1).dtype),
    "gflop": flop / 1e9,
    "flop_count": "6 x N x weights per step and member, N = 5",
    "modes": results,
    "best_gflop_per_second": best,
}))
