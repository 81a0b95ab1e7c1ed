"""The numbers behind the course's interactive explorers (lessons 2, 3, 4 and 6).

The explorers of lessons 2 to 4 in :mod:`bpcourse.widgets` are thin views: each reads its
controls, calls one function here and draws what comes back (with
:mod:`bpcourse.explorer_plots`). Lesson 6's dashboard and "look inside" get their numbers
from training and the network and draw with :mod:`bpcourse.training_plots`. Keeping the
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
from bpcourse.checks import require_key
from bpcourse.functions import as_label_indices
from bpcourse.numerical_differences import (  # lesson 2; a module of its own for length
    BOOK_H,
    DIFF_FUNCTIONS,
    H_MAX,
    H_MIN,
    DifferenceErrors,
    DiffFunction,
    ErrorEstimates,
    central_difference,
    diff_function,
    difference_errors,
    error_causes,
    error_estimates,
    forward_difference,
    h_grid,
)

__all__ = [
    "SHOPPING_INPUTS", "ShoppingValues", "shopping_graph", "set_shopping_inputs",
    "shopping_values",
    "ACTIVATIONS", "X_RANGE", "ActivationPoint", "activation_class", "activation_point",
    "activation_curves", "DIFF_FUNCTIONS", "diff_function", "DiffFunction",
    "DifferenceErrors", "H_MIN", "H_MAX", "BOOK_H",
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
X_RANGE = (-6.0, 6.0)  # the inputs the curves are drawn over: the x slider's range


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


def activation_class(name):
    """The layer class of activation ``name``, a key of ACTIVATIONS (``Relu`` for "ReLU")."""
    return require_key(ACTIVATIONS, name, "activation")


def _activation_layer(name):
    return activation_class(name)()


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


# --- lesson 6: looking at a trained network ---------------------------------------------


def image_pixels(x):
    """Values per sample of x (N, ...): 784 for MNIST, whether flat or 28 x 28 (lesson 6)."""
    return int(np.prod(np.shape(x)[1:]))


def image_shape(size):
    """(side, side) for a square number of pixels (784 -> (28, 28)), else (1, size)."""
    side = math.isqrt(size)
    return (side, side) if side * side == size else (1, size)


def mistakes(network, x, t):
    """(indices, predicted, true) of the samples in x (N, D) that ``network`` gets wrong.

    t: (N,) labels or (N, C) one-hot. All three are 1-D integer arrays in the data's order.
    The training dashboard shows the first of these as a grid of digits.
    """
    true = as_label_indices(t, network.output_size, count=len(x))
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
    x = np.asarray(x)
    n = len(x)
    if not -n <= index < n:
        raise IndexError(f"index {index} is out of range for {n} samples")
    index = index % n
    labels = as_label_indices(t, network.output_size, count=n)
    xi, ti = x[index:index + 1], labels[index:index + 1]
    grad = network.input_gradient(xi, ti)
    probs = np.asarray(network.last_layer.y[0], dtype=float)
    shape = image_shape(xi.size)
    return DigitView(index, np.asarray(xi, dtype=float).reshape(shape), probs,
                     int(probs.argmax()), int(ti[0]), float(network.last_layer.loss),
                     np.asarray(grad, dtype=float).reshape(shape))

