"""The numbers behind lesson 2's numerical-gradient explorer: difference quotients and
their errors, for functions whose exact derivatives are known.

Part of :mod:`bpcourse.explorers`, which re-exports all of it (a module of its own only to
keep each one short). Free of matplotlib and ipywidgets, like the rest of the explorers.
"""

import math
from typing import NamedTuple

import numpy as np

from .checks import require_key

__all__ = [
    "DIFF_FUNCTIONS", "DiffFunction", "DifferenceErrors", "H_MIN", "H_MAX", "BOOK_H",
    "diff_function", "h_grid", "forward_difference", "central_difference", "difference_errors",
    "ErrorEstimates", "error_estimates", "error_causes",
]


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


def diff_function(name):
    """DIFF_FUNCTIONS[name], or a KeyError that lists the names there are."""
    return require_key(DIFF_FUNCTIONS, name, "function")


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
    fn = diff_function(name)
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
    fn = diff_function(name)
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
