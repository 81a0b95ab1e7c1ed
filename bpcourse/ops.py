"""The operations a computational graph's nodes perform (lessons 1 to 5).

Each operation keeps its forward and its backward side by side, micrograd-style:
``forward(*inputs) -> value`` and ``backward(dout) -> one gradient per input``. The × and +
operations delegate to :class:`bpcourse.layers.MulLayer` and :class:`~bpcourse.layers.AddLayer`,
so the shopping pictures show exactly what the learner's layers compute.
"""

import numpy as np

from bpcourse import layers
from bpcourse.checks import require_forward
from bpcourse.formatting import format_value


class Op:
    """One operation. ``forward(*inputs) -> value``; ``backward(dout) -> one grad per input``.

    A gradient of ``None`` means "not drawn" (e.g. the labels t of Softmax-with-Loss).
    ``shape`` is "circle" (a symbol in a circle, as in the book) or "box" (a named layer).
    ``backward`` before ``forward`` raises the RuntimeError the layers raise.
    """

    symbol = "?"
    shape = "circle"

    def forward(self, *xs):
        raise NotImplementedError

    def backward(self, dout):
        raise NotImplementedError


class Mul(Op):
    """× node (lessons 1, 2 and 3): the learner's MulLayer does the work."""

    symbol = "×"
    layer = None

    def forward(self, x, y):
        self.layer = layers.MulLayer()  # looked up at call time, so tests can spy on it
        return self.layer.forward(x, y)

    def backward(self, dout):
        require_forward(self, "layer")
        return self.layer.backward(dout)  # (dout * y, dout * x): the inputs swapped


class Add(Op):
    """+ node (lessons 2, 3 and 5): AddLayer, which also sums a broadcast bias back down."""

    symbol = "+"
    layer = None

    def forward(self, x, y):
        self.layer = layers.AddLayer()
        return self.layer.forward(x, y)

    def backward(self, dout):
        require_forward(self, "layer")
        return self.layer.backward(dout)  # dout unchanged to both (summed where broadcast)


class Square(Op):
    """y = x**2 (lesson 2, the chain rule's z = t**2)."""

    symbol = "**2"
    x = None

    def forward(self, x):
        self.x = x
        return x**2

    def backward(self, dout):
        require_forward(self, "x")
        return (dout * 2 * self.x,)


class Exp(Op):
    """y = exp(x) (lesson 4, inside the sigmoid)."""

    symbol = "exp"
    out = None

    def forward(self, x):
        self.out = np.exp(x)
        return self.out

    def backward(self, dout):
        require_forward(self, "out")
        return (dout * self.out,)  # exp is its own derivative


class Reciprocal(Op):
    """y = 1/x (lesson 4, the sigmoid's last step), drawn "/" as in the book."""

    symbol = "/"
    out = None

    def forward(self, x):
        self.out = 1 / x
        return self.out

    def backward(self, dout):
        require_forward(self, "out")
        return (-dout * self.out**2,)  # d(1/x)/dx = -1/x**2 = -y**2


class Scale(Op):
    """y = c·x for a constant c, drawn "×c" (lesson 4: the sigmoid's ×(−1))."""

    def __init__(self, c):
        self.c = c
        text = format_value(c, "g")
        self.symbol = f"×({text})" if c < 0 else f"×{text}"

    def forward(self, x):
        return self.c * x

    def backward(self, dout):
        return (self.c * dout,)


class AddConst(Op):
    """y = x + c for a constant c, drawn "+c" (lesson 4: the sigmoid's +1)."""

    def __init__(self, c):
        self.c = c
        text = format_value(abs(c), "g")
        self.symbol = f"+{text}" if c >= 0 else f"−{text}"

    def forward(self, x):
        return x + self.c

    def backward(self, dout):
        # "* 1" as in AddLayer: a new array, so the caller never gets its own dout back
        return (dout * 1,)


class Sum(Op):
    """Sum over one axis; backward hands ``dout`` back to every element that was summed.

    forward(x) removes ``axis`` from x's shape; backward(dout), dout of that reduced shape,
    returns a 1-tuple holding dx of x's shape.
    """

    symbol = "sum"
    shape_in = None

    def __init__(self, axis=0):
        self.axis = axis

    def forward(self, x):
        self.shape_in = np.shape(x)
        return np.sum(x, axis=self.axis)

    def backward(self, dout):
        require_forward(self, "shape_in")
        # every summed element contributed with weight 1, so each gets dout back
        return (np.broadcast_to(np.expand_dims(dout, self.axis), self.shape_in).copy(),)


class Dot(Op):
    """Matrix product X·W, the first half of the Affine layer (lesson 5).

    forward(x, w): x (N, D) or (D,), w (D, M); returns (N, M) or (M,).
    backward(dout), dout of the output's shape: returns (dx, dw), shaped like x and w.
    """

    symbol = "dot"
    x = None

    def forward(self, x, w):
        self.x, self.w = np.asarray(x), np.asarray(w)
        if self.w.ndim != 2 or self.x.ndim not in (1, 2) or self.x.shape[-1] != len(self.w):
            # NumPy's words are about a gufunc's "core dimension 0"
            raise ValueError(f"dot expected x of shape (N, D) or (D,) and w of shape (D, M); "
                             f"got x of shape {self.x.shape} and w of shape {self.w.shape}")
        return self.x @ self.w

    def backward(self, dout):
        require_forward(self, "x")
        dx = dout @ self.w.T
        dw = self.x.T @ dout if self.x.ndim == 2 else np.outer(self.x, dout)
        return dx, dw


class SoftmaxWithLossOp(Op):
    """Scores a1..aC and labels in, the loss L out; backward gives y − t to the scores.

    The labels are C one-hot values t1..tC or a single class label (0..C-1), given as
    ``num_scores`` and ``num_labels`` so that the op knows where the scores end. Delegates
    to :class:`bpcourse.layers.SoftmaxWithLoss`; ``self.y`` keeps softmax(a) for captions.
    The labels are data, not parameters, so their gradients are ``None``.
    """

    symbol = "Softmax-\nwith-Loss"
    shape = "box"
    layer = None

    def __init__(self, num_scores, num_labels):
        if num_labels not in (num_scores, 1):
            raise ValueError(
                f"Softmax-with-Loss of {num_scores} scores takes {num_scores} one-hot labels "
                f"or a single class label; got {num_labels} labels"
            )
        self.num_scores, self.num_labels = num_scores, num_labels

    def forward(self, *xs):
        if len(xs) != self.num_scores + self.num_labels:
            raise ValueError(
                f"expected {self.num_scores} scores and {self.num_labels} labels, "
                f"{self.num_scores + self.num_labels} inputs in all; got {len(xs)}"
            )
        scores, labels = xs[:self.num_scores], xs[self.num_scores:]
        one_hot = self.num_labels == self.num_scores
        self.layer = layers.SoftmaxWithLoss()
        # a single class label must stay an integer to index the scores
        t = np.array(labels, float) if one_hot else np.array(labels)
        loss = self.layer.forward(np.array(scores, float), t)
        self.y = self.layer.y.reshape(-1)
        return float(loss)

    def backward(self, dout):
        require_forward(self, "layer")
        dx = self.layer.backward(dout)
        return tuple(float(d) for d in dx) + (None,) * self.num_labels
