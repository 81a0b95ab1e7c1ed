"""Regenerate every course figure: ``python -m bpcourse.figures [OUTDIR]``.

OUTDIR defaults to the repository's ``fig/`` (found next to the ``bpcourse`` package in a
checkout or editable install), else ``./fig`` in the current directory. Notebooks show the
files as ``../fig/NAME.png``. Every number on a picture is computed by ``bpcourse.graph``
(its × and + nodes are the lesson's MulLayer and AddLayer); symbolic labels are mathtext.
PNGs are written at 150 dpi, stamped with the matplotlib version alone (no date), so
re-running with the same matplotlib gives the same bytes.
"""

import sys
from functools import partial
from pathlib import Path

import matplotlib
import numpy as np

from bpcourse import graph as G
from bpcourse.drawing import draw_graph, figure_for, plan_graph, render
from bpcourse.formatting import format_value

DPI = 150
D = r"\partial"


def _frac(top, bottom):
    # \dfrac: display-size fractions, readable from the back of a room
    return rf"\dfrac{{{D} {top}}}{{{D} {bottom}}}"


def _panels(*specs):
    """One Figure of stacked panels; each spec is (graph, mode, title, legend)."""
    plans = [plan_graph(g, mode, None, 16, legend, title) for g, mode, title, legend in specs]
    fig, axes = figure_for(plans)
    for ax, plan in zip(axes, plans, strict=True):
        render(ax, plan)
    return fig


# Lessons 1 and 3: the shopping graphs, each drawn once forward only and once with its
# backward pass: file -> (graph factory, mode, title)
SHOPPING = {
    "apple_forward.png": (G.apple_graph, "forward",
                          "Forward pass: 2 apples at 100 each, tax 1.1"),
    "apple_backward.png": (G.apple_graph, "both",
                           "Backward pass: how much the price moves per unit of each input"),
    "apple_orange_forward.png": (G.apple_orange_graph, "forward",
                                 "Forward pass: 2 apples at 100, 3 oranges at 150, tax 1.1"),
    "apple_orange_backward.png": (G.apple_orange_graph, "both",
                                  "Backward pass through × and + nodes"),
}


def shopping(name):
    """The shopping figure ``name`` (a key of SHOPPING), lessons 1 and 3."""
    make_graph, mode, title = SHOPPING[name]
    return draw_graph(make_graph(), mode=mode, title=title)[0]


def chain_rule():
    """Lesson 2: z = t**2 with t = x + y; the chain rule as a backward pass, with numbers."""
    g = G.Graph()
    # y comes in from lower down than the automatic layout puts it: the two-storey
    # fractions under the x arrow need the room
    x, y = g.input(3), g.input(2, pos=(2.1, -2.6))
    t = g.add(x, y)
    z = g.square(t)
    out = g.output(z, "z")
    g.run()
    dzt = _frac("z", "t")
    labels = [
        (x, t, "$x$ = {}", f"${dzt}{_frac('t', 'x')} = 2t \\cdot 1$ = {{}}"),
        (y, t, "$y$ = {}", f"${dzt}{_frac('t', 'y')} = 2t \\cdot 1$ = {{}}"),
        (t, z, "$t$ = {}", f"${dzt} = 2t$ = {{}}"),
        (z, out, "$z$ = {}", f"${_frac('z', 'z')}$ = {{}}"),
    ]
    for src, dst, fwd, bwd in labels:
        edge = g.edge(src, dst)
        edge.fwd_label, edge.bwd_label = fwd, bwd
    return draw_graph(g, run=False,
                      title="Chain rule: z = t², t = x + y, so ∂z/∂x = ∂z/∂t · ∂t/∂x")[0]


def _two_input_graph(kind, x, y, dz, symbolic):
    g = G.Graph()
    xs, ys = g.input(x), g.input(y, pos=(2.1, -2.4))  # low, clear of the x arrow's fraction
    z = getattr(g, kind)(xs, ys)
    out = g.output(z, "… → L")
    g.run(seed=dz)
    ex, ey, ez = g.edge(xs, z), g.edge(ys, z), g.edge(z, out)
    if symbolic:
        ex.fwd_label, ey.fwd_label, ez.fwd_label = "$x$", "$y$", "$z$"
        dl = _frac("L", "z")
        ez.bwd_label = f"${dl}$"
        other = ("1", "1") if kind == "add" else ("y", "x")
        ex.bwd_label = rf"${dl} \cdot {other[0]}$"
        ey.bwd_label = rf"${dl} \cdot {other[1]}$"
    else:
        f = format_value
        ex.bwd_label = f"{f(dz)} × {f(1 if kind == 'add' else y)} = {{}}"
        ey.bwd_label = f"{f(dz)} × {f(1 if kind == 'add' else x)} = {{}}"
    return g


# Lesson 2's + and × nodes, each as a rule and then with numbers: two files, not two panels
# of one picture, so that each fits on a projected screen next to the cell it belongs to.
# file -> (node, symbolic, title)
TWO_INPUT_NODES = {
    "add_node_backward.png": ("add", True, "z = x + y: the + node passes ∂L/∂z on unchanged"),
    "add_node_numbers.png": ("add", False, "The + node with numbers: x = 10, y = 5, ∂L/∂z = 1.3"),
    "mul_node_backward.png": ("mul", True,
                              "z = x · y: each input gets ∂L/∂z times the other input"),
    "mul_node_numbers.png": ("mul", False, "The × node with numbers: x = 10, y = 5, ∂L/∂z = 1.3"),
}


def two_input_node(name):
    """The figure ``name`` (a key of TWO_INPUT_NODES), lesson 2."""
    kind, symbolic, title = TWO_INPUT_NODES[name]
    return draw_graph(_two_input_graph(kind, 10, 5, 1.3, symbolic), run=False, title=title)[0]


def sigmoid_graph():
    """Lesson 4: the sigmoid as ×(−1), exp, +1, / with each step's local derivative."""
    sym = G.sigmoid_graph(0.5)
    sym.run()
    dly = _frac("L", "y")
    labels = [  # (value, gradient) on each edge, left to right
        # \cdot between the factors: "dL/dy y^2" could be read as dL/d(y y^2)
        ("$x$", f"${dly} \\cdot y^2 \\cdot \\exp(-x)$\n$= {dly} \\cdot y(1-y)$"),
        ("$-x$", f"$-{dly} \\cdot y^2 \\cdot \\exp(-x)$"),
        (r"$\exp(-x)$", f"$-{dly} \\cdot y^2$"),
        (r"$1+\exp(-x)$", f"$-{dly} \\cdot y^2$"),
        ("$y$", f"${dly}$"),
    ]
    for edge, (fwd, bwd) in zip(sym.edges, labels, strict=True):
        edge.fwd_label, edge.bwd_label = fwd, bwd
    local = ["local: $-1$", r"local: $\exp(-x)$", "local: $1$", "local: $-y^2$"]
    for node, text in zip([n for n in sym.nodes if n.kind == "op"], local, strict=True):
        node.label = text
    num = G.sigmoid_graph(0.5)
    y = num.run()
    return _panels(
        (sym, "both", "Sigmoid y = 1 / (1 + exp(−x)) as a graph, with each node's local "
                      "derivative", False),
        (num, "both", "With numbers: x = 0.5, ∂L/∂y = 1, so ∂L/∂x = y(1 − y) = "
                      f"{format_value(y * (1 - y))}", True),
    )


def _shape(value, batch):
    dims = ["N" if batch and i == 0 else str(d) for i, d in enumerate(np.shape(value))]
    return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"


def affine_graph():
    """Lesson 5: the Affine layer X·W + B with shapes; backward dX, dW and dB with shapes."""
    rng = np.random.default_rng(0)
    g = G.affine_graph(rng.normal(size=(4, 2)), rng.normal(size=(2, 3)), rng.normal(size=3))
    g.run()
    X, W, B, Y = g["X"], g["W"], g["B"], g["Y"]
    dot, add = X.edges_out[0].dst, B.edges_out[0].dst
    dly = _frac("L", "Y")
    labels = {
        # "name: shape", so that "dL/dY W^T (N, 2)" does not read as the shape of W^T
        (X, dot): ("$X$: {}", f"${_frac('L', 'X')} = {dly} W^T$: {{}}", True),
        (W, dot): ("$W$: {}", f"${_frac('L', 'W')} = X^T {dly}$: {{}}", False),
        (dot, add): (r"$X \cdot W$: {}", f"${dly}$: {{}}", True),
        (B, add): ("$B$: {}", f"${_frac('L', 'B')}$ = sum of ${dly}$\nover axis 0: {{}}", False),
        (add, Y): ("$Y$: {}", f"${dly}$: {{}}", True),
    }
    for (src, dst), (fwd, bwd, batch) in labels.items():
        edge = g.edge(src, dst)
        edge.fwd_label = fwd.replace("{}", _shape(edge.value, batch))
        edge.bwd_label = bwd.replace("{}", _shape(edge.grad, batch))
    X.pos, W.pos, dot.pos = (0, 0), (2.6, -2.6), (4.5, 0)
    B.pos, add.pos, Y.pos = (7.8, -2.6), (9.7, 0), (13.5, 0)
    return draw_graph(g, run=False, title="Affine layer Y = X·W + B (shapes for a batch of N)")[0]


def softmax_with_loss():
    """Lesson 5: Softmax-with-Loss as one layer: scores a, labels t -> loss L; backward y − t."""
    g = G.softmax_with_loss_graph((0.3, 2.9, 4.0), (0, 0, 1))
    g.run()
    node = g["L"].inputs[0]
    node.size, node.pos = (3.6, 3.9), (5.5, 0)
    node.label = "y = softmax(a) = " + format_value(node.op.y, ".3f")
    for k in (1, 2, 3):
        a, t = g[f"a{k}"], g[f"t{k}"]
        a.pos, t.pos = (0, 1.4 * (2 - k)), (5.5 + 1.5 * (k - 2), -3.6)
        edge = a.edges_out[0]
        edge.fwd_label = f"$a_{k}$ = {{}}"
        edge.bwd_label = lambda v, k=k: f"$y_{k} - t_{k}$ = {format_value(v, '.3f')}"
        t.edges_out[0].fwd_label = f"$t_{k}$ = {{}}"
        a.label = t.label = None
    g["L"].pos = (10, 0)
    g["L"].edges_in[0].fwd_label = "$L$ = {}"
    title = ("Softmax-with-Loss: forward gives the loss L, backward gives y − t\n"
             "(the labels t are data, so no gradient is sent back to them)")
    return draw_graph(g, run=False, title=title)[0]


FIGURES = {
    **{name: partial(shopping, name) for name in SHOPPING},
    "chain_rule.png": chain_rule,
    **{name: partial(two_input_node, name) for name in TWO_INPUT_NODES},
    "sigmoid_graph.png": sigmoid_graph,
    "affine_graph.png": affine_graph,
    "softmax_with_loss.png": softmax_with_loss,
}


def default_outdir():
    """The repository's ``fig/`` next to the package if it exists, else ``./fig``."""
    repo_fig = Path(__file__).resolve().parent.parent / "fig"
    return repo_fig if repo_fig.is_dir() else Path.cwd() / "fig"


def software_stamp():
    """What every figure records as its PNG "Software": the matplotlib that drew it.

    Another matplotlib version places text a pixel differently, so the same code draws other
    bytes; the stamp lets the tests compare fig/ with the generator only where they can agree.
    """
    return f"matplotlib {matplotlib.__version__}"


def generate(outdir=None, names=None):
    """Write the figures ``names`` (default: all of FIGURES) into ``outdir``; return paths."""
    outdir = Path(outdir) if outdir is not None else default_outdir()
    outdir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in names or FIGURES:
        fig = FIGURES[name]()
        path = outdir / name
        fig.savefig(path, dpi=DPI, facecolor="white", bbox_inches="tight", pad_inches=0.1,
                    metadata={"Software": software_stamp()})
        paths.append(path)
    return paths


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) > 1 or argv[:1] in (["-h"], ["--help"]):
        print(__doc__.strip().splitlines()[0])
        return 0 if argv[:1] in (["-h"], ["--help"]) else 2
    for path in generate(argv[0] if argv else None):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
