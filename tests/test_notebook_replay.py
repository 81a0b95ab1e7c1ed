"""Going back: a cell run again after the whole notebook prints what it printed the first time.

In class, a teacher scrolls back and runs an earlier cell again to show it once more, and a
learner does the exercises after Run All. If a later cell has rebound a name that the earlier
one reads (a layer, an input array, the network), the earlier cell then computes something
else, quietly: a gradient check that says False, a trained network swapped for an untrained
one. nbval runs each notebook once, top to bottom, so it cannot see this. Here each notebook
runs top to bottom in a fresh kernel, then every code cell runs once more, from the last to
the first, and each must print the same text as the first time.

Two kinds of cell are not run again: lesson 6's two training cells (seconds each; what they
rebind is in place after the first pass anyway) and the cells listed in FOLLOWS_THE_CELL_ABOVE,
which read what the cell just above them made, by design.
"""

import json
import os
import re
from pathlib import Path

import ipykernel.kernelspec
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from real_mnist import NOT_SET, data_folder

from bpcourse import datasets

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NAMES = sorted(path.name for path in NOTEBOOKS.glob("*.ipynb"))

# (notebook, phrase of the cell): a backward pass that continues the forward cell above it.
# Lesson 3's second example builds layers of the same names, as the book's two scripts do, so
# this cell, run again alone after the second example, sends 1 through the other graph.
FOLLOWS_THE_CELL_ABOVE = {("03_simple_layers.ipynb", "dprice = 1\n")}
NOT_AGAIN = re.compile(r"history = train\(")  # the two training runs of lesson 6


class ThisPython(KernelSpecManager):
    """Kernels run by this very Python, as nbval's --nbval-current-env starts them."""

    def get_kernel_spec(self, kernel_name):
        return self.kernel_spec_class(resource_dir=ipykernel.kernelspec.RESOURCES,
                                      **ipykernel.kernelspec.get_kernel_dict())


def printed_text(client, source):
    """Everything a cell prints or displays, as text (figures by their repr)."""
    parts = []

    def collect(message):
        kind, content = message["msg_type"], message["content"]
        if kind == "stream":
            parts.append(content["text"])
        elif kind in ("execute_result", "display_data"):
            parts.append(content["data"].get("text/plain", ""))
        elif kind == "error":
            parts.append(f"{content['ename']}: {content['evalue']}")

    client.execute_interactive(source, output_hook=collect, timeout=300)
    return "".join(parts)


def code_cells(name):
    cells = json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))["cells"]
    return ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"]


@pytest.mark.parametrize("name", NAMES)
def test_every_cell_run_again_after_the_whole_notebook_prints_the_same(name, tmp_path,
                                                                      monkeypatch):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    if name.startswith("06"):
        folder = data_folder()
        if folder is not None:
            env["XDG_CACHE_HOME"] = str(tmp_path)  # read the folder; leave no cache behind
        else:
            monkeypatch.setattr(datasets, "MIRRORS", [])  # a test never downloads
            try:
                datasets.load_mnist()
            except datasets.MnistError:
                pytest.skip(f"{NOT_SET}, and MNIST is not in the cache either")
    kernel = KernelManager(kernel_name="this-python", kernel_spec_manager=ThisPython())
    kernel.start_kernel(cwd=str(NOTEBOOKS), env=env)
    client = kernel.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        sources = code_cells(name)
        first = [printed_text(client, source) for source in sources]
        changed = []
        for k in reversed(range(len(sources))):
            source = sources[k]
            if NOT_AGAIN.search(source) or any(
                    name == notebook and source.startswith(phrase)
                    for notebook, phrase in FOLLOWS_THE_CELL_ABOVE):
                continue
            again = printed_text(client, source)
            if again != first[k]:
                changed.append(f"code cell {k} ({source.splitlines()[0]!r}):\n"
                               f"  first: {first[k][:300]!r}\n  again: {again[:300]!r}")
    finally:
        client.stop_channels()
        kernel.shutdown_kernel(now=True)
    assert not changed, (f"{name}: run again after the whole notebook, these cells print "
                         "something else (a later cell rebinds a name they read?):\n"
                         + "\n".join(changed))


def test_the_exceptions_name_cells_that_exist():
    for notebook, phrase in FOLLOWS_THE_CELL_ABOVE:
        assert sum(source.startswith(phrase) for source in code_cells(notebook)) == 1
    assert sum(bool(NOT_AGAIN.search(s)) for s in code_cells("06_two_layer_net.ipynb")) == 2
