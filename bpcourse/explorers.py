"""The numbers behind the course's interactive explorers (lessons 2, 3, 4 and 6).

Every widget in :mod:`bpcourse.widgets` is a thin view: it reads its controls, calls one
function here and draws what comes back (with :mod:`bpcourse.explorer_plots`). Keeping the
numbers here, free of matplotlib and ipywidgets, lets the tests check them exactly and lets
a static figure in a notebook show the very numbers the widget shows.

Every derivative here is computed by the course's own code: the shopping graph by
MulLayer/AddLayer (through :mod:`bpcourse.graph`), the activations by ``layers.Relu`` and
``layers.Sigmoid``, the digits' input gradients by ``TwoLayerNet.input_gradient``. Only the
numerical-gradient explorer knows derivatives by formula, because comparing against the
exact derivative is its whole point. The training loop lives in :mod:`bpcourse.training_run`.
"""

import copy
import math
from typing import NamedTuple

import numpy as np

from bpcourse import graph, layers
from bpcourse.functions import as_label_indices

__all__ = [
    "SHOPPING_INPUTS", "ShoppingValues", "shopping_graph", "set_shopping_inputs",
    "shopping_values",
    "ACTIVATIONS", "ActivationPoint", "activation_point", "activation_curves",
    "DIFF_FUNCTIONS", "DiffFunction", "DifferenceErrors", "H_MIN", "H_MAX", "BOOK_H",
    "h_grid", "forward_difference", "central_difference", "difference_errors",
    "ErrorEstimates", "error_estimates", "error_causes",
    "image_shape", "mistakes", "DigitView", "look_inside_values",
    "private_view",
]

# --- lesson 3: the shopping graph -------------------------------------------------------

#: The input leaves of the apples-and-oranges graph, in the order of the sliders.
SHOPPING_INPUTS = ("apple", "apple_num", "orange", "orange_num", "tax")


class ShoppingValues(NamedTuple):
    """The price and its gradient with respect to each input: {"apple": 2.2, ...}."""

    price: float
    gradients: dict


def shopping_graph(apple=100, apple_num=2, orange=150, orange_num=3, tax=1.1):
    """The apples-and-oranges graph of lesson 3, already run forward and backward.

    Its × and + nodes are MulLayer and AddLayer, so each value and gradient on it is the
    layers' own result. Change inputs with :func:`set_shopping_inputs`.
    """
    g = graph.apple_orange_graph(apple, apple_num, orange, orange_num, tax)
    g.run()
    return g


def set_shopping_inputs(g, **inputs):
    """Put new input values (keys from SHOPPING_INPUTS) into graph ``g`` and re-run it."""
    for name, value in inputs.items():
        if name not in SHOPPING_INPUTS:
            raise KeyError(f"unknown shopping input {name!r}; expected one of {SHOPPING_INPUTS}")
        g[name].value = value
    g.run()
    return g


def shopping_values(g=None, **inputs):
    """ShoppingValues of graph ``g`` (run), or of a new shopping graph with ``inputs``.

    Lesson 3: at the defaults the price is 715.0000000000001 and the gradients are
    apple 2.2, apple_num 110.00000000000001, orange 3.3000000000000003, orange_num 165.0,
    tax 650.0, exactly what MulLayer/AddLayer give when called by hand.
    """
    if g is None:
        g = shopping_graph(**inputs)
    elif inputs:
        set_shopping_inputs(g, **inputs)
    return ShoppingValues(g["price"].value, {name: g[name].grad for name in SHOPPING_INPUTS})


# --- lesson 4: activation layers --------------------------------------------------------

#: The activation layers the learner can pick, by the name shown on the buttons.
ACTIVATIONS = {"ReLU": layers.Relu, "Sigmoid": layers.Sigmoid}


class ActivationPoint(NamedTuple):
    """One forward and backward pass of an activation layer at a single input.

    y = layer.forward(x); dx = layer.backward(dout); local = layer.backward(1), the slope
    dy/dx the layer multiplies the upstream gradient by (so dx = dout * local).
    """

    name: str
    x: float
    y: float
    dout: float
    dx: float
    local: float


def _activation_layer(name):
    try:
        return ACTIVATIONS[name]()
    except KeyError:
        raise KeyError(f"unknown activation {name!r}; expected one of {list(ACTIVATIONS)}") \
            from None


def activation_point(name, x, dout=1.0):
    """ActivationPoint of layer ``name`` ("ReLU" or "Sigmoid") at input x with upstream dout.

    Lesson 4. The input goes in as a one-element array, the shape a layer sees in a network.
    """
    layer = _activation_layer(name)
    y = layer.forward(np.array([x], dtype=float))
    dx = layer.backward(np.array([dout], dtype=float))
    local = layer.backward(np.ones(1))  # backward reuses what forward stored
    return ActivationPoint(name, float(x), float(y[0]), float(dout), float(dx[0]),
                           float(local[0]))


def activation_curves(name, xs):
    """(y, dy/dx) of layer ``name`` over the inputs xs (1-D), each of xs's shape.

    The derivative curve is the layer's backward pass with an upstream gradient of 1 at
    every point, so the picture shows what the layer computes, not a formula.
    """
    layer = _activation_layer(name)
    xs = np.asarray(xs, dtype=float)
    return layer.forward(xs), layer.backward(np.ones_like(xs))


# --- lesson 2: numerical differentiation ------------------------------------------------


class DiffFunction(NamedTuple):
    """A function with known derivatives, for the numerical-gradient explorer.

    f and df work elementwise on arrays; d2 and d3, the 2nd and 3rd derivatives at x, feed
    :func:`error_estimates`.
    """

    label: str
    f: object
    df: object
    x: float
    d2: float
    d3: float


#: Functions the learner can pick; the first is the book's (section 4.3.2).
DIFF_FUNCTIONS = {
    "book": DiffFunction("0.01x² + 0.1x at x = 5 (the book's)",
                         lambda x: 0.01 * x**2 + 0.1 * x, lambda x: 0.02 * x + 0.1,
                         5.0, 0.02, 0.0),
    "sin": DiffFunction("sin x at x = 1", np.sin, np.cos, 1.0, -math.sin(1.0), -math.cos(1.0)),
    "exp": DiffFunction("exp x at x = 1", np.exp, np.exp, 1.0, math.e, math.e),
}

H_MIN, H_MAX = 1e-12, 1e-1  # the slider's range
BOOK_H = 1e-4  # the step the book (and bpcourse.numerical_gradient) uses


class DifferenceErrors(NamedTuple):
    """|estimate - exact derivative| for steps h, by forward and by central differences."""

    h: np.ndarray
    forward: np.ndarray
    central: np.ndarray
    exact: float


def h_grid(n=221):
    """n steps from H_MIN to H_MAX, evenly spaced on a log scale (20 per decade at 221)."""
    return np.logspace(np.log10(H_MIN), np.log10(H_MAX), n)


def forward_difference(f, x, h):
    """(f(x + h) - f(x)) / h: the book's first, one-sided try; error O(h)."""
    return (f(x + h) - f(x)) / h


def central_difference(f, x, h):
    """(f(x + h) - f(x - h)) / (2h): what ``numerical_gradient`` uses; error O(h²)."""
    return (f(x + h) - f(x - h)) / (2 * h)


def difference_errors(name, h=None):
    """DifferenceErrors of DIFF_FUNCTIONS[name] at steps ``h`` (default :func:`h_grid`).

    Lesson 2. h: a float or an array; the errors have its shape. Large h: truncation error
    (the secant is not the tangent) falls like h or h². Small h: f(x + h) and f(x) agree in
    almost all their digits, so their difference keeps few correct ones and the rounding
    error grows like 1/h. Errors can be exactly 0; a log plot must floor them.
    """
    fn = DIFF_FUNCTIONS[name]
    h = h_grid() if h is None else np.asarray(h, dtype=float)
    exact = float(fn.df(fn.x))
    fwd = np.abs(forward_difference(fn.f, fn.x, h) - exact)
    cen = np.abs(central_difference(fn.f, fn.x, h) - exact)
    return DifferenceErrors(h, fwd, cen, exact)


class ErrorEstimates(NamedTuple):
    """Textbook error sizes at steps h: truncation of forward (h|f″|/2) and of central
    (h²|f‴|/6) differences, and rounding (ε|f(x)|/h); the explorer's dashed lines."""

    forward: np.ndarray
    central: np.ndarray
    rounding: np.ndarray


def error_estimates(name, h):
    """ErrorEstimates of DIFF_FUNCTIONS[name] at steps h (float or array); lesson 2."""
    fn = DIFF_FUNCTIONS[name]
    h = np.asarray(h, dtype=float)
    return ErrorEstimates(h * abs(fn.d2) / 2, h**2 * abs(fn.d3) / 6,
                          np.finfo(float).eps * abs(float(fn.f(fn.x))) / h)


def error_causes(name, h):
    """{"forward": cause, "central": cause}: which error the estimates say dominates at h.

    Estimates within a factor of 3 of each other are called about equal: that is the floor
    of the valley, near the best h for that method, and neither error is to blame.
    """
    guess = error_estimates(name, float(h))

    def cause(truncation):
        if truncation == 0:
            return "rounding only (this f has no truncation error here)"
        ratio = truncation / guess.rounding
        if ratio > 3:
            return "truncation (shrinks as h shrinks)"
        if ratio < 1 / 3:
            return "rounding (grows as h shrinks)"
        return "both about equal (near the best h)"

    return {"forward": cause(guess.forward), "central": cause(guess.central)}


# --- lesson 6: looking at a trained network ---------------------------------------------


def image_shape(size):
    """(side, side) for a square number of pixels (784 -> (28, 28)), else (1, size)."""
    side = math.isqrt(size)
    return (side, side) if side * side == size else (1, size)


def mistakes(network, x, t):
    """(indices, predicted, true) of the samples in x (N, D) that ``network`` gets wrong.

    t: (N,) labels or (N, C) one-hot. All three are 1-D integer arrays in the data's order.
    The training dashboard shows the first of these as a grid of digits.
    """
    true = as_label_indices(t, network.params["W2"].shape[1], count=len(x))
    predicted = network.predict_labels(x)
    wrong = np.flatnonzero(predicted != true)
    return wrong, predicted[wrong], true[wrong]


class DigitView(NamedTuple):
    """What "look inside" shows for one test digit (shapes for MNIST).

    image (28, 28); probs (10,) softmax probabilities; predicted and label (ints); loss of
    this one digit; grad (28, 28) = dL/dx, the loss's gradient with respect to each pixel.
    """

    index: int
    image: np.ndarray
    probs: np.ndarray
    predicted: int
    label: int
    loss: float
    grad: np.ndarray


def private_view(network):
    """A network sharing ``network``'s weights (same arrays) but with its own layers.

    A layer keeps the inputs of its last forward pass for backward. If "look inside" ran
    its passes through the very layers a training thread is using, each would overwrite
    what the other stored and training would use a wrong gradient. Copied layers keep the
    weight arrays themselves, so the view still sees every update training makes.
    """
    if not hasattr(network, "layers") or not hasattr(network, "last_layer"):
        return network  # not a TwoLayerNet-like network: use it as it is
    view = copy.copy(network)
    view.layers = type(network.layers)((k, copy.copy(v)) for k, v in network.layers.items())
    view.last_layer = copy.copy(network.last_layer)
    return view


def look_inside_values(network, x, t, index):
    """DigitView of sample ``index`` of x (N, D) with targets t, as ``network`` sees it.

    Lesson 6: one forward and one backward pass all the way to the input
    (``TwoLayerNet.input_gradient``); the probabilities are those its SoftmaxWithLoss
    layer computed on the way, so the picture and the gradient come from one pass.
    """
    n = len(x)
    if not -n <= index < n:
        raise IndexError(f"index {index} is out of range for {n} samples")
    index = index % n
    labels = as_label_indices(t, network.params["W2"].shape[1], count=n)
    xi, ti = x[index:index + 1], labels[index:index + 1]
    grad = network.input_gradient(xi, ti)
    probs = np.asarray(network.last_layer.y[0], dtype=float)
    shape = image_shape(xi.size)
    return DigitView(index, np.asarray(xi, dtype=float).reshape(shape), probs,
                     int(probs.argmax()), int(ti[0]), float(network.last_layer.loss),
                     np.asarray(grad, dtype=float).reshape(shape))

