"""Drawing works headless and shows the right numbers; the course figures exist and are used."""

import base64
import contextlib
import importlib.util
import io
import json
import re
import struct
from pathlib import Path

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.image import imread
from matplotlib.patches import Circle

from bpcourse import figures
from bpcourse import graph as G
from bpcourse.drawing import BACKWARD_COLOR, FORWARD_COLOR, draw_graph, plan_graph
from bpcourse.formatting import format_exponent, format_value, format_yen

REPO = Path(__file__).resolve().parent.parent
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
EXPECTED_FIGURES = [
    "apple_forward.png",
    "apple_backward.png",
    "apple_orange_forward.png",
    "apple_orange_backward.png",
    "chain_rule.png",
    "add_node_backward.png",
    "add_node_numbers.png",
    "mul_node_backward.png",
    "mul_node_numbers.png",
    "sigmoid_graph.png",
    "affine_graph.png",
    "softmax_with_loss.png",
]


def texts(ax):
    return [t.get_text() for t in ax.texts]


def text_colors(ax, text):
    return {t.get_color() for t in ax.texts if t.get_text() == text}


@pytest.mark.parametrize(
    ("value", "fmt", "expected"),
    [
        (220.00000000000003, None, "220"),
        (110.00000000000001, None, "110"),
        (3.3000000000000003, None, "3.3"),
        (715.0000000000001, None, "715"),
        (0.2350037122015945, None, "0.235"),
        (-0.26340308623062136, None, "−0.2634"),
        (0.0, None, "0"),
        (200, None, "200"),
        (1.5e-7, None, "1.500e−07"),
        (0.00025, None, "0.00025"),  # down to 1e-4 in positional notation
        (1e-4, None, "0.0001"),
        (1e6, None, "1.000e+06"),  # below 1e6
        (None, None, "?"),  # a graph's value before it is run
        (np.array([1.0, 2.0, 3.0, 4.0]), None, "[1, 2, 3, 4]"),  # up to 4 numbers listed
        (220.00000000000003, ".2f", "220.00"),
        (2.2, lambda v: f"{v} yen", "2.2 yen"),
        (np.array([0.5, -1.0]), None, "[0.5, −1]"),
        (np.zeros((5, 3)), None, "shape (5, 3)"),
        # no sign on a zero: ReLU's backward of a negative dout is -0.0 in IEEE arithmetic
        (-0.0, None, "0"),
        (-0.0, ".4g", "0"),
        (-0.0001, ".2f", "0.00"),
        (-0.005, ".2f", "−0.01"),
        (-1e-20, ".1e", "−1.0e−20"),
    ],
)
def test_format_value(value, fmt, expected):
    assert format_value(value, fmt) == expected


@pytest.mark.parametrize("value, expected", [
    (6356.8, "6356.8"),  # 4 significant digits would say 6357
    (1326.8000000000002, "1326.8"),  # float noise gone
    (715.0000000000001, "715"),
    (46.37, "46.37"),
    (2.2, "2.2"),
    (0, "0"),
    (-3.3, "−3.3"),
])
def test_format_yen_gives_every_digit_of_the_bill(value, expected):
    assert format_yen(value) == expected


def test_forward_mode_shows_values_only_in_the_forward_colour():
    fig, ax = draw_graph(G.apple_graph(), mode="forward")
    assert isinstance(fig, Figure)
    shown = texts(ax)
    for value in ("100", "2", "200", "1.1", "220", "apple", "tax", "price"):
        assert value in shown
    assert "2.2" not in shown and "110" not in shown
    assert text_colors(ax, "220") == {FORWARD_COLOR}
    assert not [p for p in ax.patches if p.get_gid() == "backward"]


def test_backward_mode_shows_gradients_only_in_the_backward_colour():
    _, ax = draw_graph(G.apple_graph(), mode="backward")
    shown = texts(ax)
    for value in ("2.2", "110", "200", "1.1", "1"):
        assert value in shown
    assert "220" not in shown and "100" not in shown
    assert text_colors(ax, "2.2") == {BACKWARD_COLOR}
    assert len([p for p in ax.patches if p.get_gid() == "backward"]) == 5


def test_both_mode_shows_values_and_gradients_with_a_legend():
    _, ax = draw_graph(G.apple_orange_graph(), mode="both", title="shopping")
    shown = texts(ax)
    for value in ("715", "650", "2.2", "110", "3.3", "165", "shopping"):
        assert value in shown
    assert any("forward" in t for t in shown) and any("backward" in t for t in shown)


def test_arrows_point_forward_right_and_backward_left():
    g = G.apple_orange_graph()
    g.run()
    arrows = [item for item in plan_graph(g, mode="both").items if item[0] == "arrow"]
    fwd = [(tail, head) for _, tail, head, _, _, _, gid in arrows if gid == "forward"]
    bwd = [(tail, head) for _, tail, head, _, _, _, gid in arrows if gid == "backward"]
    assert len(fwd) == len(bwd) == len(g.edges) == 9
    assert all(head[0] > tail[0] for tail, head in fwd)
    assert all(head[0] < tail[0] for tail, head in bwd)
    # the backward twin runs below its forward arrow on the horizontal edges
    flat = [(f, b) for f, b in zip(fwd, bwd, strict=True) if abs(f[0][1] - f[1][1]) < 1e-9]
    assert flat and all(b[0][1] < f[0][1] for f, b in flat)


def test_edge_label_overrides_and_format_spec():
    g = G.apple_graph()
    g.run()
    g.edges[-1].bwd_label = r"$\partial L/\partial p$ = {}"
    g.edge(g["tax"], g["tax"].edges_out[0].dst).fwd_label = lambda v: f"tax {v:.0%}"
    _, ax = draw_graph(g, fmt=".1f")
    shown = texts(ax)
    assert r"$\partial L/\partial p$ = 1.0" in shown
    assert "tax 110%" in shown
    assert "220.0" in shown


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="forward"):
        draw_graph(G.apple_graph(), mode="sideways")


def test_redrawing_into_one_axes_replaces_the_picture():
    fig = Figure(figsize=(9, 4))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    g = G.apple_graph()
    assert draw_graph(g, ax=ax) == (fig, ax)
    counts = (len(ax.texts), len(ax.patches))
    # how fast a redraw is, is measured in benchmarks/bench_widgets.py, not here
    for apples in (3, 4, 5, 6, 7):
        g["apple_num"].value = apples
        draw_graph(g, ax=ax)
        fig.canvas.draw()
    assert (len(ax.texts), len(ax.patches)) == counts  # nothing piles up
    assert "770" in texts(ax) and "220" not in texts(ax)  # 100 * 7 * 1.1


def test_drawing_saves_a_png_headless():
    fig, _ = draw_graph(G.sigmoid_graph(0.5))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=50)
    assert buffer.getvalue().startswith(PNG_SIGNATURE)


@pytest.mark.parametrize("name", ["chain_rule.png", "sigmoid_graph.png", "affine_graph.png"])
def test_node_symbols_stay_clear_of_their_circle(name):
    # a word such as "exp" or "dot" drawn as large as a single sign touched the ring
    fig = figures.FIGURES[name]()
    renderer = FigureCanvasAgg(fig).get_renderer()
    checked = 0
    for ax in fig.axes:
        for circle in (p for p in ax.patches if isinstance(p, Circle)):
            cx, cy = ax.transData.transform(circle.center)
            radius = ax.transData.transform(circle.center + np.array([circle.radius, 0]))[0] - cx
            for text in ax.texts:
                if np.hypot(*(ax.transData.transform(text.get_position()) - (cx, cy))) > 1:
                    continue
                box = text.get_window_extent(renderer)
                far = max(np.hypot(x - cx, y - cy) for x in (box.x0, box.x1)
                          for y in (box.y0, box.y1))
                assert far < 0.9 * radius, (name, text.get_text(), far / radius)
                checked += 1
    assert checked >= 2


def _png_text(data, key):
    """The value of PNG text chunk ``key`` in ``data``, or None."""
    pos = len(PNG_SIGNATURE)
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        if kind == b"tEXt" and body.split(b"\0", 1)[0] == key.encode():
            return body.split(b"\0", 1)[1].decode("latin-1")
        pos += 12 + length
    return None


def _png_size(data):
    assert data.startswith(PNG_SIGNATURE) and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """Every course figure drawn once by ``python -m bpcourse.figures OUTDIR``, for two tests:
    (OUTDIR, the exit status, what it printed)."""
    outdir = tmp_path_factory.mktemp("fig")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        status = figures.main([str(outdir)])
    return outdir, status, printed.getvalue()


def test_generator_writes_every_course_figure(generated, tmp_path):
    outdir, status, printed = generated
    assert list(figures.FIGURES) == EXPECTED_FIGURES
    assert status == 0
    assert sorted(p.name for p in outdir.iterdir()) == sorted(EXPECTED_FIGURES)
    assert str(outdir / "apple_forward.png") in printed
    for name in EXPECTED_FIGURES:
        data = (outdir / name).read_bytes()
        width, height = _png_size(data)
        assert 600 <= width <= 3000 and 300 <= height <= 2000, (name, width, height)
        # the matplotlib version only, so re-running it changes no bytes
        assert _png_text(data, "Software") == figures.software_stamp()
    again = figures.generate(tmp_path, ["apple_backward.png"])
    assert again[0].read_bytes() == (outdir / "apple_backward.png").read_bytes()


def test_default_outdir_is_the_repository_fig_folder():
    assert figures.default_outdir() == REPO / "fig"


def test_committed_figures_are_in_sync_with_the_generator(generated):
    missing = [name for name in figures.FIGURES if not (REPO / "fig" / name).is_file()]
    assert not missing, f"run `python -m bpcourse.figures` and commit: {missing}"
    drawn_with = {_png_text((REPO / "fig" / name).read_bytes(), "Software")
                  for name in figures.FIGURES}
    if drawn_with != {figures.software_stamp()}:
        pytest.skip(f"fig/ was drawn with {sorted(drawn_with, key=str)}, this is "
                    f"{figures.software_stamp()}: another matplotlib draws text a pixel "
                    "differently, so the pictures are compared only under the same version")
    # pixels, not bytes: another zlib may compress the same picture into other bytes
    outdir = generated[0]
    stale = [name for name in figures.FIGURES
             if not np.array_equal(imread(outdir / name), imread(REPO / "fig" / name))]
    assert not stale, f"fig/ is out of date: run `python -m bpcourse.figures` and commit {stale}"


FIG_REF = re.compile(r"(?:fig/|attachment:)([\w.\-]+\.png)")


def figure_references(notebook):
    """Names of fig/*.png files that a notebook's markdown and code cells mention."""
    cells = json.loads(Path(notebook).read_text(encoding="utf-8")).get("cells", [])
    refs = set()
    for cell in cells:
        if cell.get("cell_type") in ("markdown", "code"):
            source = cell.get("source", "")
            refs |= set(FIG_REF.findall("".join(source) if isinstance(source, list) else source))
    return refs


def test_figure_reference_scanner_finds_markdown_and_code_references(tmp_path):
    nb = {
        "cells": [
            {"cell_type": "markdown", "source": ["![graph](../fig/apple_forward.png)\n"]},
            {"cell_type": "code", "source": "Image('../fig/chain_rule.png')"},
            {"cell_type": "markdown", "source": "![graph](attachment:affine_graph.png)"},
            {"cell_type": "raw", "source": "fig/ignored.png"},
        ]
    }
    path = tmp_path / "lesson.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    assert figure_references(path) == {"apple_forward.png", "chain_rule.png", "affine_graph.png"}


def test_every_figure_a_notebook_references_exists():
    fig_dir = REPO / "fig"
    missing = {
        f"{nb.relative_to(REPO)}: fig/{name}"
        for nb in sorted((REPO / "notebooks").glob("**/*.ipynb"))
        if ".ipynb_checkpoints" not in nb.parts
        for name in figure_references(nb)
        if not (fig_dir / name).is_file()
    }
    assert not missing, f"notebooks reference figures that fig/ lacks: {sorted(missing)}"


def _embed_figures():
    spec = importlib.util.spec_from_file_location("embed_figures",
                                                  REPO / ".ci" / "embed_figures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_notebook_picture_travels_inside_the_notebook():
    # a ../fig/ link shows nothing when Jupyter serves notebooks/ (jupyter lab notebooks/...
    # does) or a notebook is opened on its own: each picture is an attachment, a copy of fig/
    for nb in sorted((REPO / "notebooks").glob("*.ipynb")):
        for i, cell in enumerate(json.loads(nb.read_text(encoding="utf-8"))["cells"]):
            source = "".join(cell["source"])
            where = f"{nb.name} cell {i}"
            assert "../fig/" not in source, f"{where} links to fig/: run .ci/embed_figures.py"
            if cell["cell_type"] != "markdown":
                continue
            used = set(re.findall(r"\(attachment:([\w.\-]+\.png)\)", source))
            attached = cell.get("attachments", {})
            assert set(attached) == used, where
            for name in used:
                copy = base64.b64decode(attached[name]["image/png"])
                assert copy == (REPO / "fig" / name).read_bytes(), (
                    f"{where}: {name} differs from fig/{name}: run .ci/embed_figures.py")


def test_embed_figures_turns_links_into_attachments_once(tmp_path):
    embed = _embed_figures().embed
    (tmp_path / "fig").mkdir()
    (tmp_path / "fig" / "a.png").write_bytes(b"first picture")
    nb = tmp_path / "lesson.ipynb"
    cells = [{"cell_type": "markdown", "id": "m", "metadata": {},
              "source": ["Look:\n", "![a graph](../fig/a.png)"]},
             {"cell_type": "code", "id": "c", "metadata": {}, "execution_count": None,
              "outputs": [], "source": ["'../fig/a.png' in code stays as it is"]}]
    nb.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4,
                              "nbformat_minor": 5}), encoding="utf-8")
    assert embed(nb, tmp_path / "fig")
    markdown, code = json.loads(nb.read_text(encoding="utf-8"))["cells"]
    assert "".join(markdown["source"]) == "Look:\n![a graph](attachment:a.png)"
    assert base64.b64decode(markdown["attachments"]["a.png"]["image/png"]) == b"first picture"
    assert code["source"] == cells[1]["source"] and "attachments" not in code
    assert not embed(nb, tmp_path / "fig")  # nothing left to do
    (tmp_path / "fig" / "a.png").write_bytes(b"redrawn")  # a redrawn figure is copied again
    assert embed(nb, tmp_path / "fig")
    markdown = json.loads(nb.read_text(encoding="utf-8"))["cells"][0]
    assert base64.b64decode(markdown["attachments"]["a.png"]["image/png"]) == b"redrawn"
    assert not list(tmp_path.glob("*.partial"))


@pytest.mark.parametrize("value, digits, expected", [
    (6.3e-9, 1, "6.3e-9"), (1e-4, 1, "1.0e-4"), (1.0, 1, "1.0e+0"), (2.5e12, 1, "2.5e+12"),
    (2.33e-11, 2, "2.33e-11"), (9.96e-5, 1, "1.0e-4"),  # rounding can carry into the exponent
    (float("nan"), 1, "nan"), (float("-inf"), 1, "-inf")])
def test_format_exponent_writes_exponents_as_the_sliders_do(value, digits, expected):
    assert format_exponent(value, digits) == expected
