"""The repository keeps its promises: README, CI, environments and notebooks agree."""

import configparser
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from notebook_settings import notebook_conftest
from test_lesson6_outputs import CHECKED_HERE as CHECKED_IN_TESTS
from test_lesson6_outputs import CHECKED_LOGS, FLOAT64_CHECK_CELLS, noise_mask

ROOT = Path(__file__).resolve().parents[1]
WIDGET_CELL = re.compile(r"widgets\.|explorer|dashboard|progress=True")
NOTEBOOKS = [
    "01_computational_graphs.ipynb",
    "02_chain_rule.ipynb",
    "03_simple_layers.ipynb",
    "04_activation_layers.ipynb",
    "05_affine_softmax.ipynb",
    "06_two_layer_net.ipynb",
]


def quick_start_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n\s*(.+?)\n\s*```", section)


def test_readme_quick_start_has_two_commands_and_ci_runs_the_test_one():
    commands = quick_start_commands()
    assert len(commands) == 2, commands
    install_and_open, install_and_test = commands
    # the repository's folder as Jupyter's root: the notebooks' links to ../README.md work
    assert "jupyter lab --notebook-dir=. notebooks/" + NOTEBOOKS[0] in install_and_open
    assert install_and_test.endswith("pytest")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert install_and_test in ci.splitlines()


def test_pytest_runs_every_notebook_under_strict_nbval():
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    testpaths = re.search(r"^testpaths = \[(.*)\]$", pyproject, flags=re.M).group(1)
    assert '"notebooks"' in testpaths
    options = re.search(r'^addopts = "(.*)"$', pyproject, flags=re.M).group(1).split()
    assert "--nbval" in options and "--nbval-current-env" in options
    for path in [ROOT / "pyproject.toml", ROOT / ".ci" / "run", *ROOT.glob("tests/*.py")]:
        if path.name != Path(__file__).name:
            assert "--nbval-lax" not in path.read_text(encoding="utf-8"), path
    # notebooks/conftest.py may set the environment, never deselect a notebook, and skip one
    # only where MNIST cannot be had (see the next test)
    conftest = (ROOT / "notebooks" / "conftest.py").read_text(encoding="utf-8")
    assert "collect_ignore" not in conftest and "deselect" not in conftest
    assert conftest.count("skip(") == 1 and "skip(reason=mnist_missing())" in conftest
    assert "os.environ.update(BLAS_THREADS)" in conftest
    assert set(notebook_conftest().BLAS_THREADS.values()) == {"1"}


def test_a_notebook_is_skipped_only_where_mnist_cannot_be_had_and_never_with_bpcourse_data(
        monkeypatch, tmp_path):
    from bpcourse import datasets

    module = notebook_conftest()
    assert [name for name in NOTEBOOKS
            if module.loads_mnist(ROOT / "notebooks" / name)] == ["06_two_layer_net.ipynb"]
    monkeypatch.setattr(datasets, "MIRRORS", [])  # as offline
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # an empty cache
    monkeypatch.delenv("BPCOURSE_DATA", raising=False)
    reason = module.mnist_missing()
    assert reason.startswith("this notebook trains on MNIST, which is not on this computer "
                             "and could not be downloaded")
    assert "python -m bpcourse.datasets" in reason and "BPCOURSE_DATA" in reason
    # CI sets BPCOURSE_DATA: then nothing is skipped, even for a folder that is not there
    module = notebook_conftest()
    monkeypatch.setenv("BPCOURSE_DATA", str(tmp_path / "nowhere"))
    assert module.mnist_missing() is None


def test_the_six_notebooks_and_nothing_hidden():
    found = sorted(p.relative_to(ROOT / "notebooks").as_posix()
                   for p in (ROOT / "notebooks").rglob("*.ipynb")
                   if ".ipynb_checkpoints" not in p.parts)
    assert found == NOTEBOOKS


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_stored_executed_in_order(name):
    cells = json.loads((ROOT / "notebooks" / name).read_text(encoding="utf-8"))["cells"]
    code = [c for c in cells if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    counts = [c["execution_count"] for c in code]
    assert None not in counts, f"{name}: unexecuted code cells"
    assert counts == list(range(1, len(counts) + 1)), f"{name}: not run top to bottom: {counts}"
    for c in code:
        ignored = "nbval-ignore-output" in c.get("metadata", {}).get("tags", [])
        source = "".join(c["source"])
        if ignored:  # only cells whose output cannot be stable may be ignored: widgets,
            # and lesson 6's float32 results, which test_lesson6_outputs.py checks instead
            assert (WIDGET_CELL.search(source)
                    or (name == NOTEBOOKS[5]
                        and any(phrase in source for phrase in CHECKED_IN_TESTS))), source
        for out in c.get("outputs", []):
            assert out.get("output_type") != "error", f"{name}: a cell stored an error"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_widgets_are_stored_by_their_text_form_only(name):
    # JupyterLab draws a stored widget state when it opens a trusted notebook: a copy whose
    # sliders move while no kernel answers them (.ci/refresh_notebooks.py says more)
    nb = json.loads((ROOT / "notebooks" / name).read_text(encoding="utf-8"))
    assert "widgets" not in nb["metadata"], f"{name} stores widget state"
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            # what is left, the text form ("ShoppingExplorer()", tests/test_widgets.py), is
            # what a notebook just opened shows, as the README and the lessons say
            assert "application/vnd.jupyter.widget-view+json" not in data, (
                f"{name} stores a widget view: {''.join(cell['source'])[:80]!r}")


def test_lesson_6s_float32_cells_are_the_ones_nbval_skips():
    # untagged, nbval would compare their last digits and fail on other computers
    cells = json.loads((ROOT / "notebooks" / NOTEBOOKS[5]).read_text(encoding="utf-8"))["cells"]
    tagged = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"
              and "nbval-ignore-output" in c.get("metadata", {}).get("tags", [])]
    float32_cells = [source for source in tagged if not WIDGET_CELL.search(source)]
    assert len(float32_cells) == len(CHECKED_IN_TESTS)
    for phrase in CHECKED_IN_TESTS:
        assert any(phrase in source for source in float32_cells), phrase


def masked_cells(mask):
    """(notebook, source) of every cell in the course with printed text that ``mask`` finds."""
    masked = []
    for name in NOTEBOOKS:
        cells = json.loads((ROOT / "notebooks" / name).read_text(encoding="utf-8"))["cells"]
        for c in cells:
            text = "".join("".join(out.get("text", "")) for out in c.get("outputs", []))
            if mask.search(text):
                masked.append((name, "".join(c["source"])))
    return masked


def test_the_float32_mask_touches_only_the_training_logs_checked_elsewhere():
    # the mask applies to every notebook: a float64 log elsewhere must not vanish under it
    sanitize = configparser.ConfigParser()
    sanitize.read(ROOT / "tests" / "nbval-sanitize.cfg", encoding="utf-8")
    masked = masked_cells(re.compile(sanitize["float32 training accuracies"]["regex"]))
    assert [name for name, _ in masked] == [NOTEBOOKS[5]] * len(CHECKED_LOGS)
    for phrase in CHECKED_LOGS:
        assert sum(phrase in source for _, source in masked) == 1, phrase


def test_the_float64_noise_mask_touches_only_the_checks_checked_elsewhere():
    # like the float32 mask: rounding noise printed anywhere else would go unchecked
    masked = masked_cells(noise_mask())
    assert [name for name, _ in masked] == [NOTEBOOKS[5]] * len(FLOAT64_CHECK_CELLS)
    for phrase in FLOAT64_CHECK_CELLS:
        assert sum(phrase in source for _, source in masked) == 1, phrase


@pytest.mark.parametrize("path", [
    "/tmp/ipykernel_4242/2345678901.py",  # Linux
    "/var/folders/7x/k2_9fj0s3b1g/T/ipykernel_4242/2345678901.py",  # macOS
    "C:\\Users\\Jan Kowalski\\AppData\\Local\\Temp\\ipykernel_4242\\2345678901.py",  # Windows
])
def test_a_cells_temp_file_reads_the_same_on_every_system_after_sanitizing(path):
    from nbval.plugin import get_sanitize_patterns  # how nbval itself reads the file

    text = (ROOT / "tests" / "nbval-sanitize.cfg").read_text(encoding="utf-8")
    patterns = get_sanitize_patterns(text)

    def sanitize(output):
        for regex, replace in patterns:
            output = re.sub(regex, replace, output)
        return output

    # a warning names the cell's file first on its line; a traceback after "File "
    output = (f"{path}:3: UserWarning: a/b is 0.5\n  warnings.warn(msg)\n"
              f"File {path}:5, in f(x)\n")
    assert sanitize(output) == ("IPYKERNEL_CELL:3: UserWarning: a/b is 0.5\n"
                                "  warnings.warn(msg)\nFile IPYKERNEL_CELL:5, in f(x)\n")


def environment_packages(path):
    """The package lines of a conda environment file, e.g. 'numpy>=2.0'."""
    text = (ROOT / path).read_text(encoding="utf-8")
    return [p for p in re.findall(r"^  - ([A-Za-z].*)$", text, flags=re.M)
            if not p.endswith(":")]


def test_environment_files_list_the_same_packages():
    assert environment_packages("environment.yml") == environment_packages(
        "binder/environment.yml")
    assert "-e ." in (ROOT / "environment.yml").read_text(encoding="utf-8")
    assert "pip install" in (ROOT / "binder" / "postBuild").read_text(encoding="utf-8")


def test_conda_users_get_every_requirement_pip_users_get():
    tomllib = pytest.importorskip("tomllib", reason="reading pyproject.toml needs Python 3.11")
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = pyproject["dependencies"] + [  # the extras too, but for the benchmarks' torch
        req for extra, reqs in pyproject["optional-dependencies"].items() if extra != "bench"
        for req in reqs]
    assert sorted(set(wanted) - set(environment_packages("environment.yml"))) == []


def test_notebook_kernels_import_this_repositorys_package():
    assert notebook_conftest().kernel_package_problem() is None


def test_a_kernel_that_would_import_another_copy_stops_the_run_with_the_fix(monkeypatch,
                                                                             tmp_path):
    conftest = notebook_conftest()
    check = conftest.kernel_package_problem.__wrapped__  # uncached
    other = tmp_path / "other_clone"
    (other / "bpcourse").mkdir(parents=True)
    (other / "bpcourse" / "__init__.py").write_text("")
    monkeypatch.setattr(conftest, "NOTEBOOKS", other)  # the kernel's folder: its copy wins
    problem = check()
    assert f"would import bpcourse from {other / 'bpcourse'}, not from" in problem
    assert f'pip install -e "{ROOT}"' in problem  # quoted: a clone path may have spaces

    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "bpcourse.py").write_text("raise ImportError('not this one')\n")
    monkeypatch.setattr(conftest, "NOTEBOOKS", broken)
    assert "cannot import bpcourse at all (ImportError: not this one)" in check()


def test_a_clone_path_outside_the_pipes_code_page_is_still_read_right(monkeypatch, tmp_path):
    # On Windows a child's stdout pipe encodes in the ANSI code page (cp1252 in Western
    # Europe), which has no L with stroke; PYTHONIOENCODING makes this child do the same.
    conftest = notebook_conftest()
    check = conftest.kernel_package_problem.__wrapped__
    other = tmp_path / "\u0141\u00f3d\u017a clone"
    (other / "bpcourse").mkdir(parents=True)
    (other / "bpcourse" / "__init__.py").write_text("")
    monkeypatch.setenv("PYTHONIOENCODING", "cp1252")
    monkeypatch.setattr(conftest, "NOTEBOOKS", other)
    assert f"would import bpcourse from {other / 'bpcourse'}, not from" in check()


def test_blas_thread_settings_cover_apples_accelerate_everywhere_they_are_listed():
    assert notebook_conftest().BLAS_THREADS["VECLIB_MAXIMUM_THREADS"] == "1"
    for path in (".ci/refresh_notebooks.py", "benchmarks/bench_train.py"):
        text = (ROOT / path).read_text(encoding="utf-8")
        assert all(var in text for var in notebook_conftest().BLAS_THREADS), path


def test_text_files_keep_lf_line_endings_even_in_a_windows_checkout():
    # git with core.autocrlf (Windows's usual setting) would write CRLF without these rules
    rules = (ROOT / ".gitattributes").read_text(encoding="utf-8").splitlines()
    for rule in ("*.ipynb text eol=lf", "*.py text eol=lf", ".ci/run text eol=lf",
                 "binder/postBuild text eol=lf"):
        assert rule in rules
    for path in [ROOT / ".ci" / "run", ROOT / "binder" / "postBuild",
                 ROOT / "tests" / "nbval-sanitize.cfg", *ROOT.glob("notebooks/*.ipynb"),
                 *ROOT.glob("bpcourse/*.py"), *ROOT.glob("tests/*.py")]:
        assert b"\r\n" not in path.read_bytes(), path


def test_git_applies_the_lf_rules_to_notebooks_sources_and_scripts():
    # the bytes test above can only see LF on Linux; git itself says which rule applies
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout (no git, or no .git folder here)")
    paths = [f"notebooks/{NOTEBOOKS[0]}", f"notebooks/{NOTEBOOKS[-1]}", "bpcourse/functions.py",
             "tests/test_repo.py", ".ci/run", "binder/postBuild"]
    out = subprocess.run(["git", "check-attr", "eol", "--", *paths], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == [f"{path}: eol: lf" for path in paths], out
