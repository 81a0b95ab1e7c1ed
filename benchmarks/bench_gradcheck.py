"""How fast is notebook 6's full gradient check, batched against the element-by-element loop?

    python benchmarks/bench_gradcheck.py [--data-dir DIR] [--runs N] [--table-rows]

Checks all 39,760 parameters of TwoLayerNet(784, 50, 10) (float64, seed 0) on the first 3
MNIST training images, as the notebook does: ``gradient_check(..., method="batched")``
(the default), best of ``--runs``, and ``method="loop"`` once. Prints both times, their
ratio, the largest entry-by-entry difference between the two numerical gradients, and the
mean absolute differences each method reports (the numbers the notebook prints).
``--table-rows`` prints only markdown rows, for benchmarks/bench_train.py's table.
The data comes from ``--data-dir``, $BPCOURSE_DATA or the user cache that
``python -m bpcourse.datasets`` fills; nothing is downloaded.
This is a benchmark to run by hand, not a timed test.
"""

import argparse
import os
import time

import numpy as np

from bpcourse import TwoLayerNet, datasets
from bpcourse.gradient import batched_numerical_gradient, compare_gradients, gradient_check


def timed(function, runs):
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=os.environ.get("BPCOURSE_DATA"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--table-rows", action="store_true")
    args = parser.parse_args(argv)
    datasets.MIRRORS = []  # a benchmark that downloads would measure the network
    try:
        (x_train, t_train), _ = datasets.load_mnist(normalize=True, data_dir=args.data_dir)
    except datasets.MnistError as exc:
        parser.error(f"no MNIST to measure with (a benchmark never downloads it):\n{exc}")
    x, t = x_train[:3].astype(np.float64), t_train[:3]
    network = TwoLayerNet(784, 50, 10, rng=0)
    size = sum(p.size for p in network.params.values())

    batched_s, batched = timed(lambda: gradient_check(network, x, t), args.runs)

    def loop_check():  # gradient_check(network, x, t, method="loop"), keeping the gradient
        analytic = network.gradient(x, t)
        numerical = network.numerical_gradient(x, t)
        return compare_gradients(analytic, numerical), numerical

    loop_s, (loop, loop_numerical) = timed(loop_check, 1)
    batched_numerical = batched_numerical_gradient(network, x, t)
    worst = max(float(np.max(np.abs(batched_numerical[k] - loop_numerical[k])))
                for k in loop_numerical)
    digits = {k: (f"{batched[k].mean_abs:.2g}", f"{loop[k].mean_abs:.2g}") for k in loop}
    agree = all(b == n for b, n in digits.values())
    shown = ", ".join(f"{k} {b} / {n}" for k, (b, n) in digits.items())

    rows = [
        f"| full gradient check, batched (the default) | {batched_s:.3f} s | {size:,} "
        f"parameters, 3 MNIST images, float64; best of {args.runs} |",
        f"| full gradient check, loop (`numerical_gradient`) | {loop_s:.2f} s | "
        f"{loop_s / batched_s:.0f}x the batched time; the numerical gradients differ by at "
        f"most {worst:.1e} in any entry |",
        f"| mean abs differences, batched / loop | | {shown}; "
        f"{'same' if agree else 'NOT the same'} at 2 significant digits |",
    ]
    if not args.table_rows:
        print("| check | time | note |\n|---|---:|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
