"""Re-execute the course notebooks in place, as nbval expects them stored.

Usage (from the repository root, in an environment with the "lab" extra, which brings
nbclient):
    python .ci/refresh_notebooks.py [notebooks/NAME.ipynb ...]

Each notebook runs top to bottom in a fresh kernel inside notebooks/; then the volatile
per-cell timing metadata is dropped and a print that arrived in pieces is merged into one
stream output, so a re-run changes only what really changed. Run it after editing bpcourse/
(the notebooks show its source) and commit the result.

Widgets are stored by their text form only, "ShoppingExplorer()": no widget state and no
widget view. With them, JupyterLab drew a trusted notebook just opened (one it has saved
itself is trusted) with copies of the widgets whose sliders moved while nothing redrew, as
no kernel answered them (seen in Chromium with JupyterLab 4.6.6 and jupyterlab_widgets
3.0.17). The text form says what the cell will show once it runs, trusted or not, as the
README and the lessons say, and every widget has a static picture before it for previews.
"""

import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def merge_streams(outputs):
    merged = []
    for out in outputs:
        if (out.output_type == "stream" and merged and merged[-1].output_type == "stream"
                and merged[-1].name == out.name):
            merged[-1].text += out.text
        else:
            merged.append(out)
    return merged


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def refresh(path):
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", store_widget_state=False,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    # a state that JupyterLab ("Save Widget State Automatically") or an earlier version of
    # this script wrote into the file: nbclient keeps the notebook's metadata
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = merge_streams(cell.outputs)
            for out in cell.outputs:
                out.get("data", {}).pop(WIDGET_VIEW, None)  # see the module's docstring
    nbformat.validate(nb)
    nbformat.write(nb, path)


def main(args):
    # the same single BLAS thread as nbval's runs (notebooks/conftest.py says why)
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                     "VECLIB_MAXIMUM_THREADS"):
        os.environ[variable] = "1"
    paths = [Path(a).resolve() for a in args] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    for path in paths:
        print(f"executing {path.relative_to(ROOT)}", flush=True)
        refresh(path)


if __name__ == "__main__":
    main(sys.argv[1:])
