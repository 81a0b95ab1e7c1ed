"""Layers with ``forward`` and ``backward``, the API of the book's ``ch05/layer_naive.py``
(MulLayer, AddLayer) and ``common/layers.py`` (the others).

Lesson 3 introduces MulLayer and AddLayer, lesson 4 Relu and Sigmoid, lesson 5 Affine and
SoftmaxWithLoss. Every ``backward(dout)`` takes the gradient of the final output with respect
to this layer's output and returns the gradient with respect to its input(s).

Two rules hold for every layer here, and the tests check both:

* no layer writes into its inputs or into the ``dout`` it is given: the caller may still
  need them (the book's Relu writes ``dout[mask] = 0`` into the caller's array);
* ``backward`` before ``forward``, or a ``dout`` of the wrong shape, raises an error that
  names what was expected and what came, instead of a confusing NumPy broadcast.
"""

import math

import numpy as np

from .checks import require_forward, require_number, require_real_numbers
from .functions import sigmoid, softmax_cross_entropy

__all__ = ["MulLayer", "AddLayer", "Relu", "Sigmoid", "Affine", "SoftmaxWithLoss"]


def _check_dout(layer, dout, expected_shape):
    """Return ``dout`` ready to compute with (a list becomes an array), or say what is wrong."""
    given, dout = dout, _array_if_list(dout)
    if dout is None or np.shape(dout) != tuple(expected_shape):
        # the message is built only here: backward runs in every training step
        expected = (f"{type(layer).__name__}.backward() expected dout of shape "
                    f"{tuple(expected_shape)} (the shape of its forward output"
                    + (": one number)" if tuple(expected_shape) == () else ")"))
        if dout is None:
            raise TypeError(
                f"{expected}; got None. Did the layer after it return None from backward: "
                "a backward without `return`, or an Affine with input_grad=False, which can "
                "only be a network's first layer?"
            )
        # a MulLayer's or AddLayer's whole (dx, dy), passed on by a slip in lesson 3
        pair = ("; it is a pair, as a × or + node's backward returns one gradient per input: "
                "unpack it first, dx, dy = layer.backward(dout)"
                if isinstance(given, tuple) and len(given) == 2
                and all(np.shape(part) == tuple(expected_shape) for part in given) else "")
        raise ValueError(f"{expected}; got shape {np.shape(dout)}{pair}")
    return dout


def _array_if_list(value):
    # + would join two lists and * repeat one; a Python number stays as it is, so the
    # shopping example of lesson 3 prints plain numbers such as 220.00000000000003
    return np.asarray(value) if isinstance(value, (list, tuple)) else value


def _compute_dtype(W):
    # the weights' own float type, but float64 for integer weights typed in by hand: their
    # dtype would truncate the inputs and gradients to whole numbers
    return W.dtype if W.dtype.kind == "f" else np.dtype(np.float64)


def _unbroadcast(grad, shape):
    """Sum a gradient back down to ``shape`` after NumPy broadcast an input up."""
    if np.shape(grad) == tuple(shape):
        return grad
    grad = np.sum(grad, axis=tuple(range(np.ndim(grad) - len(shape))))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and np.shape(grad)[i] != 1)
    return np.sum(grad, axis=axes, keepdims=True).reshape(shape)


class MulLayer:
    """Multiply node z = x * y (lesson 3). Scalars or arrays that NumPy broadcasts together.

    forward(x, y) -> z; backward(dout) -> (dx, dy) = (dout * y, dout * x):
    each input receives the upstream gradient times the *other* input, summed back down to
    that input's shape if it was broadcast. dout has z's shape
    (np.broadcast_shapes(x.shape, y.shape)); dx has x's shape, dy y's.
    """

    def __init__(self):
        self.x = None
        self.y = None

    def forward(self, x, y):
        x, y = _array_if_list(x), _array_if_list(y)
        self.x, self.y = x, y
        return x * y

    def backward(self, dout):
        require_forward(self, "x")
        dout = _check_dout(self, dout, np.broadcast_shapes(np.shape(self.x), np.shape(self.y)))
        dx = _unbroadcast(dout * self.y, np.shape(self.x))
        dy = _unbroadcast(dout * self.x, np.shape(self.y))
        return dx, dy


class AddLayer:
    """Add node z = x + y (lesson 3). Scalars or arrays that NumPy broadcasts together.

    forward(x, y) -> z; backward(dout) -> (dx, dy) = (dout, dout):
    an add node passes the upstream gradient on unchanged (summed back down to an input's
    shape if it was broadcast). dout has z's shape; dx has x's shape, dy y's.
    """

    def __init__(self):
        self.shapes = None

    def forward(self, x, y):
        x, y = _array_if_list(x), _array_if_list(y)
        self.shapes = (np.shape(x), np.shape(y))
        return x + y

    def backward(self, dout):
        require_forward(self, "shapes")
        x_shape, y_shape = self.shapes
        dout = _check_dout(self, dout, np.broadcast_shapes(x_shape, y_shape))
        # "* 1" is the local derivative, and it makes two new arrays, so the caller never
        # gets one object twice
        return _unbroadcast(dout * 1, x_shape), _unbroadcast(dout * 1, y_shape)


class Relu:
    """ReLU layer (lesson 4). x: any shape; forward and backward keep that shape.

    forward: out = x where x > 0, else 0. backward: dx = dout where x > 0, else 0.
    ``mask`` is True where the input was <= 0, the places the gradient is stopped.
    """

    def __init__(self):
        self.mask = None

    def forward(self, x):
        x = np.asarray(x)
        require_real_numbers(x, "Relu.forward()")  # x <= 0 would compare complex numbers
        self.mask = x <= 0
        # max(x, 0) is x with the masked entries set to 0, as a new array. The book copies
        # x and writes out[mask] = 0, which is several times slower: a branch per entry.
        # (functions.relu is the same, but here the one line itself is the lesson.)
        return np.maximum(x, 0)

    def backward(self, dout):
        require_forward(self, "mask")
        dout = _check_dout(self, dout, self.mask.shape)
        # ~mask is 1 where x > 0 and 0 where the gradient stops: multiplying by it zeroes
        # the masked entries (of a finite dout: inf * 0 is nan) in a new array, so the
        # caller's dout stays as it was
        return dout * ~self.mask


class Sigmoid:
    """Sigmoid layer (lesson 4). x: any shape; forward and backward keep that shape.

    forward: out = 1 / (1 + exp(-x)). backward: dx = dout * out * (1 - out), which needs
    only the forward output, so that is all the layer stores.
    """

    def __init__(self):
        self.out = None

    def forward(self, x):
        self.out = sigmoid(x)
        # a copy: backward needs out as it was, whatever the caller does with what it gets
        return self.out.copy()

    def backward(self, dout):
        require_forward(self, "out")
        dout = _check_dout(self, dout, self.out.shape)
        return dout * (1.0 - self.out) * self.out


class Affine:
    """Fully connected layer out = x @ W + b (lesson 5).

    W: (D, M), b: (M,), arrays or lists; integer weights compute in float64.
    forward(x): x of shape (N, D), or (N, d1, d2, ...) with d1*d2*... = D (a batch of images
    is flattened), returns (N, M).
    backward(dout): dout (N, M) -> dx in the shape x had; also sets dW (D, M) and db (M,).

    ``input_grad=False`` skips dx (backward returns None): the first layer's input is the
    data, which is never updated, so its gradient would be computed only to be thrown away.
    A W that is not (D, M), or a b that is not (M,), raises ValueError when it is built.
    """

    def __init__(self, W, b, input_grad=True):
        # asarray hands back an array it is given, not a copy: updating that array in place
        # (as training does) updates the layer
        self.W = np.asarray(W)
        self.b = np.asarray(b)
        if self.W.ndim != 2 or self.b.shape != self.W.shape[1:]:
            # here, not as a broadcast error in forward or a wrongly shaped db in backward
            raise ValueError(f"Affine expected W of shape (D, M) and b of shape (M,); got W of "
                             f"shape {self.W.shape} and b of shape {self.b.shape}")
        self.input_grad = input_grad
        self.x = None
        self.original_x_shape = None
        self.dW = None
        self.db = None

    def forward(self, x):
        x = np.asarray(x)
        require_real_numbers(x, "Affine.forward()")
        d = self.W.shape[0]
        if x.ndim < 2 or math.prod(x.shape[1:]) != d:
            raise ValueError(
                f"Affine expected input of shape (N, {d}) (W has shape {self.W.shape}), "
                f"or (N, ...) with {d} values per sample; got shape {x.shape}"
                + (" (for one sample, pass x[np.newaxis])" if x.shape == (d,) else "")
            )
        self.original_x_shape = x.shape
        # the layer computes in its weights' float type: float64 data must not silently
        # turn a float32 network into a float64 one
        self.x = x.reshape(x.shape[0], d).astype(_compute_dtype(self.W), copy=False)
        return self.x @ self.W + self.b

    def backward(self, dout):
        require_forward(self, "x")
        dout = _check_dout(self, dout, (self.x.shape[0], self.W.shape[1]))
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)  # b was added to every row, so each row sends its share
        if not self.input_grad:
            return None
        return (dout @ self.W.T).reshape(self.original_x_shape)


class SoftmaxWithLoss:
    """Softmax followed by the cross-entropy loss, as one layer (lesson 5).

    forward(x, t): scores x (N, C) or (C,); targets t one-hot like x (or soft labels: rows
    that sum to 1, which are checked), or (N,) label indices. Returns the mean loss (a
    scalar). backward(dout=1) returns dx, same shape as x:
    (y - t) * dout / N, with y = softmax(x).

    The loss comes from the scores by log-sum-exp, not as log(y + 1e-7): the book's epsilon
    shifts the loss by about 1e-7 / y (1e-6 at y = 0.1) and so biases a gradient check.
    """

    def __init__(self):
        self.loss = None
        self.y = None  # softmax output, (N, C)
        self.t = None  # targets as backward needs them: (N, C) one-hot rows or (N,) labels
        self.x_shape = None

    def forward(self, x, t):
        x, t = np.asarray(x), np.asarray(t)
        self.x_shape = x.shape
        self.loss, self.y = softmax_cross_entropy(x, t)
        # keep the targets in the batched form backward needs: (N, C) one-hot or (N,) labels
        if t.ndim == x.ndim and t.size == self.y.size:
            self.t = t.reshape(self.y.shape).astype(self.y.dtype, copy=False)
        else:
            self.t = t.reshape(-1)  # label indices, which softmax_cross_entropy has checked
        return self.loss

    def backward(self, dout=1):
        require_forward(self, "y")
        if np.ndim(dout) != 0:
            raise ValueError(
                f"SoftmaxWithLoss.backward() expected a scalar dout (the loss is a scalar); "
                f"got shape {np.shape(dout)}"
            )
        n = self.y.shape[0]
        # require_number refuses None, a string or a bool, which float() would read unclearly
        # or as a number; its Python float keeps float32 scores float32
        scale = require_number("SoftmaxWithLoss.backward()'s dout", dout) / n
        if self.t.ndim == 2:
            dx = (self.y - self.t) * scale
        else:
            dx = self.y.copy()
            dx[np.arange(n), self.t] -= 1
            dx *= scale
        return dx.reshape(self.x_shape)
