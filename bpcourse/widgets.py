"""Interactive explorers for the notebooks, built on ipywidgets 8 (lessons 2, 3, 4 and 6).

Backpropagation clicks when you change a number and see every derivative update. Each
factory returns a widget (an ``ipywidgets.VBox`` with its controls, figure and readout
as attributes) that shows itself when it is the last expression of a cell:

* lesson 2, ``numerical_gradient_explorer()``; static: ``numerical_gradient_figure()``
* lesson 3, ``shopping_explorer()``; static: ``shopping_figure()``
* lesson 4, ``activation_explorer()``; static: ``activation_figure()``
* lesson 6, ``training_dashboard(x_train, t_train, x_test, t_test)``; static:
  ``training_figure(history)`` and ``mistakes_figure(network, x_test, t_test)``
* lesson 6, ``look_inside(network, x_test, t_test)``; static: ``look_inside_figure(...)``

The static fallbacks draw the same picture for fixed values, so a notebook still teaches
in a static HTML export, where widgets are dead.

Each widget keeps one matplotlib Figure, updates its artists and shows it as PNG bytes in
an ``ipywidgets.Image``. That needs no ipympl, works alike in JupyterLab 4, Notebook 7 and
VS Code, and, unlike an ``Output`` widget with ``plt.show()``, works from the dashboard's
training thread: setting a widget's value only sends a message, whereas what an Output
widget captures is routed by the cell the kernel is running at that moment.
"""

import html
import importlib

import ipywidgets as widgets
import numpy as np

from bpcourse import explorers as E
from bpcourse.checks import require_number
from bpcourse.explorer_plots import (
    ActivationPlot,
    NumericalGradientPlot,
    ShoppingPlot,
    activation_figure,
    numerical_gradient_figure,
    png_bytes,
    shopping_figure,
)
from bpcourse.formatting import format_exponent, format_value, format_yen
from bpcourse.training_plots import look_inside_figure, mistakes_figure, training_figure

# The lesson-6 widgets live in bpcourse.training_widgets and bpcourse.look_inside_widget,
# which build on Explorer and the settings below; they are looked up on first use (see
# __getattr__), so no module imports another while it is half-initialised.
_LESSON6 = {"training_dashboard": "training_widgets", "TrainingDashboard": "training_widgets",
            "look_inside": "look_inside_widget", "LookInside": "look_inside_widget"}

__all__ = [
    "shopping_explorer", "activation_explorer", "numerical_gradient_explorer",
    "shopping_figure", "activation_figure", "numerical_gradient_figure", "training_figure",
    "mistakes_figure", "look_inside_figure",
    "ShoppingExplorer", "ActivationExplorer", "NumericalGradientExplorer",
    *_LESSON6,
]


def __getattr__(name):
    if name in _LESSON6:
        return getattr(importlib.import_module(f"bpcourse.{_LESSON6[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


DPI = 90  # PNG resolution in the widgets: sharp enough, and a redraw stays quick
WIDE = {"description_width": "9em"}
# wider than ipywidgets' 300 px: after the 9em label and the readout, a slider's track was
# under 90 px, too short to hit a value with the mouse in front of a class (now ~180 px)
SLIDER_LAYOUT = {"width": "30em"}
# where a starting value's bounds come from, for require_number's message
SLIDER_RANGE = "the range of its slider"


def image_widget():
    """An Image for a figure's PNG, shrunk to fit a narrow notebook, never stretched."""
    # align_self: in a VBox, flex stretched the picture to the box's width (1043 px drawn
    # 1081 px wide, and taller with it), so an explorer no longer fitted a 1280 x 800 screen;
    # margin 0: the default 2 px beside a picture shrunk to 100% made a horizontal scrollbar
    return widgets.Image(format="png", layout=widgets.Layout(max_width="100%", height="auto",
                                                             align_self="flex-start",
                                                             margin="0"))


# JupyterLab gives a widget's HTML a 28 px line height and table cells 1 px of padding: a
# readout's lines looked like separate paragraphs and its table's headers ran together
READOUT_STYLE = "line-height: 1.4"
CELL_STYLE = "padding: 1px 0.7em"


def readout_html(body):
    """``body`` (HTML) in a block whose lines sit as close as a markdown cell's.

    The readouts of every explorer (lessons 2 to 4 and 6) and the dashboard's texts use it.
    """
    return f"<div style='{READOUT_STYLE}'>{body}</div>"


def readout_table(header, rows, numbers=()):
    """An HTML table for a readout: ``header`` and each of ``rows`` are lists of cells
    (HTML); the columns whose indices are in ``numbers`` are aligned right (lessons 2, 3)."""
    def cells(tag, values):  # headers too: a browser centres <th> unless told
        return "".join(
            f"<{tag} style='{CELL_STYLE}; text-align: {'right' if i in numbers else 'left'}'>"
            f"{value}</{tag}>" for i, value in enumerate(values))

    body = "".join(f"<tr>{cells('td', row)}</tr>" for row in rows)
    return f"<table><tr>{cells('th', header)}</tr>{body}</table>"


class Explorer(widgets.VBox):
    """Controls on top, the figure (``image``, PNG of ``plot.fig``) and a ``readout`` below.

    Subclasses build ``plot`` and the controls, then call ``_finish(controls, watched)``;
    ``update()`` recomputes everything from the controls' current values.
    """

    def _finish(self, controls, watched):
        self.image = image_widget()
        self.readout = widgets.HTML()
        super().__init__([controls, self.image, self.readout])
        for control in watched:
            control.observe(lambda change: self.update(), names="value")
        self.update()

    def _show(self):
        self.image.value = png_bytes(self.plot.fig, DPI)

    def __repr__(self):  # the text/plain of the cell output, e.g. in nbval or a text export
        return f"{type(self).__name__}()"


def _slider(kind, value, low, high, step, description, name, **kw):
    value = require_number(name, value, low, high, whole=kind is widgets.IntSlider,
                           what=SLIDER_RANGE)
    return kind(value=value, min=low, max=high, step=step, description=description,
                style=WIDE, continuous_update=True, layout=SLIDER_LAYOUT, **kw)


class ShoppingExplorer(Explorer):
    """Lesson 3: sliders for the apples-and-oranges bill; the graph redraws as they move.

    Controls: ``apple``, ``apple_num``, ``orange``, ``orange_num``, ``tax`` (also in
    ``sliders``). ``graph`` is the graph (its × and + are MulLayer/AddLayer), ``plot.fig`` /
    ``plot.ax`` the picture, ``readout`` the price and its gradients as text.
    """

    def __init__(self, apple=100, apple_num=2, orange=150, orange_num=3, tax=1.1):
        self.apple = _slider(widgets.IntSlider, apple, 0, 300, 10, "apple, yen each", "apple")
        self.apple_num = _slider(widgets.IntSlider, apple_num, 0, 10, 1, "apples", "apple_num")
        self.orange = _slider(widgets.IntSlider, orange, 0, 300, 10, "orange, yen each", "orange")
        self.orange_num = _slider(widgets.IntSlider, orange_num, 0, 10, 1, "oranges",
                                  "orange_num")
        self.tax = _slider(widgets.FloatSlider, tax, 1.0, 1.5, 0.01, "tax", "tax",
                           readout_format=".2f")
        self.sliders = dict(zip(E.SHOPPING_INPUTS, [self.apple, self.apple_num, self.orange,
                                                    self.orange_num, self.tax], strict=True))
        self.graph = E.shopping_graph(**self.values())
        self.plot = ShoppingPlot(self.graph)
        controls = widgets.HBox([widgets.VBox([self.apple, self.apple_num, self.tax]),
                                 widgets.VBox([self.orange, self.orange_num])])
        self._finish(controls, self.sliders.values())
        # at most 860 px wide, so sliders, graph and table fit a 1280 x 800 screen together
        # (drawn 1043 px wide, the graph needs 473 px of height)
        self.image.layout.max_width = "min(100%, 860px)"

    def values(self):
        return {name: slider.value for name, slider in self.sliders.items()}

    def update(self):
        price, grads = E.shopping_values(self.graph, **self.values())  # reruns the graph
        self.plot.update(self.graph)
        # the price is linear in each input alone, so gradient × step is exactly what one
        # notch of that slider does (a notch is 10 yen, or 0.01 of tax, not 1)
        # one short line a row, so that sliders, picture and table fit a 1280 x 800 screen
        rows = [[f"∂price/∂{name}", f"<b>{format_yen(grad)}</b>",
                 f"+{self.sliders[name].step:g}",
                 format_yen(grad * self.sliders[name].step)]
                for name, grad in grads.items()]
        header = ["gradient", "price change per +1 (the rest fixed)",
                  "one notch of its slider", "changes the price by"]
        self.readout.value = readout_html(
            f"<p>price = <b>{format_yen(price)}</b> (forward pass, left to right)</p>"
            + readout_table(header, rows, numbers=(1, 2, 3)))
        self._show()


def shopping_explorer(apple=100, apple_num=2, orange=150, orange_num=3, tax=1.1):
    """The shopping-graph explorer of lesson 3 (notebook 03_simple_layers).

    The starting values must lie on the sliders: prices 0 to 300 yen and counts 0 to 10
    (whole numbers), tax 1.0 to 1.5; else a ValueError says which one is off.
    """
    return ShoppingExplorer(apple, apple_num, orange, orange_num, tax)


class ActivationExplorer(Explorer):
    """Lesson 4: pick ReLU or Sigmoid, move x and the upstream gradient dout.

    Controls: ``kind`` (ToggleButtons), ``x`` and ``dout`` (sliders). ``plot.ax_f`` shows
    the layer's forward curve, ``plot.ax_d`` its local gradient; ``point`` is the
    :class:`bpcourse.explorers.ActivationPoint` on show, ``readout`` says it in words.
    """

    def __init__(self, name="ReLU", x=1.0, dout=1.0):
        E.activation_class(name)  # an unknown name: the KeyError that lists the known ones
        self.kind = widgets.ToggleButtons(options=list(E.ACTIVATIONS), value=name)
        self.x = _slider(widgets.FloatSlider, x, *E.X_RANGE, 0.1, "input x", "x")
        self.dout = _slider(widgets.FloatSlider, dout, -2.0, 2.0, 0.1, "upstream dout", "dout")
        self.plot = ActivationPlot()
        self.point = None
        # ToggleButtons put their own description above the buttons in JupyterLab, left
        # aligned: a label of the sliders' width, right aligned, keeps it on their line
        # (the slider labels' gap comes from their margin, which this box has as well)
        label = widgets.HTML("<div style='text-align: right'>layer</div>",
                             layout={"width": WIDE["description_width"]})
        controls = widgets.VBox([widgets.HBox([label, self.kind], layout={"align_items": "center"}),
                                 widgets.HBox([self.x, self.dout])])
        self._finish(controls, [self.kind, self.x, self.dout])

    def update(self):
        p = self.point = E.activation_point(self.kind.value, self.x.value, self.dout.value)
        self.plot.update(p)
        f = format_value
        why = {"ReLU": "ReLU passes the gradient where x &gt; 0 and blocks it (mask) where "
                       "x ≤ 0.",
               "Sigmoid": "Sigmoid scales the gradient by y(1 − y), at most 0.25, and almost "
                          "0 where it saturates."}[p.name]
        layer = E.ACTIVATIONS[p.name].__name__
        self.readout.value = readout_html(
            f"<code>{layer}.forward({f(p.x)})</code> = <b>{f(p.y)}</b><br>"
            f"<code>{layer}.backward({f(p.dout)})</code> = <b>{f(p.dx)}</b> "
            f"= dout {f(p.dout)} × local gradient {f(p.local)}<br>{why}")
        self._show()


def activation_explorer(name="ReLU", x=1.0, dout=1.0):
    """The activation-layer explorer of lesson 4 (notebook 04_activation_layers).

    name: "ReLU" or "Sigmoid"; x from -6 to 6 and dout from -2 to 2, the sliders' ranges.
    """
    return ActivationExplorer(name, x, dout)


class NumericalGradientExplorer(Explorer):
    """Lesson 2: a log slider for the step h; errors of forward and central differences.

    Controls: ``function`` (Dropdown of DIFF_FUNCTIONS keys) and ``h`` (FloatLogSlider,
    1e-12 to 1e-1). ``plot.ax`` is the log-log error plot, ``plot.lines`` its curves,
    ``plot.markers`` the current h's two errors; ``readout`` tabulates them.
    """

    def __init__(self, name="book", h=E.BOOK_H):
        E.diff_function(name)  # an unknown name: the KeyError that lists the known ones
        h = require_number("h", h, E.H_MIN, E.H_MAX, what=SLIDER_RANGE)
        self.function = widgets.Dropdown(
            options=[(fn.label, key) for key, fn in E.DIFF_FUNCTIONS.items()], value=name,
            description="function", style=WIDE, layout=SLIDER_LAYOUT)
        low, high = np.log10(E.H_MIN), np.log10(E.H_MAX)
        self.h = widgets.FloatLogSlider(value=h, base=10, min=low, max=high, step=0.1,
                                        description="step h", style=WIDE,
                                        readout_format=".1e", layout=SLIDER_LAYOUT)
        self.plot = NumericalGradientPlot()
        self._finish(widgets.HBox([self.function, self.h]), [self.function, self.h])

    def update(self):
        name, h = self.function.value, self.h.value
        self.plot.update(name, h)
        fn = E.DIFF_FUNCTIONS[name]
        errors, causes = self.plot.at, E.error_causes(name, h)
        # repr: every digit the float has, so an error of 2.5e-16 shows in the estimate too
        rows = [[method, repr(float(value)), format_exponent(err, 2), cause]
                for method, value, err, cause in (
                    ("forward (f(x+h) − f(x)) / h", E.forward_difference(fn.f, fn.x, h),
                     errors.forward[0], causes["forward"]),
                    ("central (f(x+h) − f(x−h)) / 2h", E.central_difference(fn.f, fn.x, h),
                     errors.central[0], causes["central"]))]
        self.readout.value = readout_html(
            f"<p>{html.escape(fn.label)}: exact derivative <b>{repr(float(errors.exact))}</b>, "
            f"step h = <b>{format_exponent(h)}</b></p>"
            + readout_table(["method", "estimate", "error", "which error dominates"], rows,
                            numbers=(1, 2)))
        self._show()


def numerical_gradient_explorer(name="book", h=E.BOOK_H):
    """The numerical-gradient explorer of lesson 2 (notebook 02_chain_rule).

    name: the function it opens on, a key of ``explorers.DIFF_FUNCTIONS`` ("book", "sin"
    or "exp"); h: the step it opens on, from ``explorers.H_MIN`` to ``explorers.H_MAX``.
    """
    return NumericalGradientExplorer(name, h)
