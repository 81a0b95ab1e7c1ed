"""Settings for running the notebooks under nbval (pytest loads this before any kernel starts).

One BLAS thread: the stored outputs were made that way (.ci/refresh_notebooks.py sets the
same), and it is the faster setting for these small matrices. A product summed by two
threads rounds differently, but the only printed digits that this reaches are lesson 6's
float32 ones, which differ between computers anyway and which nbval compares in form only
(tests/nbval-sanitize.cfg); with two threads every notebook passed too.

The kernels must import this repository's bpcourse. The tests import it from the working
folder, but a kernel runs inside notebooks/ and imports whatever copy is installed: with a
venv installed from another clone, every ``show_source`` cell then fails with a diff of
docstrings that looks like a bug in this one. So the first notebook cell checks where a
kernel's ``import bpcourse`` leads, and stops the run with the fix if it is not here.
"""

import os
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = "1"  # inherited by the kernels nbval starts

NOTEBOOKS = Path(__file__).resolve().parent
PACKAGE = NOTEBOOKS.parent / "bpcourse"


@cache
def kernel_package_problem():
    """Why a kernel started in notebooks/ would not run this repository's bpcourse, or None.

    nbval's --nbval-current-env starts the kernels with this very Python, in the notebook's
    folder, with this environment: a child process started the same way finds the same copy.
    """
    found = subprocess.run(
        [sys.executable, "-c", "import bpcourse; print(bpcourse.__file__)"],
        cwd=NOTEBOOKS, capture_output=True, text=True, check=False,
    )
    if found.returncode != 0:
        where = "cannot import bpcourse at all"
    else:
        folder = Path(found.stdout.strip()).resolve().parent
        if folder == PACKAGE:
            return None
        where = f"would import bpcourse from {folder}"
    return (f"a notebook kernel ({sys.executable}, started in {NOTEBOOKS}) {where}, "
            f"not from this repository's {PACKAGE}. Install this clone into the "
            f"environment: cd {PACKAGE.parent} && pip install -e .")


def pytest_runtest_setup(item):
    problem = kernel_package_problem()
    if problem is not None:
        pytest.exit(problem, returncode=pytest.ExitCode.USAGE_ERROR)
