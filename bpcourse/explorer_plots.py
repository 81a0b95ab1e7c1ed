"""Figures for the explorers, built once and updated in place (lessons 2, 3 and 4; lesson
6's plots in :mod:`bpcourse.training_plots` reuse its helpers).

Each ``*Plot`` class makes one matplotlib Figure when it is created; ``update(...)`` changes
it in place (``set_data`` and ``set_text`` on its artists; the shopping graph is redrawn on
its own Axes), so a slider move costs one render to PNG, about a tenth of a second, not a
new Figure. The widgets in :mod:`bpcourse.widgets` turn the Figure into
PNG bytes for an ``ipywidgets.Image``. The ``*_figure`` functions are the static fallbacks
that a notebook shows just before each widget, so a static HTML export still teaches.

Only the object API is used (no pyplot): the figures are never registered with pyplot, so
they neither leak nor pop up a second time under ``%matplotlib inline``, and no backend
has to be chosen. :class:`StaticFigure` shows itself as a PNG in any notebook.
The numbers come from :mod:`bpcourse.explorers`; nothing here computes a derivative.
"""

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.legend_handler import HandlerTuple
from matplotlib.ticker import StrMethodFormatter
from PIL import Image  # matplotlib's own dependency for writing PNG

from bpcourse import explorers as E
from bpcourse.checks import require_number
from bpcourse.drawing import BACKWARD_COLOR, FORWARD_COLOR, INK, draw_graph, figure_size
from bpcourse.formatting import format_exponent, format_value, format_yen

__all__ = [
    "StaticFigure", "png_bytes", "agg_canvas", "encode_png",
    "ShoppingPlot", "ActivationPlot", "NumericalGradientPlot",
    "shopping_figure", "activation_figure", "numerical_gradient_figure",
]

FORWARD_DIFF_COLOR = "#009E73"  # Okabe-Ito green and purple: not the graph pictures'
CENTRAL_DIFF_COLOR = "#CC79A7"  # blue/orange, which mean forward/backward pass there
ERROR_FLOOR = 1e-17  # errors of exactly 0 cannot go on a log scale; they are drawn here


class StaticFigure(Figure):
    """A matplotlib Figure that displays as a PNG in a notebook whatever the backend."""

    def _repr_png_(self):
        return png_bytes(self, dpi=100)

    def __repr__(self):
        # "<Figure size 900x460 with 1 Axes>", the text every Figure has: the notebooks'
        # stored outputs (and nbval's sanitizing of them) need not know this subclass
        return super().__repr__().replace(type(self).__name__, "Figure", 1)


def agg_canvas(fig, dpi):
    """The figure's Agg canvas at ``dpi``, attached once and then reused.

    ``savefig`` would make a new canvas and, with a layout engine, draw twice per call;
    drawing a canvas of our own once and encoding its pixels saves about a fifth of a
    widget's redraw.
    """
    if fig.dpi != dpi:
        fig.set_dpi(dpi)
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    return fig.canvas


def encode_png(canvas):
    """PNG bytes of what ``canvas`` last drew. Light compression: speed matters more here."""
    width, height = canvas.get_width_height(physical=True)
    image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="png", compress_level=1)
    return buffer.getvalue()


def png_bytes(fig, dpi=100):
    """The whole figure drawn afresh, as PNG bytes."""
    canvas = agg_canvas(fig, dpi)
    canvas.draw()
    return encode_png(canvas)


# --- lesson 3: the shopping graph -------------------------------------------------------


class ShoppingPlot:
    """The apples-and-oranges graph with values (blue, above) and gradients (orange, below).

    The Figure is sized for graph ``g`` (see :func:`bpcourse.drawing.figure_size`) but
    empty until ``update(g)``, which redraws the run graph ``g`` into the same Axes
    (``ax``): the layout does not depend on the numbers, so the picture stays put while
    they change.
    """

    def __init__(self, g, fontsize=15):
        self.fontsize = fontsize
        self.fig = StaticFigure(figsize=figure_size(g, fontsize=fontsize))
        self.ax = self.fig.add_axes([0, 0, 1, 1])

    def update(self, g):
        draw_graph(g, self.ax, fmt=format_yen, fontsize=self.fontsize, run=False)
        return self


def shopping_figure(apple=100, apple_num=2, orange=150, orange_num=3, tax=1.1):
    """Static fallback of the shopping explorer (lesson 3): the graph for fixed inputs."""
    g = E.shopping_graph(apple, apple_num, orange, orange_num, tax)
    return ShoppingPlot(g).update(g).fig


# --- lesson 4: activation layers --------------------------------------------------------


class ActivationPlot:
    """Left: y = layer.forward(x) with the tangent at x. Right: dy/dx = layer.backward(1).

    The current input is marked on both curves; a box on the right spells out the backward
    pass dx = dout × dy/dx. ``xs`` are the inputs the curves are drawn over.
    """

    def __init__(self, xs=None):
        self.xs = np.linspace(*E.X_RANGE, 601) if xs is None else np.asarray(xs, dtype=float)
        self.fig = StaticFigure(figsize=(11, 4), layout="constrained")
        self.ax_f, self.ax_d = self.fig.subplots(1, 2)
        (self.curve,) = self.ax_f.plot([], [], color=FORWARD_COLOR, lw=2.2)
        (self.tangent,) = self.ax_f.plot([], [], color=INK, lw=1.2, ls="--")
        # not clipped: at x = ±6, the sliders' ends, a clipped marker is cut in half
        (self.point,) = self.ax_f.plot([], [], "o", color=INK, ms=8, clip_on=False)
        (self.d_curve,) = self.ax_d.plot([], [], color=BACKWARD_COLOR, lw=2.2)
        (self.d_point,) = self.ax_d.plot([], [], "o", color=INK, ms=8, clip_on=False)
        self.backward_text = self.ax_d.text(
            0.03, 0.96, "", transform=self.ax_d.transAxes, va="top",
            bbox=dict(boxstyle="round", fc="white", ec="#999999"))
        # one number of decimals per panel for both layers (ReLU's 1 would be 1.0 for the
        # sigmoid): labels as wide, so the panels stay put when the learner switches
        self.ax_f.yaxis.set_major_formatter(StrMethodFormatter("{x:.1f}"))
        self.ax_d.yaxis.set_major_formatter(StrMethodFormatter("{x:.2f}"))
        for ax in (self.ax_f, self.ax_d):
            ax.axhline(0, color="#999999", lw=0.8)
            ax.axvline(0, color="#999999", lw=0.8)
            ax.set_xlabel("x")
            ax.set_xlim(self.xs[0], self.xs[-1])
            ax.grid(alpha=0.3)
        self.name = None

    def update(self, point):
        """Show ActivationPoint ``point``; recompute the curves only if the layer changed."""
        if point.name != self.name:
            y, dydx = E.activation_curves(point.name, self.xs)
            self.curve.set_data(self.xs, y)
            self.d_curve.set_data(self.xs, dydx)
            # ReLU's derivative jumps at 0: a step there, not a ramp to the next sample
            self.d_curve.set_drawstyle("steps-pre" if point.name == "ReLU" else "default")
            for ax, values, room in ((self.ax_f, y, 0.08), (self.ax_d, dydx, 0.7)):
                low, high = min(values.min(), 0.0), values.max()
                # the right panel keeps headroom for the backward-pass box at its top
                ax.set_ylim(low - 0.08 * (high - low), high + room * (high - low))
            layer = E.ACTIVATIONS[point.name].__name__  # "Relu": the class the learner wrote
            # "medium", not the larger default: the titles are as long as the panels are wide
            self.ax_f.set_title(f"forward: y = {layer}.forward(x)", fontsize="medium")
            self.ax_d.set_title(f"local gradient: dy/dx = {layer}.backward(1)", fontsize="medium")
            self.name = point.name
        self.point.set_data([point.x], [point.y])
        self.d_point.set_data([point.x], [point.local])
        half = 1.2  # half-length of the tangent along x: long enough to read its slope
        self.tangent.set_data([point.x - half, point.x + half],
                              [point.y - half * point.local, point.y + half * point.local])
        x, y, dout, dx, local = (format_value(v, ".4g") for v in
                                   (point.x, point.y, point.dout, point.dx, point.local))
        # three short lines, not two long ones: at the notebooks' 13 points a long line ran
        # past the panel's edge
        self.backward_text.set_text(f"x = {x}:  y = {y},  dy/dx = {local}\n"
                                    f"backward: dx = dout × dy/dx\n"
                                    f"    = {dout} × {local} = {dx}")
        return self


def activation_figure(name="Sigmoid", x=1.0, dout=1.0):
    """Static fallback of the activation explorer (lesson 4): a matplotlib Figure.

    name: a key of ``explorers.ACTIVATIONS`` ("ReLU" or "Sigmoid"); x: the input marked on
    the curves, within ``explorers.X_RANGE`` (-6 to 6); dout: the upstream gradient of the
    backward-pass box, any finite number. Else ValueError, as from the explorer's sliders.
    """
    # the explorer's sliders refuse these too: nan, or an x off the curves, drew a broken plot
    x = require_number("x", x, *E.X_RANGE, what="the range the curves are drawn over")
    dout = require_number("dout", dout)
    return ActivationPlot().update(E.activation_point(name, x, dout)).fig


# --- lesson 2: numerical differentiation ------------------------------------------------


class NumericalGradientPlot:
    """log-log errors of forward and central differences over all h, current h marked.

    Dashed lines are the textbook estimates: truncation h|f″|/2 (forward) and h²|f‴|/6
    (central), rounding ε|f(x)|/h. Where the solid curve follows its falling line the step
    is too coarse; where it follows the rising one, subtraction has cancelled the digits.
    """

    def __init__(self, hs=None):
        self.hs = E.h_grid() if hs is None else np.asarray(hs, dtype=float)
        self.fig = StaticFigure(figsize=(9, 5.2), layout="constrained")
        ax = self.ax = self.fig.add_subplot()
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(E.H_MIN, E.H_MAX)
        ax.set_ylim(ERROR_FLOOR / 2, 10)
        ax.set_xlabel("step h")
        ax.set_ylabel("|numerical − exact derivative|")
        ax.grid(alpha=0.3, which="major")
        ax.axvline(E.BOOK_H, color="#777777", ls=":", lw=1.5)
        # on white, above the moving h line, which would otherwise cut through it
        ax.text(E.BOOK_H, 3, "the book's h = 1e-4", color="#555555", va="top", zorder=4,
                bbox=dict(boxstyle="square,pad=0.15", fc="white", ec="none"))
        self.lines = {}
        for key, color, text in (("forward", FORWARD_DIFF_COLOR, "forward difference"),
                                 ("central", CENTRAL_DIFF_COLOR, "central difference")):
            (self.lines[key],) = ax.plot([], [], color=color, lw=2, label=text)
            (self.lines[key + "_guide"],) = ax.plot([], [], color=color, lw=1, ls="--")
        (self.lines["rounding_guide"],) = ax.plot([], [], color="#777777", lw=1, ls="--")
        self.h_line = ax.axvline(E.BOOK_H, color=INK, lw=1.2)
        self.markers = {
            key: ax.plot([], [], "o", color=self.lines[key].get_color(), mec=INK, ms=9,
                         zorder=5, clip_on=False)[0]  # whole even at h = 1e-12, the edge
            for key in ("forward", "central")}
        # one entry for both truncation lines, drawn in both colours: each estimate has
        # its method's colour, and only the rounding line is grey. Below the axes: inside,
        # some h put a marker on it, whichever of the two was drawn on top
        lines = self.lines
        self.legend = self.fig.legend(
            [lines["forward"], lines["central"], (lines["forward_guide"], lines["central_guide"]),
             lines["rounding_guide"]],
            ["forward difference", "central difference", "estimate: truncation (dashed)",
             "estimate: rounding (dashed)"],
            handler_map={tuple: HandlerTuple(ndivide=None)},
            loc="outside lower center", ncols=2)
        self.note = ax.text(0.01, 0.98, "", transform=ax.transAxes, ha="left", va="top",
                            bbox=dict(boxstyle="round", fc="white", ec="#999999"))
        self.name = None
        self.at = None  # DifferenceErrors at the marked h, after update()

    def update(self, name, h):
        """Show DIFF_FUNCTIONS[name]'s error curves with step ``h`` marked."""
        fn = E.diff_function(name)
        if name != self.name:
            err = E.difference_errors(name, self.hs)
            self.lines["forward"].set_data(self.hs, np.maximum(err.forward, ERROR_FLOOR))
            self.lines["central"].set_data(self.hs, np.maximum(err.central, ERROR_FLOOR))
            for key, values in E.error_estimates(name, self.hs)._asdict().items():
                # a zero estimate (f‴ = 0 for a quadratic) has no line to draw
                shown = np.where(values >= ERROR_FLOOR, values, np.nan)
                self.lines[key + "_guide"].set_data(self.hs, shown)
            self.ax.set_title(f"Numerical derivative of {fn.label}: exact value "
                              f"{err.exact:.6g}", fontsize="medium")  # the book's is long
            self.name = name
        # kept for the explorer's readout, so the two always show the same errors
        at = self.at = E.difference_errors(name, np.array([h]))
        self.h_line.set_xdata([h, h])
        for key, err in (("forward", at.forward[0]), ("central", at.central[0])):
            self.markers[key].set_data([h], [max(err, ERROR_FLOOR)])
        self.note.set_text(f"h = {format_exponent(h)}\n"
                           f"forward error {format_exponent(at.forward[0])}\n"
                           f"central error {format_exponent(at.central[0])}")
        return self


def numerical_gradient_figure(name="book", h=E.BOOK_H):
    """Static fallback of the numerical-gradient explorer (lesson 2): a matplotlib Figure.

    name: a key of ``explorers.DIFF_FUNCTIONS`` ("book", "sin" or "exp"); h: the step
    marked, from ``explorers.H_MIN`` to ``explorers.H_MAX``.
    """
    h = require_number("h", h, E.H_MIN, E.H_MAX, what="the range the plot shows")
    return NumericalGradientPlot().update(name, h).fig
