"""TwoLayerNet, the network of lesson 6, built from the layers of lessons 3 to 5."""

from collections import OrderedDict

import numpy as np

from .checks import require_number, require_samples, seeded_rng
from .functions import as_label_indices
from .gradient import numerical_gradient
from .layers import Affine, Relu, SoftmaxWithLoss

__all__ = ["TwoLayerNet", "ScoresNotFinite"]


class TwoLayerNet:
    """input -> Affine1 -> Relu1 -> Affine2 -> SoftmaxWithLoss, as in the book.

    Parameters
    ----------
    input_size, hidden_size, output_size : int
        784, 50, 10 for MNIST: whole numbers of at least 1, and at least 2 classes.
    weight_init_std : float
        Weights start as weight_init_std * N(0, 1); biases start at zero. At least 0.
        A size or scale out of range raises ValueError (TypeError if not a number).
    rng : int or numpy.random.Generator, optional
        Seed or generator for the initial weights, so a run can be repeated exactly.
        None draws fresh randomness.
    dtype : numpy dtype
        float64 (the default, for gradient checks) or float32 (half the memory traffic,
        so training runs about twice as fast).

    Attributes: ``params`` (W1 (input, hidden), b1 (hidden,), W2 (hidden, output),
    b2 (output,)), ``layers`` (an OrderedDict, in forward order) and ``last_layer``
    (the book's ``lastLayer``). The layers hold the very arrays in ``params``, so updating
    ``params`` in place updates the network.
    """

    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01, *,
                 rng=None, dtype=np.float64):
        input_size, hidden_size, output_size, weight_init_std = _checked_settings(
            input_size, hidden_size, output_size, weight_init_std)
        rng = seeded_rng("rng", rng)
        dtype = np.dtype(dtype)
        if not np.issubdtype(dtype, np.floating):
            raise ValueError(f"dtype must be a floating type such as float64; got {dtype}")

        def weights(rows, cols):
            return (weight_init_std * rng.standard_normal((rows, cols))).astype(dtype)

        self.params = {
            "W1": weights(input_size, hidden_size),
            "b1": np.zeros(hidden_size, dtype=dtype),
            "W2": weights(hidden_size, output_size),
            "b2": np.zeros(output_size, dtype=dtype),
        }
        self.layers = OrderedDict()
        # Nothing upstream of the first layer learns (its input is the data), so it skips
        # computing dx, half of its backward work; input_gradient() turns it back on.
        self.layers["Affine1"] = Affine(self.params["W1"], self.params["b1"], input_grad=False)
        self.layers["Relu1"] = Relu()
        self.layers["Affine2"] = Affine(self.params["W2"], self.params["b2"])
        self.last_layer = SoftmaxWithLoss()

    @property
    def dtype(self):
        return self.params["W1"].dtype

    @property
    def output_size(self):
        """Number of classes: the width of the scores, that is of the last weight layer.

        Read from the layers, not from ``params["W2"]``: in a network given a second hidden
        layer (lesson 6), W2 has that layer's width and W3 has the classes.
        """
        weighted = [layer for layer in self.layers.values() if hasattr(layer, "W")]
        return np.shape(weighted[-1].W)[1]

    def predict(self, x):
        """Scores (N, output_size) for x (N, input_size); no softmax, argmax needs none."""
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x, t):
        """Mean cross-entropy loss on x (N, input_size), t one-hot (N, C) or labels (N,)."""
        return self.last_layer.forward(self.predict(x), t)

    def predict_labels(self, x, chunk_size=10000):
        """Predicted class (N,) of each row of x (N, input_size): the largest score wins.

        Works in chunks so that all 60000 training images are never pushed through at
        once (their hidden activations alone would be 60000 x hidden_size numbers).
        ``train`` measures accuracy in a second thread while the first one trains; few
        large chunks mean few moments in which that thread holds Python's global lock and
        makes the training thread wait (chunks of 1000 slowed training down by a fifth
        while a measurement ran, chunks of 10000 by a fiftieth). A row of scores with no
        clear largest one (a nan, or an inf twice) raises ScoresNotFinite, a ValueError that
        says whether x or the weights hold nan or inf.
        """
        chunk_size = require_number("chunk_size", chunk_size, 1, whole=True)
        labels = []
        # max(.., 1): an empty x still makes one (empty) chunk, so the result is (0,)
        for start in range(0, max(len(x), 1), chunk_size):
            scores = self.predict(x[start:start + chunk_size])
            # argmax would pick class 0 for a row of nan, or the first of two equal infs
            top = scores.max(axis=1, keepdims=True)
            undecided = np.isnan(top[:, 0]) | (np.isinf(top[:, 0]) & ((scores == top).sum(1) > 1))
            if undecided.any():
                raise ScoresNotFinite(self, x, start + int(np.argmax(undecided)))
            labels.append(scores.argmax(axis=1))
        return np.concatenate(labels)

    def accuracy(self, x, t, chunk_size=10000):
        """Fraction of x (N, input_size) classified as t (one-hot or labels), in [0, 1].

        ScoresNotFinite (a ValueError) where no class can be picked: see predict_labels.
        """
        require_samples(x, "accuracy")  # a fraction of nothing: say so, not ZeroDivisionError
        # predict first: a wrongly shaped x is then named by Affine, as passed
        predicted = self.predict_labels(x, chunk_size)
        labels = as_label_indices(t, self.output_size, count=len(x))
        return int(np.count_nonzero(predicted == labels)) / len(x)

    def numerical_gradient(self, x, t):
        """Gradients of the loss by central differences, {W1, b1, W2, b2}: slow, for checks.

        x (N, input_size); t (N,) labels or (N, output_size) one-hot. Each gradient has its
        parameter's shape. Lesson 6 (lesson 2's ``numerical_gradient``, key by key).
        """
        def loss_w(_):
            return self.loss(x, t)

        return {key: numerical_gradient(loss_w, param) for key, param in self.params.items()}

    def gradient(self, x, t):
        """Gradients of the loss by backpropagation, {W1, b1, W2, b2}, shapes of ``params``.

        x (N, input_size); t (N,) labels or (N, output_size) one-hot. Lesson 6. The batch
        loss of this forward pass is left in ``self.last_layer.loss``.
        """
        self.loss(x, t)
        dout = self.last_layer.backward(1)
        for layer in reversed(self.layers.values()):
            dout = layer.backward(dout)
        return {
            "W1": self.layers["Affine1"].dW, "b1": self.layers["Affine1"].db,
            "W2": self.layers["Affine2"].dW, "b2": self.layers["Affine2"].db,
        }

    def input_gradient(self, x, t):
        """Gradient of the loss with respect to the input x itself, shape of x (lesson 6)."""
        first = self.layers["Affine1"]
        keep, first.input_grad = first.input_grad, True
        try:
            self.loss(x, t)
            dout = self.last_layer.backward(1)
            for layer in reversed(self.layers.values()):
                dout = layer.backward(dout)
        finally:
            first.input_grad = keep
        return dout


class ScoresNotFinite(ValueError):
    """No class can be picked for row ``row`` of x: its scores hold nan, or their largest is
    an inf that is there twice.

    ``naming(where)`` gives the same error for x called otherwise, such as "x_test[7]":
    ``train`` measures subsets of its arrays, whose row numbers are not the caller's.
    """

    def __init__(self, network, x, row):
        self.row = row
        if not np.isfinite(np.asarray(x[row], dtype=float)).all():
            self.template = ("{where} holds nan or inf, so its scores are not finite and no "
                             "class can be picked: look for nan or inf in the data")
        elif broken := [k for k, p in network.params.items() if not np.isfinite(p).all()]:
            self.template = (f"the network's parameters {broken} hold nan or inf (a training "
                             "run that diverged leaves them so), so no class can be picked "
                             "for {where}")
        else:
            self.template = ("the scores of {where} overflowed to inf or nan: the weights, or "
                             "the values in it, are far too large")
        super().__init__(self.template.format(where=f"x[{row}]"))

    def naming(self, where):
        return ValueError(self.template.format(where=where))


def _checked_settings(input_size, hidden_size, output_size, weight_init_std):
    """The sizes as ints and the scale as a float, or an error naming the one that is wrong.

    Without this, NumPy's own errors would not say which argument was meant
    ("negative dimensions are not allowed"), and a hidden size of 0 or a nan scale would
    build a network that cannot learn, without a word.
    """
    sizes = [require_number(name, size, 1, whole=True) for name, size
             in (("input_size", input_size), ("hidden_size", hidden_size))]
    # a softmax over one class is always 1: the loss would be 0 and nothing would learn
    sizes.append(require_number("output_size", output_size, 2, whole=True))
    # 0 is allowed: every weight equal, an experiment worth running once
    return (*sizes, require_number("weight_init_std", weight_init_std, 0))
