"""The notebooks as the tests read them: their cells, and notebooks/conftest.py as a module."""

import contextlib
import functools
import importlib.util
import io
import json
import warnings
from pathlib import Path

import matplotlib.pyplot  # noqa: F401  (see run_cell)
import numpy as np

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
PATH = NOTEBOOKS / "conftest.py"


def notebook_conftest():
    """A fresh copy of that module: its hooks are not registered, so nothing runs on import."""
    spec = importlib.util.spec_from_file_location("notebook_conftest", PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@functools.cache
def notebook_cells(notebook):
    """The cells of notebooks/``notebook`` as stored, read once per test run."""
    return tuple(json.loads((NOTEBOOKS / notebook).read_text(encoding="utf-8"))["cells"])


def cell_index(notebook, phrase):
    """Index of the one code cell of ``notebook`` whose source holds ``phrase``."""
    found = [k for k, cell in enumerate(notebook_cells(notebook))
             if cell["cell_type"] == "code" and phrase in "".join(cell["source"])]
    assert len(found) == 1, (f"expected one cell of {notebook} holding {phrase!r}; "
                             f"found {len(found)}")
    return found[0]


def source_and_output(notebook, phrase):
    """(source, printed text) of that cell, as the notebook stores them."""
    cell = notebook_cells(notebook)[cell_index(notebook, phrase)]
    printed = "".join("".join(output["text"]) for output in cell["outputs"]
                      if output.get("name") == "stdout")
    return "".join(cell["source"]), printed


def run_cell(notebook, source, namespace):
    """Run a cell's own source in ``namespace``, as the notebook does; return what it printed.

    A warning is an error (in the lesson's output it would be news), and print options a
    cell sets (the lessons' first cells do) are put back afterwards, not left to other tests.
    """
    # matplotlib is imported above, outside the strict warnings: the lessons' first cells
    # import it, and an old matplotlib (3.8) warns on import through pyparsing, which is
    # not the lesson's news and would fail a test file run on its own
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), warnings.catch_warnings(), np.printoptions():
        warnings.simplefilter("error")
        exec(compile(source, str(NOTEBOOKS / notebook), "exec"), namespace)
    return printed.getvalue()
