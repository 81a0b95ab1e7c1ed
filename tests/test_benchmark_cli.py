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
