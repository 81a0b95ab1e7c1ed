"""Settings for running the notebooks under nbval (pytest loads this before any kernel starts).

One BLAS thread: the stored outputs were made that way (.ci/refresh_notebooks.py sets the
same), and it is the faster setting for these small matrices. A product summed by two
threads rounds differently, but the only printed digits that this reaches are lesson 6's
float32 ones, which differ between computers anyway and which nbval compares in form only
(tests/nbval-sanitize.cfg); with two threads every notebook passed too.

The kernels must import this repository's bpcourse. A kernel runs inside notebooks/ and
imports whatever copy the environment has installed; with a venv installed from another
clone, every ``show_source`` cell fails with a diff of docstrings that looks like a bug in
this one (and pytest's own process imports that other copy too). So before the first test
the session asks where a kernel's ``import bpcourse`` leads, and stops with the fix if it
is not here. tests/test_notebook_replay.py, which starts kernels of its own, asks the same.

A notebook that loads MNIST (lesson 6) is skipped, saying why, when MNIST is neither on
this computer nor to be downloaded: offline, before the data has been fetched, nbval would
otherwise report one MnistNotFoundError and a NameError in every cell after it, which reads
as a broken course. With BPCOURSE_DATA set (as CI sets it) it is never skipped: a wrong
folder there must fail.
"""

import ast
import json
import os
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parent
PACKAGE = NOTEBOOKS.parent / "bpcourse"
# VECLIB_MAXIMUM_THREADS: Apple's Accelerate, which NumPy's macOS wheels may use
BLAS_THREADS = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                "VECLIB_MAXIMUM_THREADS": "1"}


@cache
def kernel_package_problem():
    """Why a kernel started in notebooks/ would not run this repository's bpcourse, or None.

    nbval's --nbval-current-env starts the kernels with this very Python, in the notebook's
    folder, with this environment: a child process started the same way finds the same copy.
    """
    # The child prints ascii() of the path, plain ASCII whatever letters the path has: on
    # Windows a pipe encodes in the ANSI code page, and printing a letter outside it (an
    # L with stroke on a Western European Windows, say) would crash the child.
    found = subprocess.run(
        [sys.executable, "-c", "import bpcourse; print(ascii(bpcourse.__file__))"],
        cwd=NOTEBOOKS, capture_output=True, text=True, errors="replace", check=False,
    )
    if found.returncode != 0:
        error = found.stderr.strip().splitlines()[-1:]  # e.g. ModuleNotFoundError: ...
        where = f"cannot import bpcourse at all ({error[0] if error else 'no error text'})"
    else:
        folder = Path(ast.literal_eval(found.stdout.strip().splitlines()[-1])).resolve().parent
        if folder == PACKAGE:
            return None
        where = f"would import bpcourse from {folder}"
    # One command with the folder in double quotes works in cmd, both PowerShells (5.1 has
    # no &&) and POSIX shells, spaces and all.
    return (f"a notebook kernel ({sys.executable}, started in {NOTEBOOKS}) {where}, "
            f"not from this repository's {PACKAGE}. Install this clone into the "
            f'environment: pip install -e "{PACKAGE.parent}"')


def pytest_sessionstart(session):
    os.environ.update(BLAS_THREADS)  # inherited by the kernels nbval starts
    problem = kernel_package_problem()
    if problem is not None:
        pytest.exit(problem, returncode=pytest.ExitCode.USAGE_ERROR)


def loads_mnist(path):
    """True if a code cell of the notebook at ``path`` calls load_mnist."""
    cells = json.loads(Path(path).read_text(encoding="utf-8"))["cells"]
    return any(cell["cell_type"] == "code" and "load_mnist(" in "".join(cell["source"])
               for cell in cells)


@cache
def mnist_missing():
    """Why MNIST cannot be had (a skip reason), or None if it can, or BPCOURSE_DATA is set.

    Loads it as the notebook will, downloading it if need be: the notebook then finds it in
    the cache.
    """
    if os.environ.get("BPCOURSE_DATA"):
        return None
    from bpcourse import datasets

    try:
        datasets.load_mnist()
    except datasets.MnistNotFoundError as error:
        offline = " (it looks like this computer is offline)" if "offline" in str(error) else ""
        return (f"this notebook trains on MNIST, which is not on this computer and could not "
                f"be downloaded{offline}: run `python -m bpcourse.datasets` once with "
                "internet, or set BPCOURSE_DATA to a folder with the four MNIST .gz files "
                "(README: MNIST)")
    return None


def pytest_collection_modifyitems(config, items):
    needs_mnist = {}
    for item in items:
        path = Path(item.path)
        if path.suffix != ".ipynb":
            continue
        if path not in needs_mnist:
            needs_mnist[path] = loads_mnist(path)
        if needs_mnist[path] and mnist_missing() is not None:
            item.add_marker(pytest.mark.skip(reason=mnist_missing()))
