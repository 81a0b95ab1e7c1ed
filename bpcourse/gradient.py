"""Numerical gradients and gradient checks (lessons 2 and 6).

Backpropagation is fast but easy to get wrong; a numerical gradient is slow but hard to get
wrong. Comparing the two is how every layer in this course was checked.
"""

from typing import NamedTuple

import numpy as np

__all__ = ["numerical_gradient", "gradient_check", "GradientDifference"]


def numerical_gradient(f, x, h=1e-4):
    """Gradient of the scalar function ``f`` at ``x`` by central differences.

    x: a float array of any shape; f is called as ``f(x)`` after one entry of x has been
    nudged in place by +h and then by -h. Returns an array of x's shape:
    (f(x + h) - f(x - h)) / (2h), entry by entry. Every entry of x is put back to its
    exact old value, so x is unchanged afterwards.

    Central differences are accurate to O(h**2); h = 1e-4 balances that truncation error
    against the rounding error of subtracting two nearly equal numbers (see lesson 2).
    """
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        raise TypeError(
            "numerical_gradient expected a floating-point NumPy array for x (it is changed "
            f"in place while measuring); got {type(x).__name__}"
            + (f" of dtype {x.dtype}" if isinstance(x, np.ndarray) else "")
        )
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        original = x[idx]
        x[idx] = original + h
        f_plus = f(x)
        x[idx] = original - h
        f_minus = f(x)
        x[idx] = original  # the stored value itself, not original + h - h
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad


class GradientDifference(NamedTuple):
    """How far backprop's gradient of one parameter is from the numerical one."""

    mean_abs: float  # mean |analytic - numerical|, the number the book prints
    # max |a - n| over the largest |a| or |n|: the worst error measured against the size of
    # the gradient, since entry-by-entry ratios blow up rounding noise on entries near 0
    max_rel: float


def compare_gradients(analytic, numerical):
    """GradientDifference of two gradient dicts, key by key (same keys, same shapes)."""
    result = {}
    for key, a in analytic.items():
        n = numerical[key]
        if np.shape(a) != np.shape(n):
            raise ValueError(
                f"gradient {key!r}: analytic has shape {np.shape(a)}, numerical {np.shape(n)}"
            )
        diff = np.abs(a - n)
        scale = max(np.max(np.abs(a)), np.max(np.abs(n)), np.finfo(np.float64).tiny)
        result[key] = GradientDifference(float(diff.mean()), float(diff.max() / scale))
    return result


def gradient_check(network, x, t):
    """Compare ``network.gradient`` (backprop) with ``network.numerical_gradient``.

    network: anything with ``gradient(x, t)`` and ``numerical_gradient(x, t)`` returning
    dicts of arrays keyed like ``network.params``. Returns {key: GradientDifference}.
    Run it in float64: float32 keeps only ~7 digits, and a difference quotient with
    h = 1e-4 then loses most of them.
    """
    return compare_gradients(network.gradient(x, t), network.numerical_gradient(x, t))
