"""How fast does the course train MNIST, against a textbook-style NumPy version and PyTorch?

    python benchmarks/bench_train.py [--data-dir DIR] [--threads N|default] [--runs N]
                                     [--no-torch] [--nbval-time]

Prints one table, measured in one run: training with the book's settings by the course,
by chapter 5's code written out in our own words (textbook_net.py), once with the chosen
BLAS threads and once with NumPy's own choice, and by PyTorch CPU autograd (if torch
imports), likewise twice, each in a fresh subprocess, with final test accuracy (they must
agree within 0.5 points, else FAIL and exit status 1) and peak memory; the targets met or
missed against the fastest run of each; notebook 6's full gradient check, batched against
the loop; ``import bpcourse``; and with --nbval-time, ``pytest notebooks/``. ``--threads``
(default 1) sets the BLAS/OpenMP threads of every subprocess except the rows that say
they use their own thread choice, and the course's, which run as a learner's would, with
no thread variables set (``train`` itself asks BLAS for one thread); the notebooks under
--nbval-time always get one thread from notebooks/conftest.py. If the shell sets
OPENBLAS_CORETYPE or OPENBLAS_L2_SIZE, a second course row runs with them unset, and a note
says how to run every row that way.
benchmarks/README.md says what each row means and why one thread.
The data comes from ``--data-dir``, $BPCOURSE_DATA or the user cache that
``python -m bpcourse.datasets`` fills; nothing is downloaded.
This is a benchmark to run by hand, not a timed test.
"""

import argparse
import json
import math
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from textbook_net import SEED, SETTINGS, clock, since, train_reference

ROOT = Path(__file__).resolve().parents[1]
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
               "VECLIB_MAXIMUM_THREADS")  # the last for Apple's Accelerate


def train_torch(x_train, t_train, x_test, t_test, init, threads):
    import torch

    if threads != "default":
        torch.set_num_threads(int(threads))
    x, t = torch.from_numpy(x_train), torch.from_numpy(t_train.astype(np.int64))
    xt, tt = torch.from_numpy(x_test), torch.from_numpy(t_test.astype(np.int64))
    params = {key: torch.tensor(value, requires_grad=True) for key, value in init.items()}
    optimizer = torch.optim.SGD(params.values(), lr=SETTINGS["learning_rate"])
    iters, batch_size, _ = SETTINGS.values()
    batches = torch.from_numpy(
        np.random.default_rng(SEED).integers(0, len(x_train), size=(iters, batch_size)))
    iter_per_epoch = max(len(x_train) // batch_size, 1)

    def predict(v):
        return torch.relu(v @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"]

    start = clock()
    for i, batch in enumerate(batches):
        loss = torch.nn.functional.cross_entropy(predict(x[batch]), t[batch])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        loss.item()  # what the course records every iteration
        if i % iter_per_epoch == 0 or i == iters - 1:
            with torch.inference_mode():
                (predict(x).argmax(dim=1) == t).float().mean().item()
                test_acc = (predict(xt).argmax(dim=1) == tt).float().mean().item()
    return (*since(start), float(test_acc), torch.__version__)


# --- one measurement, in a fresh process ------------------------------------------------------

def rss_mib():
    """Resident memory now, MiB; nan where there is no /proc (macOS, Windows)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return math.nan


def peak_mib():
    """Peak resident memory so far, MiB; nan on Windows, which has no ``resource``."""
    try:
        import resource  # here, not at the top: the script must start on Windows too
    except ImportError:
        return math.nan
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes there, KiB here


def mib(value):
    return "n/a" if math.isnan(value) else f"{value:.0f}"


def worker(kind, data_dir, threads):
    from bpcourse import TwoLayerNet, datasets, train

    datasets.MIRRORS = []  # a benchmark that downloads would measure the network
    (x_train, t_train), (x_test, t_test) = datasets.load_mnist(normalize=True, data_dir=data_dir)
    result = {"baseline_rss": rss_mib(), "baseline_peak": peak_mib()}
    if kind == "torch":
        import torch  # noqa: F401  (after the baseline, before the clocks)
    dtype = np.float64 if kind == "reference" else np.float32
    network = TwoLayerNet(784, 50, 10, weight_init_std=0.01, rng=SEED, dtype=dtype)
    if kind == "course":
        start = clock()
        history = train(network, x_train, t_train, x_test, t_test, seed=SEED, verbose=False,
                        **SETTINGS)
        result["seconds"], result["cpu"] = since(start)
        result["test_acc"] = history.test_acc[-1]
    elif kind == "reference":
        result["seconds"], result["cpu"], result["test_acc"] = train_reference(
            x_train, t_train, x_test, t_test, network.params)
    else:
        (result["seconds"], result["cpu"], result["test_acc"],
         result["version"]) = train_torch(x_train, t_train, x_test, t_test, network.params,
                                          threads)
    result.update(peak=peak_mib(), blas=blas_info())
    print(json.dumps(result))


def blas_info():
    from threadpoolctl import threadpool_info  # a dependency of bpcourse

    return "; ".join(f"{p.get('internal_api')} {p.get('version')} {p.get('architecture')} "
                     f"threads={p.get('num_threads')}" for p in threadpool_info())


def pinned_kernel_note(blas_vars, unpinned_blas, argv):
    """What the rows mean when the shell sets OpenBLAS's kernel or cache size.

    Some machines set them, most likely for older OpenBLAS builds; most machines set
    neither, so the verdicts would then time a kernel those machines do not use. ``argv``:
    this run's arguments, repeated in the command the note suggests.
    """
    settings = " and ".join(f"{var}={os.environ.get(var, '')}" for var in blas_vars)
    unset = " ".join(f"-u {var}" for var in blas_vars)
    command = " ".join(["python", "benchmarks/bench_train.py", *map(shlex.quote, argv)])
    return (f"Note: {settings} are set in this shell, for every row but the second; with "
            f"them unset, threadpoolctl reports {unpinned_blas}. To time every row that "
            f"way, as on a machine that sets neither: env {unset} {command}")


def child_env(threads, unset=()):
    env = {key: value for key, value in os.environ.items() if key not in unset}
    for var in THREAD_VARS:
        if threads == "default":
            env.pop(var, None)
        else:
            env[var] = str(threads)
    return env


def run(args, *cmd, unset=(), threads=None):
    """stdout of ``python *cmd`` in a fresh process with the chosen thread settings."""
    threads = args.threads if threads is None else threads
    done = subprocess.run([sys.executable, *cmd], capture_output=True, text=True, cwd=ROOT,
                          env=child_env(threads, unset))
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def measure(args, runs):
    """{label: best result} of each (label, kind, unset, threads) in ``runs``, round-robin."""
    results = {label: [] for label, *_ in runs}
    for _ in range(args.runs):  # interleaved, so a busy spell hits every trainer alike
        for label, kind, unset, threads in runs:
            out = run(args, __file__, "--worker", kind, *data_option(args),
                      "--threads", threads, unset=unset, threads=threads)
            results[label].append(json.loads(out.splitlines()[-1]))
    return {label: {**min(rs, key=lambda r: r["seconds"]),
                    "median": float(np.median([r["seconds"] for r in rs])),
                    "peak": max(r["peak"] for r in rs),
                    "baseline_peak": max(r["baseline_peak"] for r in rs)}
            for label, rs in results.items()}


def data_option(args):
    """The --data-dir to pass on, if given; else the children look where load_mnist does."""
    return ["--data-dir", args.data_dir] if args.data_dir else []


def require_mnist(parser, data_dir):
    """Stop with load_mnist's own advice, before any timing, if MNIST is not on disk."""
    from bpcourse import datasets

    datasets.MIRRORS = []
    try:
        datasets.load_mnist(data_dir=data_dir)
    except datasets.MnistError as exc:
        parser.error(f"no MNIST to measure with (a benchmark never downloads it):\n{exc}")


def import_seconds(args, statement, repeats=7):
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    return min(float(run(args, "-c", code)) for _ in range(repeats))


def nbval_row(args):
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "notebooks/"], cwd=ROOT,
                          capture_output=True, text=True, env=child_env(args.threads))
    # the last line of either: a table row must stay on one line
    summary = (done.stdout.strip().splitlines() or done.stderr.strip().splitlines()
               or ["no output"])[-1][-200:]
    if done.returncode:  # a failed or missing pytest is no timing (needs the "test" extra)
        summary = f"FAILED, exit status {done.returncode}: {summary}"
    return f"| `pytest notebooks/` (nbval) | {time.perf_counter() - start:.1f} s | {summary} |"


def print_targets(rows, runs):
    """The issue's training targets, against the fastest run of each other trainer.

    The verdict compares fastest runs; the ratio of the median runs beside it shows how
    much a busy spell on the machine could move that verdict.
    """
    course = rows[runs[0][0]]
    for kind, name, target in (("reference", "the textbook-style version", 5.0),
                               ("torch", "PyTorch CPU", 1.0)):
        of_kind = [rows[label] for label, k, *_ in runs if k == kind]
        if of_kind:
            other = min(of_kind, key=lambda r: r["seconds"])
            ratio = other["seconds"] / course["seconds"]
            speed = f"{ratio:.2f}x faster" if ratio >= 1 else f"{1 / ratio:.2f}x slower"
            print(f"course against {name} at its fastest: {speed} "
                  f"(target {target:g}x: {'met' if ratio >= target else 'MISSED'}; "
                  f"median runs: {other['median'] / course['median']:.2f}x)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=os.environ.get("BPCOURSE_DATA"))
    parser.add_argument("--threads", default="1", help="a number, or 'default'")
    parser.add_argument("--runs", type=int, default=1, help="best of N runs of each trainer")
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--nbval-time", action="store_true")
    parser.add_argument("--worker", choices=["course", "reference", "torch"],
                        help=argparse.SUPPRESS)
    argv = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args.worker, args.data_dir, args.threads)
    require_mnist(parser, args.data_dir)

    load = os.getloadavg()[0]
    print(f"{os.cpu_count()} cores, load average {load:.1f} at start"
          + (" (busy: times are inflated)" if load > 0.5 else "")
          + f"; BLAS threads: {args.threads} (the course: see its row); "
          + f"best of {args.runs} run(s); numpy {np.__version__}")
    threads = args.threads
    # no thread variables for the course: train() sets BLAS's threads itself, and this row
    # shows that a learner who sets nothing gets this speed
    runs = [("course: `bpcourse.train`, float32, no thread variables set", "course", (),
             "default")]
    blas_vars = [var for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if var in os.environ]
    unpinned = f"course, with {' and '.join(blas_vars)} unset"
    if blas_vars:
        runs.append((unpinned, "course", blas_vars, "default"))
    runs.append(("textbook-style NumPy, float64", "reference", (), threads))
    if threads != "default":
        # the course measures accuracy in a second thread, so it can use both cores; this
        # row lets the reference use them too, the only way its code can: BLAS threads
        runs.append(("textbook-style NumPy, float64, BLAS threads as NumPy chooses",
                     "reference", (), "default"))
    torch_note = None
    if args.no_torch:
        torch_note = "PyTorch: skipped (--no-torch)"
    elif subprocess.run([sys.executable, "-c", "import torch"], capture_output=True).returncode:
        torch_note = "PyTorch: skipped, torch is not importable (pip install -e '.[bench]')"
    else:
        runs.append(("PyTorch CPU autograd, float32", "torch", (), threads))
        if threads != "default":  # both cores, as for the reference: PyTorch's own threads
            runs.append(("PyTorch CPU autograd, float32, threads as PyTorch chooses", "torch",
                         (), "default"))
    rows = measure(args, runs)
    course = rows[runs[0][0]]
    print(f"BLAS as threadpoolctl reports it in the course's process, outside train(): "
          f"{course['blas']}")
    if blas_vars:
        print(pinned_kernel_note(blas_vars, rows[unpinned]["blas"], argv))

    failed = False
    print("\n| run | wall s | CPU s | times the course's: wall / CPU | final test acc "
          "| peak RSS MiB | after loading NumPy + data: RSS / peak MiB |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, r in rows.items():
        off = abs(r["test_acc"] - course["test_acc"]) > 0.005
        failed |= off
        name += f" ({r['version']})" if "version" in r else ""
        print(f"| {name} | {r['seconds']:.2f} | {r['cpu']:.2f} | "
              f"{r['seconds'] / course['seconds']:.2f}x / {r['cpu'] / course['cpu']:.2f}x | "
              f"{r['test_acc']:.4f}{' FAIL: >0.5 points from the course' if off else ''} | "
              f"{mib(r['peak'])} | {mib(r['baseline_rss'])} / {mib(r['baseline_peak'])} |")
    if torch_note:
        print(torch_note)
    print_targets(rows, runs)

    print("\n| other | time | note |\n|---|---:|---|")
    print(run(args, str(ROOT / "benchmarks" / "bench_gradcheck.py"), *data_option(args),
              "--table-rows").rstrip())
    bare = import_seconds(args, "import bpcourse")
    used = import_seconds(args, "import bpcourse; bpcourse.TwoLayerNet")
    print(f"| `import bpcourse` | {bare * 1000:.1f} ms | fresh interpreter, best of 7; "
          f"with NumPy (first use of `bpcourse.TwoLayerNet`): {used * 1000:.0f} ms |")
    print(nbval_row(args) if args.nbval_time else
          "| `pytest notebooks/` (nbval) | not run | pass --nbval-time |")
    if failed:
        print("FAIL: final test accuracies differ by more than 0.5 points")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
