"""Activation, softmax and loss functions (lessons 4 and 5).

Plain NumPy functions of arrays. Each keeps the floating dtype it is given, so a float32
network stays float32, and each is written in its numerically stable form: written
directly from their definitions, they overflow for large inputs or take ``log(0)``.
"""

import warnings

import numpy as np

from .checks import require_real_numbers

__all__ = [
    "sigmoid",
    "relu",
    "softmax",
    "log_softmax",
    "cross_entropy_error",
    "softmax_cross_entropy",
    "as_label_indices",
]


def _as_float_array(x, caller):
    x = np.asarray(x)
    if x.dtype.kind == "f":
        return x
    require_real_numbers(x, caller)
    return x.astype(np.float64)  # booleans and integers are computed in float64


def sigmoid(x):
    """Logistic function 1 / (1 + exp(-x)), elementwise (lesson 4). Shape in = shape out.

    ``exp(-x)`` overflows for x below about -709.8 (-88.7 in float32), so negative inputs
    use the equal form
    exp(x) / (1 + exp(x)); the exponent is then never positive.
    """
    x = _as_float_array(x, "sigmoid")
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1, e) / (1 + e)


def relu(x):
    """Rectified linear unit max(0, x), elementwise. Shape in = shape out.

    Lesson 4's ReLU as a plain function (the lesson itself builds the Relu layer); lesson 6
    uses it to look at a hidden unit's kink.
    """
    return np.maximum(_as_float_array(x, "relu"), 0)


def log_softmax(x):
    """log(softmax(x)) over the last axis, without ever forming exp of a large number.

    Lesson 5's log-sum-exp trick as a function of its own, for learners to use; no lesson
    calls it (the layer uses ``softmax_cross_entropy``, which computes the same thing inline).

    x: (C,) or (N, C) scores. Returns the same shape.
    """
    x = _as_float_array(x, "log_softmax")
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax(x):
    """Softmax over the last axis (lesson 5).

    x: (C,) or (N, C) scores; returns probabilities of the same shape.

    Subtracting the row maximum first changes nothing mathematically (the factor exp(-max)
    cancels) but keeps every exponent <= 0, so scores like 1e4 do not overflow.
    """
    x = _as_float_array(x, "softmax")
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def as_label_indices(t, num_classes, count=None):
    """Turn targets into a 1-D array of class indices (lesson 5: SoftmaxWithLoss takes both).

    t: (N,) integer labels or (N, C) one-hot rows; soft labels (rows that are distributions)
    give the class of their largest entry. Raises ValueError if labels do not fit
    ``num_classes`` classes, if a row is not non-negative with sum 1 (its index is named), or
    if ``count`` (the number of inputs they belong to) is given and N differs from it.
    """
    labels = _label_indices(np.asarray(t), num_classes)
    if count is not None and labels.shape[0] != count:
        raise ValueError(f"expected {count} targets for {count} inputs; got {labels.shape[0]}")
    return labels


def _label_indices(t, num_classes):
    if t.ndim == 2 and t.shape[1] == num_classes:
        _check_distributions(t, _sum_tolerance(t))
        return t.argmax(axis=1)
    if t.ndim > 1 or not np.issubdtype(t.dtype, np.integer):
        raise ValueError(
            f"targets must be integer labels of shape (N,) or one-hot rows of shape "
            f"(N, {num_classes}); got dtype {t.dtype} and shape {t.shape}"
        )
    t = t.reshape(-1)
    # unsigned labels (MNIST's are uint8) cannot be negative: one pass over them, not two
    negative = t.dtype.kind == "i" and t.size and t.min() < 0
    if t.size and (negative or t.max() >= num_classes):
        raise ValueError(
            f"labels must lie in 0..{num_classes - 1}; got values from {t.min()} to {t.max()}"
        )
    return t


def _batched(y, t):
    """Make (C,) scores a batch of one and sort the targets into one-hot or labels.

    Returns (y of shape (N, C), one-hot targets or None, label indices or None). Errors
    name the shapes as they were passed.
    """
    t = np.asarray(t)
    given = y.shape
    if y.ndim == 1:
        if t.shape == given:
            t = t.reshape(1, -1)
        elif t.size != 1 or t.ndim > 1:
            raise ValueError(
                f"scores of shape {given} are one sample: expected a one-hot target of "
                f"shape {given} or one label; got targets of shape {t.shape}"
            )
        y = y.reshape(1, -1)
    if y.ndim != 2:
        raise ValueError(f"expected scores of shape (C,) or (N, C); got shape {given}")
    if y.shape[0] == 0 or y.shape[1] == 0:
        raise ValueError(
            f"a loss needs at least one sample and one class; got scores of shape {given}"
        )
    if t.shape == y.shape:
        return y, _one_hot_rows(t, y.dtype), None
    labels = as_label_indices(t, y.shape[1])
    if labels.shape[0] != y.shape[0]:
        raise ValueError(
            f"expected {y.shape[0]} targets for scores of shape {given}; "
            f"got targets of shape {t.shape}"
        )
    return y, None, labels


def _one_hot_rows(t, dtype):
    """(N, C) targets as ``dtype``, after checking that each row is a distribution."""
    # the tolerance comes before the cast: float16 soft labels cast to float64 keep
    # float16's rounding (ten 0.1s sum to 0.99976)
    tolerance = _sum_tolerance(t, dtype)
    # integer one-hot rows would promote float32 scores to float64
    t = t.astype(dtype, copy=False)
    _check_distributions(t, tolerance)
    return t


def _sum_tolerance(t, *dtypes):
    """How far a row sum of t may miss 1: a rounding per class in the coarsest float dtype."""
    floats = [np.finfo(d).eps for d in (t.dtype, *dtypes) if np.dtype(d).kind == "f"]
    return max(1e-6, t.shape[1] * max(floats, default=np.finfo(np.float64).eps))


_FOR_SCORES = ("For scores apply softmax first, cross_entropy_error(softmax(scores), t), or "
               "use SoftmaxWithLoss (lesson 5)")


def _rows_off_one(sums, tolerance):
    """True for each row sum farther than tolerance from 1, a nan included."""
    return ~(np.abs(sums - 1) <= tolerance)  # "~(<=)": a nan is off too


def _check_distributions(t, tolerance):
    """Raise ValueError unless every row of the (N, C) targets t is non-negative and sums to 1.

    One-hot rows and soft labels are both such rows; a row of label values, or rows set to 1
    everywhere by a slip of the index, would give a wrong loss or label.
    """
    if t.size == 0:
        return
    sums = t.sum(axis=1)
    # written as "not (all good)" so that a nan in t fails too
    if not (t.min() >= 0 and np.abs(sums - 1).max() <= tolerance):
        bad = int(np.argmax((t < 0).any(axis=1) | _rows_off_one(sums, tolerance)))
        raise ValueError(
            "one-hot targets must be rows of non-negative numbers that sum to 1; "
            f"row {bad} is {t[bad]} (sum {_number(sums[bad])}); "
            "class labels go in an array of shape (N,)"
        )


def _number(v):
    """A NumPy scalar in the fewest digits that tell it apart in its own dtype: 1.0000001
    for float32's next number after 1, which ``:g`` would print as 1; 3 rather than 3.0."""
    return str(v).removesuffix(".0")


def cross_entropy_error(y, t):
    """Mean cross-entropy -sum(t * log y) / N of predicted probabilities y.

    The book's ``cross_entropy_error``, kept for its readers: lesson 5 computes the loss
    from the scores with ``softmax_cross_entropy`` instead, which never takes log(0).

    y: (C,) or (N, C) probabilities, each in [0, 1], each row summing to 1 (both checked).
    t: one-hot rows of y's shape, or soft labels (rows that are distributions), checked to
    be non-negative and sum to 1; or (N,) label indices. Returns a scalar. A zero
    probability for the true class gives a large finite loss (-log of the smallest positive
    normal float, ``np.finfo(dtype).tiny``) instead of inf: the book adds 1e-7 for the same
    reason, but that shifts every loss a little. A y of exactly one-hot rows with a t that
    is not warns: most likely the two were swapped (a softmax saturated to exact 0s and 1s,
    against soft labels, warns too).
    """
    y, onehot, labels = _batched(_as_float_array(y, "cross_entropy_error"), t)
    if not (y.min() >= 0 and y.max() <= 1):  # "not": a nan fails too
        raise ValueError(
            "cross_entropy_error expects probabilities in [0, 1] (softmax's output); got "
            f"values from {_number(y.min())} to {_number(y.max())}. {_FOR_SCORES}"
        )
    sums = y.sum(axis=1)
    off = _rows_off_one(sums, _sum_tolerance(y))  # a row that forgot softmax, say
    if off.any():
        bad = int(np.argmax(off))
        raise ValueError(
            "cross_entropy_error expects probabilities, rows of y that sum to 1 as softmax's "
            f"do; row {bad} sums to {sums[bad]:.4g}. {_FOR_SCORES}"
        )
    tiny = np.finfo(y.dtype).tiny
    if labels is None:
        if np.isin(y, (0, 1)).all() and not np.isin(onehot, (0, 1)).all():
            # both pass the checks above, but probabilities of exactly 0 and 1 against soft
            # labels are far likelier a swap: cross_entropy_error(t, y) gave 415.6 for 1.357
            warnings.warn("cross_entropy_error: y is one-hot and t is not; did you swap them? "
                          "The probabilities come first: cross_entropy_error(y, t)",
                          stacklevel=2)
        return -np.sum(onehot * np.log(np.maximum(y, tiny))) / y.shape[0]
    picked = y[np.arange(y.shape[0]), labels]
    return -np.sum(np.log(np.maximum(picked, tiny))) / y.shape[0]


def softmax_cross_entropy(x, t, reduction="mean"):
    """Cross-entropy of softmax(x), computed from the scores x by log-sum-exp (lesson 5).

    x: (C,) or (N, C) scores; t: (N,) labels, or rows of x's shape, one-hot or soft labels
    (each row a distribution: checked to be non-negative and sum to 1). Returns (loss, y)
    with y the softmax probabilities, always of shape (N, C): a (C,) x counts as a batch of
    one, so y is then (1, C). Working from x avoids log(softmax) underflowing to log(0) and
    needs no epsilon. SoftmaxWithLoss (lesson 5) is built on it.

    reduction="mean" (the default) makes loss the mean over the batch, a scalar;
    reduction="none" gives each sample's own loss, shape (N,), which a batched gradient
    check needs to tell thousands of stacked copies of a batch apart.
    """
    if reduction not in ("mean", "none"):
        raise ValueError(f"reduction must be 'mean' or 'none'; got {reduction!r}")
    x, onehot, labels = _batched(_as_float_array(x, "softmax_cross_entropy"), t)
    shifted = x - x.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    s = e.sum(axis=1, keepdims=True)
    log_y = shifted - np.log(s)
    if labels is None:
        losses = -(onehot * log_y).sum(axis=1)
    else:
        losses = -log_y[np.arange(x.shape[0]), labels]
    return (losses.sum() / len(losses) if reduction == "mean" else losses), e / s
