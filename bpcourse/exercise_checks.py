"""A gradient check that says what is wrong, for the exercises that ask for a backward
pass (lesson 4's Tanh, lesson 5's IdentityWithSquaredLoss).

"gradient check passes: False" is right for a wrong answer, but no help with it. The
mistakes learners make here are few and each leaves a trace: no ``return``, a gradient of
the wrong shape, ``dout`` changed in place, a formula off by a constant factor, or a
backward that uses something other than what forward stored (the notebook's ``x_check``,
say), which shows as a result right for one input and wrong for another.
"""

import math

import numpy as np

from .gradient import numerical_gradient

__all__ = ["check_backward", "backward_problems"]

TOLERANCE = 1e-7  # as lessons 4 and 5 accept: central differences with h = 1e-4


def check_backward(layer_class, x, dout=None, t=None, *, seed=0):
    """Print whether the backward of ``layer_class`` passes a gradient check, and if not, why.

    Lessons 4 and 5. ``layer_class()`` builds a layer. Without ``t`` it is an activation
    layer: forward(x) returns y, backward(dout) returns dx (x's shape), and the check
    compares dx with the numerical gradient of sum(forward(x) * dout) (lesson 4).
    With ``t`` it is a loss layer: forward(x, t) returns a scalar loss, backward() returns
    dx (x's shape), compared with the numerical gradient of the loss (lesson 5).
    x: float array; dout: y's shape. Prints "gradient check passes: True", or False and
    one line per problem found (see backward_problems).
    """
    problems = backward_problems(layer_class, x, dout, t, seed=seed)
    print("gradient check passes:", not problems)
    for problem in problems:
        print("-", problem)


def backward_problems(layer_class, x, dout=None, t=None, *, seed=0):
    """What is wrong with ``layer_class``'s backward, as sentences; [] if nothing is.

    Arguments as for check_backward. It checks, in turn: that backward returns an array of
    x's shape; that it leaves dout as it was; that it agrees with the numerical gradient
    (to TOLERANCE), and if not, by how much, where, and whether by one constant factor;
    that a second call gives the same dx; that it is right for a second input drawn with
    ``seed``, after forward ran again on the same layer; and, for a loss layer, that
    backward(2.0) gives twice backward().
    """
    x = np.array(x, dtype=np.float64)
    if x.size == 0:
        raise ValueError(f"check_backward needs an x with at least one entry; got shape {x.shape}")
    if t is None and dout is None:
        raise TypeError("check_backward needs dout (the upstream gradient, of forward's "
                        "output shape) for a layer without targets t")
    # the learner's backward gets copies, so a dout changed in place shows, and does not
    # spoil the numerical gradient
    upstream = None if t is not None else np.array(dout, dtype=np.float64)

    def run(layer, v):  # forward, then backward with a fresh copy of dout
        if t is not None:
            layer.forward(v, t)
            return layer.backward(), None
        given = upstream.copy()
        layer.forward(v)
        return layer.backward(given), given

    def numerical(v):
        if t is not None:
            return numerical_gradient(lambda w: layer_class().forward(w, t), v.copy())
        return numerical_gradient(lambda w: np.sum(layer_class().forward(w) * upstream),
                                  v.copy())

    layer = layer_class()
    dx, given = run(layer, x)
    shape_problem = _shape_problem(dx, x.shape)
    if shape_problem:
        return [shape_problem]
    problems = []
    if given is not None and not np.array_equal(given, upstream):
        problems.append("backward changed dout in place (with *= or [...] =): the layer "
                        "that sent dout may still need it; build a new array instead, "
                        "as `dout * (...)` does")
    off = _difference(dx, numerical(x))
    if off:
        return problems + [off]
    again = layer.backward() if given is None else layer.backward(given)
    if _shape_problem(again, x.shape) or not np.array_equal(again, dx):
        problems.append("a second call of backward gave a different dx: backward must not "
                        "change what forward stored")
    other = np.random.default_rng(seed).normal(size=x.shape)
    dx_other = run(layer, other)[0]
    if _shape_problem(dx_other, x.shape) or _difference(dx_other, numerical(other)):
        problems.append("backward is right for this input but not for a second one, after forward "
                        "ran on it: does it use a variable from outside the layer (such as "
                        "the notebook's x_check or a) instead of what forward stored on "
                        "self?")
    if t is not None:
        layer.forward(x, t)
        try:
            twice = layer.backward(2.0)
        except TypeError as error:  # most likely a backward(self) with no dout at all
            return problems + [f"backward(2.0) raised TypeError ({error}): backward takes "
                               "dout, the gradient that reaches the layer (1 for a loss)"]
        if _shape_problem(twice, x.shape) or not np.allclose(twice, 2 * dx, rtol=0,
                                                             atol=TOLERANCE):
            problems.append("backward(2.0) is not twice backward(): a layer multiplies its "
                            "local gradient by dout, the gradient that reaches it (the chain "
                            "rule), even where dout is 1")
    return problems


def _shape_problem(dx, shape):
    """None if dx is an array of ``shape``, else a sentence saying what came instead."""
    if dx is None:
        return "backward returned None: it needs a `return` with dx, the gradient for the input"
    came = np.shape(dx)
    if came != shape:
        guess = ("is it transposed?" if came == shape[::-1] else
                 "did it sum or average over an axis?" if np.size(dx) < math.prod(shape) else
                 "did it broadcast against another array?")
        return (f"backward returned shape {came}, but dx needs the input's shape {shape}: "
                f"one gradient for every entry of the input ({guess})")
    return None


def _difference(dx, expected):
    """None if dx matches the numerical gradient, else a sentence saying how it is off."""
    dx = np.asarray(dx, dtype=np.float64)
    error = np.abs(dx - expected)
    if error.max() < TOLERANCE:  # a nan compares False, so it is reported
        return None
    at = np.unravel_index(np.argmax(np.where(np.isnan(error), np.inf, error)), error.shape)
    where = f"[{', '.join(map(str, at))}]"
    sentence = (f"backward's dx is off the numerical gradient by up to {error[at]:.3g}: "
                f"at entry {where} it gives {dx[at]:.6g}, the numerical gradient "
                f"{expected[at]:.6g}")
    nonzero = np.abs(expected) > 1e-3
    if nonzero.any():
        ratio = dx[nonzero] / expected[nonzero]
        if (np.allclose(ratio, ratio[0], rtol=1e-5, atol=0)
                and not np.isclose(ratio[0], 1) and ratio[0] != 0):
            sentence += (f"; every entry is {ratio[0]:.4g} times the right one (a missing or "
                         "extra factor, such as the batch size N, or the sign)")
    return sentence
