"""The benchmarks find MNIST where the course does, and say what to do when it is not there."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("script", ["bench_train.py", "bench_gradcheck.py"])
def test_without_mnist_a_benchmark_stops_with_the_loaders_advice(script, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "BPCOURSE_DATA"}
    env["XDG_CACHE_HOME"] = str(tmp_path)  # an empty user cache
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 2, done.stderr  # argparse's exit status for a usage error
    assert "no MNIST to measure with" in done.stderr
    assert "python -m bpcourse.datasets" in done.stderr  # load_mnist's advice, passed on
    assert done.stdout == ""  # stopped before the first line of a table


def test_bench_train_starts_and_reports_memory_as_n_a_without_resource(tmp_path):
    # Windows has neither the resource module nor /proc: the script must still start (the
    # test above runs it) and say "n/a" for memory instead of failing at import
    script = ROOT / "benchmarks" / "bench_train.py"
    code = ("import sys; sys.modules['resource'] = None; "
            f"sys.path.insert(0, {str(script.parent)!r})\n"
            "import bench_train as b\n"
            "print(b.mib(b.peak_mib()), b.mib(b.rss_mib()), b.mib(300.4))")
    env = {k: v for k, v in os.environ.items() if k != "BPCOURSE_DATA"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    peak, now, given = done.stdout.split()
    assert peak == "n/a" and given == "300"
    if Path("/proc/self/statm").exists():
        assert float(now) > 1  # MiB of a running Python with NumPy
    else:
        assert now == "n/a"


def test_bench_train_says_when_the_shell_pins_openblas_kernel(tmp_path):
    # some machines set OPENBLAS_CORETYPE for old OpenBLAS builds; the table must then say
    # that its verdicts time that kernel, and how to time the one a learner's machine picks.
    # The variables are set after NumPy has loaded OpenBLAS: the note only reads them, and
    # a Haswell kernel forced on another processor (an ARM one) need not load at all
    script = ROOT / "benchmarks" / "bench_train.py"
    code = (f"import os, sys; sys.path.insert(0, {str(script.parent)!r})\n"
            "import bench_train as b\n"
            "os.environ.update(OPENBLAS_CORETYPE='Haswell', OPENBLAS_L2_SIZE='512')\n"
            "print(b.pinned_kernel_note(['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'], "
            "'openblas 0.3.31 SkylakeX threads=2', ['--runs', '5', '--data-dir', 'my data']))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    note = done.stdout.strip()
    assert "OPENBLAS_CORETYPE=Haswell and OPENBLAS_L2_SIZE=512 are set in this shell" in note
    assert "threadpoolctl reports openblas 0.3.31 SkylakeX threads=2" in note
    # the same run's arguments, quoted for the shell, so the suggestion times the same thing
    assert note.endswith("env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "
                         "python benchmarks/bench_train.py --runs 5 --data-dir 'my data'")
