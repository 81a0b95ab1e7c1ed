"""Argument checks shared by the layers, the gradient checks, ``train`` and the widgets.

Each raises an error that names what was expected and what came, so that a slip shows up
where it was made, not as a NumPy error three calls further on, or as a silently wrong
number. Lesson 3 meets the first of them in ``MulLayer.backward``.
"""

import math
import numbers
from collections.abc import Mapping

import numpy as np

__all__ = ["require_forward", "require_number", "require_bools", "require_samples",
           "require_same_keys", "require_params_in_layers", "one_number",
           "require_visible_nudge", "require_real_numbers", "seeded_rng", "NONE_GRADIENT"]

# why a layer's gradient comes out None: its __init__'s placeholder, never replaced
NONE_GRADIENT = ("does the layer's backward store its gradients on self (self.dW = ..., not a "
                 "local dW = ..., which is gone once backward returns), and does every "
                 "function on the way `return` its result?")


def require_forward(layer, attribute):
    """RuntimeError unless ``layer.forward`` has run (it sets ``attribute``) (lesson 3)."""
    if getattr(layer, attribute) is None:
        name = type(layer).__name__
        raise RuntimeError(
            f"{name}.backward() was called before {name}.forward(): the backward pass "
            "needs the values the forward pass stores"
        )


def require_number(name, value, low=-math.inf, high=math.inf, *, whole=False, what=None):
    """``value`` as a float (an int if ``whole``), once it is a finite number in [low, high].

    A NumPy scalar or 0-d array counts as a number; a bool or a string does not (TypeError).
    ``what`` says where the range comes from ("the range of its slider"). Widgets need
    this because a slider clamps a value off its range, or rounds a fraction, without a
    word: opened with apple=1000 it would show 300 and compute with it.
    """
    kind = "a whole number" if whole else "a finite number"
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be {kind}, got {value!r} ({type(value).__name__})")
    # an int is finite however large (math.isfinite would overflow on 10**400)
    finite = isinstance(value, numbers.Integral) or math.isfinite(value)
    if not (finite and low <= value <= high) or (whole and value != int(value)):
        if math.isfinite(low) and math.isfinite(high):
            bounds = f" from {low:g} to {high:g}"
        elif math.isfinite(low) or math.isfinite(high):
            bounds = f" of at least {low:g}" if math.isfinite(low) else f" of at most {high:g}"
        else:
            bounds = ""
        where = f" ({what})" if what else ""
        raise ValueError(f"{name} must be {kind}{bounds}{where}, got {value!r}")
    return int(value) if whole else float(value)


def require_bools(caller, **flags):
    """TypeError unless every flag is True or False (a NumPy bool too).

    A string passes any truth test: load_mnist(normalize="False") would normalize.
    """
    for name, value in flags.items():
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{caller}'s {name} must be True or False, got {value!r} "
                            f"({type(value).__name__})")


def require_real_numbers(x, caller):
    """TypeError unless the array ``x`` holds real numbers: bools, ints or floats (lesson 4).

    NumPy would compute with None (an object array) as nan, read strings as the numbers
    they spell, and drop the imaginary part of complex numbers with only a warning.
    ``caller`` names the function in the message.
    """
    if x.dtype.kind not in "biuf":
        kinds = {"c": "complex numbers", "U": "strings", "S": "bytes", "O": "Python objects"}
        came = ("None" if x.ndim == 0 and x[()] is None else
                f"an array of {kinds.get(x.dtype.kind, 'values')} (dtype {x.dtype})")
        hint = " (a function without a return statement gives None)" if came == "None" else ""
        raise TypeError(f"{caller} expected numbers (an int or float array or scalar); got "
                        f"{came}{hint}")


def seeded_rng(name, seed):
    """``np.random.default_rng(seed)``, or an error that names the argument ``name``.

    NumPy's own ("SeedSequence expects int or sequence of ints") names none, and the
    seed of a run is often passed a long way down.
    """
    try:
        return np.random.default_rng(seed)
    except (TypeError, ValueError) as exc:  # the type NumPy chose: a str, or a seed < 0
        raise type(exc)(f"{name} must be a whole number of at least 0 (a seed), a "
                        f"numpy.random.Generator or None; got {seed!r} "
                        f"({type(seed).__name__})") from None


def require_samples(x, caller, name="x"):
    """ValueError unless x holds at least one sample (row): a mean of nothing is no loss."""
    if np.ndim(x) == 0 or len(x) == 0:
        raise ValueError(f"{caller} needs at least one sample in {name}; got {name} of shape "
                         f"{np.shape(x)}")


def require_same_keys(got, expected, got_name, expected_name, consequence=""):
    """ValueError naming the keys ``got`` lacks and has extra compared with ``expected``.

    A gradient forgotten for one parameter would otherwise look like a passed check, or
    leave a training step half done. ``got`` that is no dict at all is a TypeError.
    """
    if not isinstance(got, Mapping):
        hint = " (a function that forgets its `return` gives None)" if got is None else ""
        raise TypeError(f"{got_name} are not a dict keyed like {expected_name} "
                        f"{list(expected)}: got {type(got).__name__}{hint}")
    if got.keys() != expected.keys():
        missing = [key for key in expected if key not in got]
        extra = [key for key in got if key not in expected]
        differences = ([f"lack {missing}"] if missing else []) + (
            [f"have extra {extra}"] if extra else [])
        raise ValueError(f"{got_name} {' and '.join(differences)}, compared with "
                         f"{expected_name} {list(expected)}{consequence}")


def require_params_in_layers(network):
    """ValueError unless every array in ``network.params`` is one that a layer computes with.

    The layers hold the very arrays in ``params`` (lesson 6), and training updates them in
    place. ``network.params["W1"] = new_array`` breaks that link without a word: the layers
    go on computing with the old array and training changes only the new one, which nothing
    reads. The arrays are looked for in ``layers`` and ``last_layer``, and in the lists,
    dicts and objects they hold (a layer that wraps another, say). A network without
    ``layers`` is not checked.
    """
    layers = getattr(network, "layers", None)
    if not isinstance(layers, Mapping):
        return
    # not through the network or params themselves: a layer holding a reference to either
    # would make every params array look held
    seen = {id(network), id(network.params)}
    held = list(_arrays_in([*layers.values(), getattr(network, "last_layer", None)], seen))
    for key, param in network.params.items():
        if not any(np.may_share_memory(value, param) for value in held):
            raise ValueError(
                f"network.params[{key!r}] is held by none of the layers {list(layers)}: most "
                f"likely it was replaced (network.params[{key!r}] = ...), so the layers "
                "still use the old array, and training would change only the new one. Copy "
                f"new values into the old array instead: network.params[{key!r}][...] = "
                "new_values"
            )


def _arrays_in(obj, seen, depth=4):
    """Every NumPy array in obj: in it, its attributes, lists, tuples and dicts, depth deep."""
    if id(obj) in seen or depth < 0 or obj is None or isinstance(obj, (str, bytes, type)):
        return
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        yield obj
        return
    if isinstance(obj, Mapping):
        children = list(obj.values())
    elif isinstance(obj, (list, tuple)):
        children = list(obj)
    else:  # attributes, whether in __dict__ or in __slots__
        slots = [name for cls in type(obj).__mro__ for name in getattr(cls, "__slots__", ())]
        children = [*getattr(obj, "__dict__", {}).values(),
                    *(getattr(obj, name, None) for name in slots)]
    for child in children:
        yield from _arrays_in(child, seen, depth - 1)


def one_number(value):
    """What ``numerical_gradient``'s f returned, as one number of its own (lesson 2).

    A gradient is that of one number: None or an array would end in a NumPy error, so they
    are refused. A 0-d array is copied out: if it is x itself (``lambda x: x`` for a 0-d
    x), the next nudge of x would change it after the fact, and the difference would be 0.
    """
    if isinstance(value, (float, np.floating)):  # the usual case, checked first: it is fast
        return value
    if value is None:
        raise TypeError("numerical_gradient: f returned None; it must return one number, "
                        "such as the loss (a function that forgets its `return` gives None)")
    kind = np.asarray(value).dtype.kind
    if np.ndim(value) != 0 or kind not in "iuf":  # a bool, a complex number, a string: no
        raise TypeError(
            "numerical_gradient: f must return one number, such as the loss; it returned "
            f"{type(value).__name__}"
            + (f" of shape {np.shape(value)} (sum or average it to one number)"
               if np.ndim(value) else f" {value!r}")
        )
    return value[()] if isinstance(value, np.ndarray) else value


def require_visible_nudge(x, h, name="x"):
    """Refuse an x in which a nudge of h rounds away or far from h (lesson 2; numerical
    gradients of lessons 2 to 6): the difference quotient there would be wrong.

    x + h is rounded to x's dtype when it is stored. Where it rounds back to x itself, f
    sees no change and the difference quotient is 0 (about half the slope if only one side
    vanishes), which looks like a real gradient; where the step stored is more than 1% off
    h, the quotient, divided by 2h, is off by as much. For h = 1e-4 the step rounds away
    from |x| = 2048 in float32 (0.25 in float16) and is 1% off from about 128 (0.016).
    ``name`` is what the message calls x.
    """
    if not require_number("h", h) > 0:  # a number (TypeError else), finite, and then > 0
        raise ValueError(f"h must be a small positive number, such as 1e-4; got {h!r}")
    # the steps actually taken: x + h is rounded to x's dtype when it is stored
    up, down = (x + h).astype(x.dtype) - x, x - (x - h).astype(x.dtype)
    vanished = (up == 0) | (down == 0)
    # the quotient divides by 2h: a step rounded more than 1% away from it skews the result
    # as much (float32 from |x| of about 128, float16 from 0.016)
    skewed = np.abs(up + down - 2 * h) > 0.02 * h
    bad = vanished | skewed
    if bad.any():
        idx = np.unravel_index(np.argmax(bad), x.shape)
        where = f"{name}[{', '.join(map(str, idx))}]" if x.ndim else name
        fix = ("a larger h, or values this large rescaled" if x.dtype == np.float64 else
               "float64: x.astype(np.float64), or TwoLayerNet(..., dtype=np.float64) for a "
               "network")
        if vanished[idx]:
            what = (f"is lost in {x.dtype}: {where} = {x[idx]}, and {x[idx]} ± h rounds back "
                    f"to {x[idx]}")
            harm = "a false 0"
        else:
            step = (up[idx] + down[idx]) / 2
            what = (f"is rounded in {x.dtype}: {where} = {x[idx]}, and {x[idx]} ± h is stored "
                    f"{step:.3g} away from it on average, {abs(step / h - 1):.0%} off h")
            harm = "off by as much"
        raise ValueError(
            f"a nudge of h = {h} {what} ({np.count_nonzero(bad)} of {x.size} entries of "
            f"{name} are affected), so the numerical gradient there would be {harm}. "
            f"Use {fix}"
        )


def require_key(table, name, what):
    """table[name], or a KeyError listing the names there are (and the one meant, if it
    was only the case that was wrong: "relu" for "ReLU")."""
    try:
        return table[name]
    except (KeyError, TypeError):  # TypeError: an unhashable name, e.g. a list
        meant = [k for k in table if isinstance(name, str) and k.lower() == name.lower()]
        hint = f" (names are case-sensitive: did you mean {meant[0]!r}?)" if meant else ""
        raise KeyError(f"unknown {what} {name!r}; expected one of {list(table)}{hint}") \
            from None
