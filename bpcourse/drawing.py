"""Draw a :class:`bpcourse.graph.Graph` with matplotlib, in the style of the book's figures.

Lessons 1 to 5. Operation nodes are circles holding their symbol (a named layer is a box).
Values of the forward pass are written above each arrow in blue; gradients of the backward
pass are written below it in vermillion, next to a second arrow pointing back (leftwards).
The two colours are the Okabe-Ito pair, told apart with colour blindness too, and the
position (above/below) and arrow direction say the same thing again.

Only the object API is used (``matplotlib.figure.Figure``), so this works headless without
choosing a backend, and nothing here calls ``plt.show()``.
"""

import re

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

from bpcourse.formatting import format_value

FORWARD_COLOR = "#0072B2"  # Okabe-Ito blue
BACKWARD_COLOR = "#D55E00"  # Okabe-Ito vermillion
INK = "#1a1a1a"
MODES = ("forward", "backward", "both")
UNIT_INCHES = 0.8  # one layout unit on paper when we make the figure ourselves
_PT = 72 * UNIT_INCHES  # points per layout unit
RADIUS = 0.42  # op circle radius, layout units
GAP = 0.2  # distance between a forward arrow and its backward twin
ARROW = "-|>,head_length=0.7,head_width=0.35"


def _label_text(template, number, fmt):
    if template is None:
        return format_value(number, fmt)
    if callable(template):
        return template(number)
    return template.replace("{}", format_value(number, fmt)) if "{}" in template else template


_FRAC = re.compile(r"\\d?frac\{([^{}]*)\}\{([^{}]*)\}")


def _text_size(text, fontsize):
    """Rough (width, height) of a text in layout units, to size the picture before drawing."""
    width = height = 0.0
    for line in text.split("\n"):
        tall = "frac{" in line
        line = _FRAC.sub(lambda m: max(m.groups(), key=len), line)
        line = re.sub(r"\\[a-zA-Z]+", "x", line)  # \partial, \cdot: one glyph each
        line = re.sub(r"[${}^_\\]", "", line)
        width = max(width, 0.6 * fontsize * len(line))
        height += (2.7 if tall else 1.35) * fontsize
    return width / _PT, height / _PT


def _align(n):
    ha = "center" if abs(n[0]) < 0.35 else ("left" if n[0] > 0 else "right")
    va = "center" if abs(n[1]) < 0.35 else ("bottom" if n[1] > 0 else "top")
    return ha, va


class _Plan:
    """Everything to draw, in layout units, plus its estimated extent (so figures fit)."""

    def __init__(self):
        self.items, self.xs, self.ys = [], [], []

    def extend(self, x0, y0, x1, y1):
        self.xs += [x0, x1]
        self.ys += [y0, y1]

    def text(self, xy, text, offset=(0, 0), ha="center", va="center", size=16, **style):
        self.items.append(("text", xy, text, offset, ha, va, size, style))
        w, h = _text_size(text, size)
        x = xy[0] + offset[0] / _PT - {"left": 0, "center": w / 2, "right": w}[ha]
        y = xy[1] + offset[1] / _PT - {"bottom": 0, "center": h / 2, "top": h}[va]
        self.extend(x, y, x + w, y + h)

    def arrow(self, tail, head, style, color, lw, gid=None):
        self.items.append(("arrow", tail, head, style, color, lw, gid))
        self.extend(*tail, *head)

    @property
    def bounds(self):
        return min(self.xs) - 0.25, max(self.xs) + 0.25, min(self.ys) - 0.2, max(self.ys) + 0.2


def _outline(node, p, toward):
    """Where an arrow meets a node: the circle's rim or the box's side facing ``toward``."""
    p, toward = np.asarray(p, float), np.asarray(toward, float)
    if node.kind != "op":
        return p
    d = toward - p
    if node.op.shape == "box":
        w, h = _node_size(node)
        if abs(d[0]) * h >= abs(d[1]) * w:  # through the left or right side: stay level
            return np.array([p[0] + np.sign(d[0]) * w / 2, np.clip(toward[1], *_span(p[1], h))])
        return np.array([np.clip(toward[0], *_span(p[0], w)), p[1] + np.sign(d[1]) * h / 2])
    return p + _node_size(node)[0] / 2 * d / np.hypot(*d)


def _node_size(node):
    if node.op.shape == "box":
        return node.size or (2.4, 1.6)
    # a circle grows with its symbol, so "×(−1)" fits at a readable size
    r = max(RADIUS, 0.12 * len(node.op.symbol))
    return 2 * r, 2 * r


def _span(centre, length):
    return centre - length / 2 + 0.25, centre + length / 2 - 0.25


def plan_graph(graph, mode="both", fmt=None, fontsize=16, legend=True, title=None):
    """Lay out ``graph`` (already run) into a :class:`_Plan`; see :func:`draw_graph`.

    Lessons 1 to 5. Used directly for multi-panel figures (:func:`figure_for`, then
    :func:`render` per panel); the plan's ``items`` list every arrow and text to draw.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}; got {mode!r}")
    plan, pos = _Plan(), {n: np.asarray(p, float) for n, p in graph.layout().items()}
    for node, p in pos.items():
        if node.kind == "input" and node.label:
            plan.text(p, node.label, (-8, 0), "right", size=fontsize, color=INK, weight="bold")
        elif node.kind == "output" and node.label:
            plan.text(p, node.label, (8, 0), "left", size=fontsize, color=INK, weight="bold")
        elif node.kind == "op":
            plan.items.append(("node", node, p, fontsize))
            w, h = _node_size(node)
            plan.extend(p[0] - w / 2, p[1] - h / 2, p[0] + w / 2, p[1] + h / 2)
            if node.label:
                # nearly full size and in ink: on a projector grey small print fades away
                plan.text(p + (0, h / 2), node.label, (0, 6), va="bottom", size=fontsize - 1,
                          color=INK, style="italic")
    for edge in graph.edges:
        a, b = pos[edge.src], pos[edge.dst]
        start, end = _outline(edge.src, a, b), _outline(edge.dst, b, a)
        u = (end - start) / np.hypot(*(end - start))
        n = np.array([-u[1], u[0]]) if u[0] >= -1e-9 else np.array([u[1], -u[0]])
        # steep side inputs carry their texts low, away from the main arrow's texts
        mid = start + (0.5 if abs(u[1]) < 0.5 else 0.4) * (end - start)
        if mode == "backward":
            plan.arrow(start, end, "-", "#9a9a9a", 1.5, gid="edge")
        else:
            plan.arrow(start, end, ARROW, FORWARD_COLOR, 2.2, gid="forward")
            text = _label_text(edge.fwd_label, edge.value, fmt)
            plan.text(mid + 0.08 * n, text, 4 * n, *_align(n), size=fontsize, color=FORWARD_COLOR)
        if mode != "forward" and edge.grad is not None:
            back = -GAP * n
            tail, head = end - 0.18 * u + back, start + 0.18 * u + back
            plan.arrow(tail, head, ARROW, BACKWARD_COLOR, 2.2, gid="backward")
            text = _label_text(edge.bwd_label, edge.grad, fmt)
            plan.text(mid + back - 0.08 * n, text, -4 * n, *_align(-n), size=fontsize,
                      color=BACKWARD_COLOR)
    _legend_and_title(plan, mode if legend else None, title, fontsize)
    return plan


def _legend_and_title(plan, mode, title, fontsize):
    """A legend row (or column, if narrow) under the graph and a title over it."""
    x0, x1, y0, y1 = plan.bounds
    if mode:
        size = fontsize - 2
        fwd = (FORWARD_COLOR, 1, "forward pass: values (blue, →)")
        bwd = (BACKWARD_COLOR, -1, "backward pass: gradients (orange, ←)")
        entries = {"forward": [fwd], "backward": [bwd]}.get(mode, [fwd, bwd])
        widths = [1.1 + _text_size(label, size)[0] for *_, label in entries]
        one_row = sum(widths) + 0.6 * (len(widths) - 1) <= x1 - x0
        left = (x0 + x1 - (sum(widths) + 0.6 * (len(widths) - 1) if one_row else max(widths))) / 2
        y = y0 - 0.35
        for (color, sign, label), width in zip(entries, widths, strict=True):
            ends = [(left, y), (left + 0.9, y)][::sign]
            plan.arrow(*ends, ARROW, color, 2.2, gid="legend")
            plan.text((left + 1.1, y), label, ha="left", size=size, color=color)
            left, y = (left + width + 0.6, y) if one_row else (left, y - 1.7 * size / _PT)
    if title:
        plan.text(((x0 + x1) / 2, y1 + 0.1), title, va="bottom", size=fontsize + 1, color=INK,
                  weight="bold")


def render(ax, plan, scale=1.0):
    """Draw a plan into ``ax``: equal aspect, no axis lines, limits from the plan.

    ``scale`` multiplies every size given in points (fonts, line widths, text offsets): an
    Axes smaller than the planned size then shows the same picture, only smaller.
    """
    for item in plan.items:
        kind = item[0]
        if kind == "text":
            _, xy, text, offset, ha, va, size, style = item
            ax.annotate(text, xy, xytext=np.multiply(offset, scale), textcoords="offset points",
                        ha=ha, va=va, fontsize=size * scale, **style)
        elif kind == "arrow":
            _, tail, head, style, color, lw, gid = item
            ax.add_patch(FancyArrowPatch(tail, head, arrowstyle=style, color=color,
                                         lw=lw * scale, shrinkA=0, shrinkB=0,
                                         mutation_scale=14 * scale, gid=gid))
        elif kind == "node":
            _draw_node(ax, *item[1:], scale)
    x0, x1, y0, y1 = plan.bounds
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_axis_off()


def _draw_node(ax, node, p, fontsize, scale):
    symbol = node.op.symbol
    if node.op.shape == "box":
        w, h = _node_size(node)
        ax.add_patch(FancyBboxPatch((p[0] - w / 2, p[1] - h / 2), w, h, zorder=3, lw=2 * scale,
                                    boxstyle="round,pad=0,rounding_size=0.25", fc="white",
                                    ec=INK))
        size = fontsize
    else:
        r = _node_size(node)[0] / 2
        ax.add_patch(Circle(p, r, fc="white", ec=INK, lw=2 * scale, zorder=3))
        # one or two signs (+, ×, +1) read best large; a word such as exp or dot at that
        # size touches the ring
        size = fontsize + 4 if len(symbol) <= 2 else fontsize + 1
    ax.text(*p, symbol, ha="center", va="center", fontsize=size * scale, color=INK, zorder=4,
            weight="bold")


def figure_for(plans):
    """A Figure holding ``plans`` stacked top to bottom at one scale; returns (fig, axes).

    Lessons 2 and 4 stack symbolic and numeric versions of one graph this way;
    :func:`draw_graph` uses it for the single picture of every other graph (lessons 1-5).
    """
    sizes = [_plan_size(p) for p in plans]
    width, height = max(w for w, _ in sizes), sum(h for _, h in sizes)
    fig = Figure(figsize=(width, height), facecolor="white")
    axes, top = [], height
    for w, h in sizes:
        top -= h
        axes.append(fig.add_axes([(width - w) / 2 / width, top / height, w / width, h / height]))
    return fig, axes


def draw_graph(graph, ax=None, *, mode="both", fmt=None, fontsize=16, legend=True, title=None,
               run=True):
    """Draw ``graph``; returns ``(fig, ax)``. Lessons 1 to 5 (every graph picture).

    mode: "forward" (values above blue arrows), "backward" (gradients below vermillion
    arrows pointing left, the graph's edges in grey) or "both". ``run=True`` first runs the
    graph's forward and backward pass, so the numbers always match its current inputs.
    ``ax``: an existing Axes to draw into, else a new Figure sized so that text is readable
    (UNIT_INCHES per layout unit; :func:`figure_size` gives that size for your own Figure).
    Drawing into ``ax`` again replaces the previous picture; in an Axes smaller than
    :func:`figure_size` everything, text included, shrinks in proportion so nothing
    overlaps. A redraw takes tens of milliseconds, fast enough for a slider.
    ``fmt`` formats every number (see :func:`format_value`) unless an edge has its own
    label. A legend names the two colours; ``title`` goes on top.
    """
    if run:
        graph.run()
    plan = plan_graph(graph, mode, fmt, fontsize, legend, title)
    if ax is None:
        fig, (ax,) = figure_for([plan])
        render(ax, plan)
        return fig, ax
    fig = ax.figure
    # removing our artists is much faster than ax.clear(), which rebuilds the ticks
    for artist in [*ax.texts, *ax.patches, *ax.lines, *ax.collections, *ax.images]:
        artist.remove()
    box = ax.get_position(original=True)  # before set_aspect shrank it on an earlier draw
    width, height = fig.get_size_inches() * (box.width, box.height)
    need_w, need_h = _plan_size(plan)
    render(ax, plan, scale=min(width / need_w, height / need_h))
    return fig, ax


def _plan_size(plan):
    x0, x1, y0, y1 = plan.bounds
    return (x1 - x0) * UNIT_INCHES, (y1 - y0) * UNIT_INCHES


def figure_size(graph, mode="both", fontsize=16, legend=True, title=None):
    """(width, height) in inches at which :func:`draw_graph` draws ``graph`` at full size.

    Lesson 3: the shopping explorer's figure (:class:`bpcourse.explorer_plots.ShoppingPlot`)
    is made this size once, ``ax = fig.add_axes((0, 0, 1, 1))``, then each change is
    ``draw_graph(g, ax=ax)``. Runs the graph to know its numbers.
    """
    graph.run()
    width, height = _plan_size(plan_graph(graph, mode, None, fontsize, legend, title))
    return float(width), float(height)
