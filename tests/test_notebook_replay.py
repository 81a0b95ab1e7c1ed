"""Going back: a cell run again after the whole notebook prints what it printed the first time.

In class, a teacher scrolls back and runs an earlier cell again to show it once more, and a
learner does the exercises after Run All. If a later cell has rebound a name that the earlier
one reads (a layer, an input array, the network), the earlier cell then computes something
else, quietly: a gradient check that says False, a trained network swapped for an untrained
one. nbval runs each notebook once, top to bottom, so it cannot see this. Here each notebook
runs top to bottom in a fresh kernel, then every code cell runs once more, from the last to
the first, and each must print the same text as the first time. (A cell that fails on its
first run fails the test at once; so does a kernel that would import another clone's
bpcourse, which notebooks/conftest.py checks.)

Going back and then down again: after Run All, a cell runs again and then a later one that
reads a name the first binds and a cell between them binds again (found from the cells'
syntax), as a learner does who scrolls back, runs a cell, and jumps down to another.

Lesson 6's two training cells are not run again: they take seconds each, and what they
rebind is in place after the first pass anyway.
"""

import ast
import contextlib
import json
import os
import re

import ipykernel.kernelspec
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from notebook_settings import notebook_conftest
from real_mnist import cache_settings, load_real_mnist

SETTINGS = notebook_conftest()  # where the notebooks are; one BLAS thread, as under nbval
NAMES = sorted(path.name for path in SETTINGS.NOTEBOOKS.glob("*.ipynb"))

NOT_AGAIN = re.compile(r"history = train\(")  # the two training runs of lesson 6


class ThisPython(KernelSpecManager):
    """Kernels run by this very Python, as nbval's --nbval-current-env starts them.

    (nbval has a class like this, but not as part of its documented interface.)
    """

    def get_kernel_spec(self, kernel_name):
        return self.kernel_spec_class(resource_dir=ipykernel.kernelspec.RESOURCES,
                                      **ipykernel.kernelspec.get_kernel_dict())


def run(client, source):
    """(everything the cell prints or displays, as text; its error, or None)."""
    parts, errors = [], []

    def collect(message):
        kind, content = message["msg_type"], message["content"]
        if kind == "stream":
            parts.append(content["text"])
        elif kind in ("execute_result", "display_data"):
            parts.append(content["data"].get("text/plain", ""))  # figures: their repr
        elif kind == "error":
            errors.append(f"{content['ename']}: {content['evalue']}")

    client.execute_interactive(source, output_hook=collect, timeout=300)
    return "".join(parts), (errors[0] if errors else None)


def code_cells(name):
    cells = json.loads((SETTINGS.NOTEBOOKS / name).read_text(encoding="utf-8"))["cells"]
    return ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"]


@pytest.fixture(scope="module", autouse=True)
def kernels_run_this_clone():
    problem = SETTINGS.kernel_package_problem()
    if problem is not None:
        pytest.fail(problem)


@contextlib.contextmanager
def notebook_kernel(name, tmp_path):
    """A client of a fresh kernel in notebooks/, as nbval starts one, for notebook ``name``."""
    env = dict(os.environ, **SETTINGS.BLAS_THREADS)
    if name.startswith("06"):
        load_real_mnist(tmp_path)  # or skip, saying why: the kernel must not download it
        env.update(cache_settings(tmp_path))  # where the arrays were just cached
    kernel = KernelManager(kernel_name="this-python", kernel_spec_manager=ThisPython())
    client = None
    try:
        kernel.start_kernel(cwd=str(SETTINGS.NOTEBOOKS), env=env)
        client = kernel.client()
        client.start_channels()
        client.wait_for_ready(timeout=60)
        yield client
    finally:
        if client is not None:
            client.stop_channels()
        if kernel.has_kernel:
            kernel.shutdown_kernel(now=True)


def run_all(client, name, sources):
    """Run every cell once, in order, as Run All does; what each printed."""
    first = []
    for k, source in enumerate(sources):
        printed, error = run(client, source)
        assert error is None, (f"{name}, code cell {k} ({source.splitlines()[0]!r}) fails "
                               f"on its first run: {error}")
        first.append(printed)
    return first


def again(client, k, sources, first, changed, context=""):
    """Run code cell k again; note in ``changed`` if it prints something else than at first."""
    printed, error = run(client, sources[k])
    printed += f"\n{error}" if error else ""
    if printed != first[k]:
        changed.append(f"{context}code cell {k} ({sources[k].splitlines()[0]!r}):\n"
                       f"  first: {first[k][:300]!r}\n  again: {printed[:300]!r}")


@pytest.mark.parametrize("name", NAMES)
def test_every_cell_run_again_after_the_whole_notebook_prints_the_same(name, tmp_path):
    sources = code_cells(name)
    changed = []
    with notebook_kernel(name, tmp_path) as client:
        first = run_all(client, name, sources)
        for k in reversed(range(len(sources))):
            if not NOT_AGAIN.search(sources[k]):
                again(client, k, sources, first, changed)
    assert not changed, (f"{name}: run again after the whole notebook, these cells print "
                         "something else (a later cell rebinds a name they read?):\n"
                         + "\n".join(changed))


def bound_and_read(source):
    """(names the cell binds, names it reads), from its syntax; both empty for a magic."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set(), set()
    bound, read = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (bound if isinstance(node.ctx, ast.Store) else read).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return bound, read


def skipping_ahead(sources):
    """{i: [j, ...]}: cell j reads a name that cell i binds and a cell between them binds
    again, so that running i again, then j, gives j the other value of that name."""
    names = [bound_and_read(source) for source in sources]
    pairs = {}
    for i, (bound_i, _) in enumerate(names):
        for j in range(i + 1, len(sources)):
            if any(any(x in names[k][0] for k in range(i + 1, j)) for x in bound_i & names[j][1]):
                pairs.setdefault(i, []).append(j)
    return pairs


@pytest.mark.parametrize("name", NAMES)
def test_a_cell_run_again_then_a_later_one_skipping_those_between_prints_the_same(name,
                                                                                 tmp_path):
    # scrolling back to run an earlier cell, then down to a later one: the later one must
    # not read what the earlier one left in a name that the cells between rebind (lesson
    # 3's two shopping examples once shared tax_layer, and the second printed the first's
    # gradients). After each, the cells below the earlier one that bind those names again
    # run again in order, and must print what they printed the first time.
    sources = code_cells(name)
    changed = []
    with notebook_kernel(name, tmp_path) as client:
        first = run_all(client, name, sources)
        for i, later in skipping_ahead(sources).items():
            if NOT_AGAIN.search(sources[i]):
                continue
            again(client, i, sources, first, changed)
            for j in later:
                if not NOT_AGAIN.search(sources[j]):
                    again(client, j, sources, first, changed, f"after code cell {i} again, ")
            # back to the state after Run All: the cells below that bind what these bound
            rebound = set().union(*(bound_and_read(sources[k])[0] for k in [i, *later]))
            for k in range(i + 1, len(sources)):
                if (bound_and_read(sources[k])[0] & rebound
                        and not NOT_AGAIN.search(sources[k])):
                    again(client, k, sources, first, changed, "then again, in order: ")
    assert not changed, (f"{name}: these cells print something else when run out of "
                         "order:\n" + "\n".join(changed))


def test_the_cells_not_run_again_exist():
    assert sum(bool(NOT_AGAIN.search(s)) for s in code_cells("06_two_layer_net.ipynb")) == 2
