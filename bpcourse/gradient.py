"""Numerical gradients and gradient checks (lessons 2 and 6).

Backpropagation is fast but easy to get wrong; a numerical gradient is slow but hard to get
wrong. Comparing the two is how every layer in this course was checked.
"""

from typing import NamedTuple

import numpy as np

from .checks import (
    NONE_GRADIENT,
    one_number,
    require_params_in_layers,
    require_same_keys,
    require_samples,
    require_visible_nudge,
)
from .functions import softmax_cross_entropy
from .layers import Affine, Relu, Sigmoid, SoftmaxWithLoss

__all__ = [
    "numerical_gradient",
    "batched_numerical_gradient",
    "gradient_check",
    "compare_gradients",
    "GradientDifference",
]


def numerical_gradient(f, x, h=1e-4):
    """Gradient of the scalar function ``f`` at ``x`` by central differences (lesson 2).

    Lessons 3 to 6 check every backward pass against it.

    x: a float array of any shape; f is called as ``f(x)`` after one entry of x has been
    nudged in place by +h and then by -h. Returns an array of x's shape:
    (f(x + h) - f(x - h)) / (2h), entry by entry. Every entry of x is put back to its
    exact old value, so x is unchanged afterwards, even if f raises or is interrupted.
    An entry so large that a step of h rounds away in x's dtype, or is stored more than 1%
    off h, raises ValueError (see require_visible_nudge); an f that does not return one
    number raises TypeError.

    Central differences are accurate to O(h**2); h = 1e-4 keeps both that truncation error
    and the rounding error of subtracting two nearly equal numbers small in float64
    (lesson 2). In float32 rounding swamps this h: keep gradient checks in float64
    (lesson 6).
    """
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        raise TypeError(
            "numerical_gradient expected a floating-point NumPy array for x (it is changed "
            f"in place while measuring); got {type(x).__name__}"
            + (f" of dtype {x.dtype}" if isinstance(x, np.ndarray) else "")
            + ", such as np.array([3.0, 2.0]) or x.astype(np.float64)"
        )
    require_visible_nudge(x, h)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        original = x[idx]
        try:
            x[idx] = original + h
            f_plus = one_number(f(x))  # taken now: a view of x would change with the next nudge
            x[idx] = original - h
            f_minus = one_number(f(x))
        finally:  # also if f fails or Ctrl+C stops it: a weight left nudged would stay wrong
            x[idx] = original  # the stored value itself, not original + h - h
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad


def batched_numerical_gradient(network, x, t, h=1e-4, max_rows=2**13):
    """The gradients ``network.numerical_gradient(x, t)`` returns, by the same central
    differences, measured thousands of entries at a time. Returns {key: array shaped like
    ``network.params[key]``}.

    network: built like TwoLayerNet: ``layers``, an ordered dict of Affine, Relu and
    Sigmoid layers; ``last_layer``, a SoftmaxWithLoss; each array in ``params`` the W or
    b of one Affine layer. x: (N, ...) inputs; t: (N,) labels or (N, C) one-hot.

    Nudging one weight W[j, k] of an Affine layer by s changes that layer's output
    x @ W + b by a rank-one term: column k moves by s * x[:, j] and nothing else does
    (nudging b[k] adds s to column k). So the layer's output is computed once, copied once
    per nudge with that one column moved, and all copies, stacked into one tall batch of
    (copies * N) rows, go through the layers after it in a single forward pass. A copy's
    loss is the mean of its own N per-sample losses. ``max_rows`` caps the batch height
    (except that a chunk always holds one entry's 2N rows, however many those are),
    and with it the memory used (about max_rows * width * itemsize bytes per
    array: 8 for float64).

    It raises TypeError, naming method='loop', for a network it would get wrong: a
    ``loss`` that is more than the layers and last_layer (weight decay, say), or a W or b
    shared by two layers. (One array under two keys of ``params`` is fine: both keys get
    its gradient, as with the loop.) ValueError for an empty batch, or for a W or b entry
    w where w + h rounds back to w, or is stored more than 1% off (see
    :func:`numerical_gradient`).
    """
    require_samples(x, "batched_numerical_gradient")
    layers = list(network.layers.values())
    owner = _affine_owners(network, layers)
    inputs, out = [], x  # every layer's input, from one plain forward pass
    for layer in layers:
        inputs.append(out)
        out = layer.forward(out)
    n = len(out)
    _require_same_loss(network, x, t, _stacked_losses([], out, t, n)[0])
    grads = {}
    for key, param in network.params.items():
        require_visible_nudge(param, h, name=f"params[{key!r}]")
        i, is_weight = owner[key]
        # forward again rather than reuse the pass above: the stacked passes for earlier
        # keys overwrote the ``x`` this layer stores, which layer_input needs
        output = layers[i].forward(inputs[i])  # (N, M), not nudged
        # the input that entry (j, k) multiplies: x[:, j] for W, a column of ones for b
        layer_input = layers[i].x if is_weight else np.ones((n, 1), dtype=output.dtype)
        flat = param.reshape(-1)
        grad = np.zeros(param.size, dtype=param.dtype)
        per_chunk = max(max_rows // (2 * n), 1)  # each entry: N rows nudged +h, N nudged -h
        for start in range(0, param.size, per_chunk):
            entries = np.arange(start, min(start + per_chunk, param.size))
            j, k = np.divmod(entries, output.shape[1]) if is_weight else (0 * entries, entries)
            # the loop's exact step, (w + h) - w: w + h is rounded when it is stored
            steps = np.concatenate([(flat[entries] + h) - flat[entries],
                                    (flat[entries] - h) - flat[entries]])
            j, k = np.tile(j, 2), np.tile(k, 2)
            nudged = np.repeat(output[np.newaxis], len(steps), axis=0)  # (2K, N, M)
            nudged[np.arange(len(steps)), :, k] += steps[:, np.newaxis] * layer_input[:, j].T
            rows = nudged.reshape(-1, output.shape[1])
            plus, minus = np.split(_stacked_losses(layers[i + 1:], rows, t, n), 2)
            grad[entries] = (plus - minus) / (2 * h)
        grads[key] = grad.reshape(param.shape)
    network.loss(x, t)  # leave the layers holding this batch, not the last stacked copies
    return grads


def _affine_owners(network, layers):
    """{params key: (index in layers of the Affine layer holding it, is it that W)}."""
    if not isinstance(getattr(network, "last_layer", None), SoftmaxWithLoss):
        raise TypeError("batched_numerical_gradient needs a SoftmaxWithLoss last_layer; "
                        "use gradient_check(..., method='loop') for other networks")
    where = {}
    for i, layer in enumerate(layers):
        if isinstance(layer, Affine):
            if id(layer.W) in where or id(layer.b) in where:
                # nudging a shared array moves every layer that uses it at once; the batched
                # method nudges it in one layer only and would silently miss the rest
                raise TypeError("batched_numerical_gradient needs each Affine layer to have a "
                                f"W and b of its own, but layer {i} shares one with an "
                                "earlier layer; use method='loop'")
            where[id(layer.W)], where[id(layer.b)] = (i, True), (i, False)
        elif not isinstance(layer, (Relu, Sigmoid)):
            raise TypeError(f"batched_numerical_gradient knows Affine, Relu and Sigmoid "
                            f"layers, not {type(layer).__name__}; use method='loop'")
    owner = {key: where.get(id(param)) for key, param in network.params.items()}
    missing = [key for key, found in owner.items() if found is None]
    if missing:
        raise TypeError(f"params {missing} are not the W or b of an Affine layer in "
                        "network.layers; use method='loop'")
    return owner


def _require_same_loss(network, x, t, rebuilt):
    """Refuse a network whose ``loss`` is not its layers plus SoftmaxWithLoss.

    The batched method never differentiates ``network.loss``: it rebuilds the loss from the
    layers. A ``loss`` or ``predict`` of its own (weight decay, say) would make it
    differentiate a different function from the loop's, silently, so the two losses must
    agree first.
    """
    expected = _finite_loss(network, x, t)
    tolerance = 1e3 * np.finfo(np.result_type(rebuilt)).eps * max(abs(expected), 1.0)
    if not abs(float(rebuilt) - expected) <= tolerance:
        raise TypeError(
            f"network.loss(x, t) gives {expected!r}, but its layers followed by a "
            f"SoftmaxWithLoss give {float(rebuilt)!r}: its loss or predict adds something "
            "batched_numerical_gradient cannot see; use method='loop'"
        )


def _finite_loss(network, x, t):
    # a nan or inf loss (weights that diverged, say) makes every difference quotient nan:
    # no check can pass, so say why instead of comparing nan with nan
    loss = float(network.loss(x, t))
    if not np.isfinite(loss):
        raise ValueError(f"network.loss(x, t) is {loss}: a gradient check needs a finite loss "
                         "(do the weights or the inputs hold nan or inf?)")
    return loss


def _stacked_losses(layers, scores, t, n):
    """Mean loss of each block of n rows of ``scores`` after ``layers``, shape (rows / n,)."""
    for layer in layers:
        scores = layer.forward(scores)
    copies = len(scores) // n
    t = np.asarray(t)
    per_sample, _ = softmax_cross_entropy(scores, np.tile(t, (copies,) + (1,) * (t.ndim - 1)),
                                          reduction="none")
    return per_sample.reshape(copies, n).sum(axis=1) / n


class GradientDifference(NamedTuple):
    """How far backprop's gradient of one parameter is from the numerical one."""

    mean_abs: float  # mean |analytic - numerical|, the number the book prints
    # max |a - n| over the largest |a| or |n|: the worst error measured against the size of
    # the gradient, since entry-by-entry ratios blow up rounding noise on entries near 0
    max_rel: float


def compare_gradients(analytic, numerical):
    """GradientDifference of two gradient dicts, key by key (same keys, same shapes)."""
    # a key missing from both results would look like a pass: name it instead
    require_same_keys(analytic, numerical, "the analytic gradients", "the numerical ones")
    result = {}
    for key, a in analytic.items():
        n = numerical[key]
        # else: "has shape ()", which hides the None
        if a is None:
            raise TypeError(f"gradient {key!r}: the analytic one is None: {NONE_GRADIENT}")
        if n is None:
            raise TypeError(f"gradient {key!r}: the numerical one is None (a function that "
                            "forgets its `return` gives None)")
        a, n = np.asarray(a), np.asarray(n)  # lists work too
        if np.shape(a) != np.shape(n):
            raise ValueError(
                f"gradient {key!r}: analytic has shape {np.shape(a)}, numerical {np.shape(n)}"
            )
        diff = np.abs(a - n)
        scale = max(np.max(np.abs(a)), np.max(np.abs(n)), np.finfo(np.float64).tiny)
        result[key] = GradientDifference(float(diff.mean()), float(diff.max() / scale))
    return result


def gradient_check(network, x, t, method="batched"):
    """Compare ``network.gradient`` (backprop) with a numerical gradient, key by key (lesson 6).

    x (N, input_size) and t (N,) labels or (N, C) one-hot: a small batch (lesson 6 uses 3
    images). network: has ``gradient(x, t)`` returning a dict of arrays keyed like
    ``network.params``. method="batched" (the default) computes the numerical gradient
    with :func:`batched_numerical_gradient`, for networks built like TwoLayerNet;
    method="loop" calls ``network.numerical_gradient(x, t)``, one entry at a time (the
    book's way: the same differences, some 20 to 50 times slower for TwoLayerNet(784, 50,
    10) on 3 images). Returns {key: GradientDifference}. ValueError for a nan or inf loss,
    an empty batch, gradients whose keys differ from the numerical ones' (a gradient
    forgotten), or a weight w where w + h rounds back to w or more than 1% off h. Run it in
    float64: float32 keeps only ~7 digits, and a difference quotient with h = 1e-4 loses
    most of them (it runs, as lesson 6 shows, but cannot tell a right backward pass from a
    wrong one).
    """
    if method not in ("batched", "loop"):
        raise ValueError(f"method must be 'batched' or 'loop'; got {method!r}")
    require_samples(x, "gradient_check")
    # a replaced params array would read as a broken backward pass (max_rel 1 in the loop)
    require_params_in_layers(network)
    if method == "batched":
        numerical = batched_numerical_gradient(network, x, t)
    else:
        _finite_loss(network, x, t)
        numerical = network.numerical_gradient(x, t)
    return compare_gradients(network.gradient(x, t), numerical)
