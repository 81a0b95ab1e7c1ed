"""How fast does load_mnist() get the full MNIST, with the default flags?

    python benchmarks/bench_mnist.py [--data-dir DIR] [--runs N]

* cold: from the four .gz files (decompress, SHA-256, parse, write the array cache),
  each run with a fresh, empty cache folder;
* warm: from the array cache that the cold runs left.

Prints the best of ``--runs`` runs of each against its target (cold < 1 s, warm < 0.2 s)
and exits with status 1 if one is missed. The data comes from ``--data-dir`` or
``$BPCOURSE_DATA``; downloads are switched off, so nothing here touches the network.
This is a benchmark to run by hand, not a timed test.
"""

import argparse
import os
import sys
import tempfile
import time

from bpcourse import datasets

TARGETS = {"cold": 1.0, "warm": 0.2}  # seconds


def best_time(load, runs, before=None):
    times = []
    for _ in range(runs):
        if before is not None:
            before()
        start = time.perf_counter()
        load()
        times.append(time.perf_counter() - start)
    return min(times), sorted(times)[len(times) // 2]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=os.environ.get("BPCOURSE_DATA"))
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    if not args.data_dir:
        parser.error("give --data-dir or set BPCOURSE_DATA to a folder with the four .gz files")
    datasets.MIRRORS = []  # a benchmark that downloads would measure the network

    def load():
        return datasets.load_mnist(data_dir=args.data_dir)

    with tempfile.TemporaryDirectory() as scratch:
        runs = iter(range(args.runs))

        def fresh_cache():
            os.environ["XDG_CACHE_HOME"] = os.path.join(scratch, str(next(runs)))

        results = {
            "cold": best_time(load, args.runs, before=fresh_cache),
            "warm": best_time(load, args.runs),
        }
    print(f"load_mnist() of the full MNIST, default flags; best and median of {args.runs} runs")
    print(f"{'case':6} {'best':>8} {'median':>8} {'target':>8}  met")
    missed = False
    for case, (best, median) in results.items():
        ok = best < TARGETS[case]
        missed |= not ok
        print(
            f"{case:6} {best:7.3f}s {median:7.3f}s {'< ' + str(TARGETS[case]) + 's':>8}  "
            f"{'yes' if ok else 'NO'}"
        )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
