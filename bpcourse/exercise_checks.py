"""A gradient check that says what is wrong, for the exercises that ask for a backward
pass (lesson 4's Tanh, lesson 5's IdentityWithSquaredLoss).

"gradient check passes: False" is right for a wrong answer, but no help with it. The
mistakes learners make here are few and each leaves a trace: no ``return``, a gradient of
the wrong shape, an array changed in place, a formula off by a constant factor, or a
backward that uses something other than what forward stored and the dout it is given (the
notebook's ``x_check``, say, or a batch size typed in as a number), which shows as a result
right for one input and wrong for another of another batch size.
"""

import inspect
import math

import numpy as np

from .gradient import numerical_gradient

__all__ = ["check_backward", "backward_problems"]

# as lessons 4 and 5 accept (central differences with h = 1e-4), for gradients up to 1;
# larger ones may differ by as much relative to their size
TOLERANCE = 1e-7


class _Stop(Exception):
    """A problem after which the other checks would only mislead."""


def check_backward(layer_class, x, dout=None, t=None, *, seed=0):
    """Print whether the backward of ``layer_class`` passes a gradient check, and if not, why.

    Lessons 4 and 5. ``layer_class()`` builds a layer. Without ``t`` it is an activation
    layer: forward(x) returns y, backward(dout) returns dx (x's shape), and the check
    compares dx with the numerical gradient of sum(forward(x) * dout) (lesson 4).
    With ``t`` it is a loss layer: forward(x, t) returns a scalar loss, backward() returns
    dx (x's shape), compared with the numerical gradient of the loss (lesson 5).
    x: float array; dout: y's shape; t: targets for x's rows. Prints "gradient check
    passes: True", or False and one line per problem found (see backward_problems).
    """
    problems = backward_problems(layer_class, x, dout, t, seed=seed)
    print("gradient check passes:", not problems)
    for problem in problems:
        print("-", problem)


def backward_problems(layer_class, x, dout=None, t=None, *, seed=0):
    """What is wrong with ``layer_class``'s backward, as sentences; [] if nothing is.

    Arguments as for check_backward; every array the layer gets is a copy, so the caller's
    stay as they were. It checks, in turn: that forward and backward return something;
    that dx is a NumPy array of x's shape; that neither changes the arrays it is given; that
    dx agrees with the numerical gradient (to TOLERANCE times the largest gradient, if that
    is over 1), and if not, by how much, where, and whether by one constant factor; that it
    is right for a second input, drawn with ``seed``, with one more row (and, for a loss
    layer, the targets' rows shifted round by one), after forward ran again on the same
    layer; and, for a loss layer, that backward(2.0) gives twice backward(). A TypeError
    from backward is explained where the cause shows (a backward that does not take the
    call, or an attribute forward left None); any other is raised as it is for an
    activation layer, so its traceback shows the line, and reported for a loss layer.
    """
    _require_layer_class(layer_class, t)
    x = np.array(x, dtype=np.float64)
    if x.size == 0:
        raise ValueError(f"check_backward needs an x with at least one entry; got shape {x.shape}")
    if t is None and dout is None:
        raise TypeError("check_backward needs dout (the upstream gradient, of forward's "
                        "output shape) for a layer without targets t")
    if t is not None and dout is not None:  # else one of them would go unused, unsaid
        raise TypeError(f"check_backward takes dout or t, not both: {layer_class.__name__} "
                        "is given targets t, so it is checked as a loss layer, whose backward "
                        "starts from dout = 1 (pass dout only for a layer without targets)")
    t = None if t is None else np.array(t)
    upstream = None if dout is None else np.array(dout, dtype=np.float64)
    try:
        return _problems(layer_class, x, upstream, t, seed)
    except _Stop as stop:
        return [str(stop)]


def _problems(layer_class, x, upstream, t, seed):
    layer = _build(layer_class)
    dx, changed = _run(layer, x, upstream, t)
    problems = changed
    off = _difference(dx, _numerical(layer_class, x, upstream, t), _likely_factors(x, t))
    if off:
        return problems + [off]
    other_x, other_dout, other_t = _second_input(layer_class, x, upstream, t, seed)
    detail = ""
    try:
        other_dx = _run(layer, other_x, other_dout, other_t, first_shape=x.shape)[0]
        wrong = _difference(other_dx, _numerical(layer_class, other_x, other_dout, other_t))
    except _Stop as stop:
        wrong, detail = True, f" ({stop})"
    except (ValueError, TypeError, IndexError) as error:  # a shape that fits x only, say
        wrong, detail = True, f" (it raised {type(error).__name__}: {error})"
    if wrong:
        problems.append(f"backward is right for this input but not for a second one of shape "
                        f"{other_x.shape}, after forward ran on it{detail}: does it use a "
                        "variable from outside the layer (a global of the notebook) or a "
                        "batch size typed in as a number, instead of what forward stored on "
                        "self"
                        + (" and the dout it is given?" if upstream is not None else "?"))
    if t is not None:
        layer.forward(x.copy(), t.copy())
        try:
            twice = layer.backward(2.0)
        except TypeError as error:
            said = f"backward(2.0) raised TypeError ({error})"
            if _raised_by_the_call(error):  # a backward(self), without dout
                said += ": backward takes dout, the gradient that reaches the layer (1 for a loss)"
            return problems + [said]
        if _dx_problem(twice, x.shape) or not np.allclose(twice, 2 * dx, rtol=1e-9,
                                                          atol=TOLERANCE):
            problems.append("backward(2.0) is not twice backward(): a layer multiplies its "
                            "local gradient by dout, the gradient that reaches it (the chain "
                            "rule), even where dout is 1")
    return problems


def _require_layer_class(layer_class, t):
    """TypeError unless ``layer_class`` is a class whose forward fits being given t or not."""
    if not isinstance(layer_class, type):
        kind = type(layer_class).__name__
        came = (f"a {kind} object: pass the class itself, {kind}, not {kind}()"
                if hasattr(layer_class, "forward") else f"{layer_class!r}")
        raise TypeError(f"check_backward expects a layer class, such as Tanh; got {came}")
    name = layer_class.__name__
    try:
        parameters = list(inspect.signature(layer_class.forward).parameters.values())[1:]
    except (TypeError, ValueError, AttributeError):  # no forward, or one inspect cannot read
        return
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if t is None and sum(p.default is p.empty for p in positional) >= 2:
        raise TypeError(f"{name}.forward takes targets: pass them as t, "
                        f"check_backward({name}, x, t=t)")
    takes_any = any(p.kind == p.VAR_POSITIONAL for p in parameters)
    if t is not None and len(positional) < 2 and not takes_any:
        raise TypeError(f"{name}.forward takes no targets: pass the upstream gradient as dout "
                        f"instead of t, check_backward({name}, x, dout)")


def _build(layer_class):
    try:
        return layer_class()
    except TypeError as error:
        raise TypeError(f"check_backward builds the layer as {layer_class.__name__}(), with no "
                        f"arguments, and that raised: {error}") from None


def _run(layer, x, upstream, t, first_shape=None):
    """(dx, what the layer changed in place), forward and backward on copies of the arrays.

    first_shape: the first input's shape, when this is the second input.
    """
    x_given = x.copy()
    t_given = None if t is None else t.copy()
    dout_given = None if upstream is None else upstream.copy()
    out = layer.forward(x_given) if t is None else layer.forward(x_given, t_given)
    if out is None:
        raise _Stop("forward returned None: it needs a `return`, of "
                    + ("y" if t is None else "the loss"))
    if upstream is not None and np.shape(out) != upstream.shape:  # else NumPy would broadcast
        raise ValueError(f"check_backward needs dout of the shape of "
                         f"{type(layer).__name__}.forward's output, {np.shape(out)}; got "
                         f"{upstream.shape}")
    if not np.array_equal(x_given, x):
        raise _Stop("forward changed its input x in place (with out=, *= or [...] =): "
                    "the caller may still need it; build a new array instead")
    try:
        dx = layer.backward(dout_given) if t is None else layer.backward()
    except TypeError as error:
        because = _backward_type_error(layer, error, t)
        if because is None:  # nothing to add: the traceback shows the learner's line
            raise
        raise _Stop(because) from None
    problem = _dx_problem(dx, x.shape, first_shape)
    if problem:
        raise _Stop(problem)
    changed = [f"backward changed {what} in place (with -=, *= or [...] =): "
               f"{why}; build a new array instead, as `dout * (...)` does"
               for what, given, kept, why in [
                   ("dout", dout_given, upstream, "the layer that sent it may still need it"),
                   ("the input x it stored", x_given, x, "that is the caller's array"),
                   ("the targets t it stored", t_given, t, "that is the caller's array")]
               if given is not None and not np.array_equal(given, kept)]
    return dx, changed


def _raised_by_the_call(error):
    """True if TypeError ``error``, caught where backward was called, came from the call
    itself (its signature does not fit), not from inside backward: no frame below ours."""
    return error.__traceback__.tb_next is None


def _backward_type_error(layer, error, t):
    """What most likely made backward raise TypeError ``error``, as a sentence (None: we
    cannot tell, for an activation layer; a loss layer's check says what it raised)."""
    called = "backward(dout)" if t is None else "backward()"
    said = f"{called} raised TypeError ({error})"
    if _raised_by_the_call(error):
        return (f"{said}: an activation layer's backward takes dout, def backward(self, dout)"
                if t is None else
                f"{said}: a loss layer's backward needs a default, def backward(self, dout=1), "
                "as backpropagation starts there with 1")
    unset = [f"self.{name}" for name, value in getattr(layer, "__dict__", {}).items()
             if value is None]
    if unset and "NoneType" in str(error):  # the __init__'s placeholder, never replaced
        return (f"{said}, and {' and '.join(unset)} {'is' if len(unset) == 1 else 'are'} "
                "still None after forward: does forward store on self what backward uses?")
    return said if t is not None else None


def _likely_factors(x, t):
    """(number, its name): the factors a backward most often gains or loses."""
    factors = []
    if t is not None and x.ndim >= 2:  # a loss averaged over a batch
        factors += [(x.shape[0], f"the batch size N = {x.shape[0]}"),
                    (x.size // x.shape[0], f"the number of columns, {x.size // x.shape[0]}"),
                    (x.size, f"the number of entries, {x.size}")]
    return factors + [(2, "2, as in the derivative of a square")]


def _numerical(layer_class, x, upstream, t):
    if t is not None:
        return numerical_gradient(lambda v: layer_class().forward(v, t.copy()), x.copy())
    return numerical_gradient(lambda v: np.sum(layer_class().forward(v) * upstream), x.copy())


def _second_input(layer_class, x, upstream, t, seed):
    """Another x (one more row if x has rows), and a dout or targets to match."""
    rng = np.random.default_rng(seed)
    # a loss layer's (C,) scores are one sample: their axis holds classes, not rows
    has_rows = x.ndim >= (1 if t is None else 2) and (t is None or t.ndim >= 1)
    other_x = rng.normal(size=(x.shape[0] + 1, *x.shape[1:]) if has_rows else x.shape)
    # kept 0.01 away from 0: a ReLU's corner there would fool the numerical gradient
    other_x += np.copysign(0.01, other_x)
    if t is not None:
        shifted = np.roll(t, 1, axis=0) if has_rows else t
        return other_x, None, np.concatenate([shifted, shifted[:1]]) if has_rows else t
    out_shape = np.shape(_build(layer_class).forward(other_x.copy()))
    return other_x, rng.normal(size=out_shape), None


def _dx_problem(dx, shape, first_shape=None):
    """None if dx is a NumPy array (or number) of ``shape``, else what came instead.

    first_shape: the first input's shape, when x is the second input.
    """
    if dx is None:
        return "backward returned None: it needs a `return` with dx, the gradient for the input"
    if isinstance(dx, (list, tuple)):
        alone = " of two: return dx alone" if isinstance(dx, tuple) and len(dx) == 2 else ""
        return (f"backward returned a {type(dx).__name__}{alone}; dx must be a NumPy array, "
                "which the layer before can compute with")
    if not isinstance(dx, (np.ndarray, np.generic, int, float)) or np.asarray(dx).dtype.kind \
            not in "biuf":
        return (f"backward returned {type(dx).__name__} {dx!r:.40}; it must return dx, a "
                f"NumPy array of the input's shape {shape}")
    came = np.shape(dx)
    if came == shape:
        return None
    size = math.prod(came)
    guess = ("the first input's shape again" if came == first_shape else
             "is it transposed?" if came == shape[::-1] else
             "did it reshape or flatten it?" if size == math.prod(shape) else
             "did it sum or average over an axis?" if size < math.prod(shape) else
             "did it broadcast against another array, or build an outer product?")
    return (f"backward returned shape {came}, but dx needs the input's shape {shape}: "
            f"one gradient for every entry of the input ({guess})")


def _difference(dx, expected, factors=()):
    """None if dx matches the numerical gradient, else a sentence saying how it is off.

    factors: (number, its name) pairs, the names for an error by one constant factor.
    """
    dx = np.asarray(dx, dtype=np.float64)
    error = np.abs(dx - expected)
    # a nan compares False, so it is reported
    if error.max() <= TOLERANCE * max(1.0, float(np.abs(expected).max())):
        return None
    at = np.unravel_index(np.argmax(np.where(np.isnan(error), np.inf, error)), error.shape)
    where = f"at entry [{', '.join(map(str, at))}]" if at else "for this x"  # () for 0-d x
    sentence = (f"backward's dx is off the numerical gradient by up to {error[at]:.3g}: "
                f"{where} it gives {dx[at]:.6g}, the numerical gradient {expected[at]:.6g}")
    nonzero = np.abs(expected) > 1e-3
    if nonzero.any():
        ratio = dx[nonzero] / expected[nonzero]
        factor = ratio[0]
        if np.allclose(ratio, factor, rtol=1e-5, atol=0) and factor != 0 \
                and not np.isclose(factor, 1):
            names = [name for number, name in factors
                     if np.isclose(abs(factor), number) or np.isclose(abs(factor), 1 / number)]
            name = f", perhaps {', or '.join(names)}" if names else ""
            sentence += ("; every entry has the wrong sign" if np.isclose(factor, -1) else
                         f"; every entry is {factor:.4g} times the right one (a missing or "
                         f"extra factor{name}" + (", and the wrong sign)" if factor < 0 else ")"))
    return sentence
