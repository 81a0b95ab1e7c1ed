"""The training loop of lesson 6: minibatch SGD on a network with ``gradient``."""

import math
import sys
import time
from contextlib import closing
from dataclasses import dataclass, field

import numpy as np

from .accuracy_meter import AccuracyMeter
from .batches_ahead import gathered_ahead
from .blas_threads import blas_thread_limit
from .checks import (
    NONE_GRADIENT,
    require_number,
    require_params_in_layers,
    require_same_keys,
    require_samples,
    seeded_rng,
)
from .functions import as_label_indices

__all__ = ["train", "TrainingHistory"]


@dataclass
class TrainingHistory:
    """What ``train`` recorded (lesson 6).

    loss: the minibatch loss of every iteration. measured_at: the iteration numbers at which
    the accuracies were measured (iteration 0, then one per epoch, and the last one unless
    a callback stopped the run);
    train_acc and test_acc: those accuracies (fractions).
    seconds: wall time of the whole run. stopped: True if a callback ended it early.
    """

    loss: list = field(default_factory=list)
    measured_at: list = field(default_factory=list)
    train_acc: list = field(default_factory=list)
    test_acc: list = field(default_factory=list)
    seconds: float = 0.0
    stopped: bool = False

    def __repr__(self):
        # a summary: the default would print every loss, 10,000 numbers for the book's run
        losses = f"{len(self.loss)} losses" + (f", last {self.loss[-1]:.4f}" if self.loss else "")
        measured = f"{len(self.measured_at)} measurements"
        if self.train_acc and self.test_acc:
            measured += (f", last at iteration {self.measured_at[-1]}: train acc "
                         f"{self.train_acc[-1]:.4f}, test acc {self.test_acc[-1]:.4f}")
        end = f"{self.seconds:.1f} s" + (", stopped early" if self.stopped else "")
        return f"TrainingHistory({losses}; {measured}; {end})"


def train(network, x_train, t_train, x_test, t_test, *, iters_num=10000, batch_size=100,
          learning_rate=0.1, seed=0, verbose=True, progress=False, callback=None,
          blas_threads=1, eval_indices=None):
    """Train ``network`` in place with minibatch SGD, as chapter 5's script does (lesson 6).

    network: built like TwoLayerNet, with ``params``, ``predict(x)``, ``gradient(x, t)``,
    ``accuracy(x, t)`` and a ``last_layer`` whose ``loss`` holds the loss of the last
    ``gradient`` call. x_train (N, D), t_train (N,) integer labels or (N, C) one-hot;
    likewise x_test, t_test (arrays, or anything np.asarray turns into one).
    Every epoch (N / batch_size iterations, from the very first update on) and after the
    last iteration it measures the accuracy on all of the training and test data, and
    prints it if ``verbose``; ``eval_indices`` (M,) integer indices into x_train measures
    the training accuracy on those rows only, which is quicker (the dashboard does that).
    ``progress=True`` draws a text progress bar on stderr. ``callback(i, history)`` is
    called after every iteration; returning True stops training (the network keeps what it
    has learned). Returns a TrainingHistory.

    Each iteration draws batch_size rows at random with replacement, as the book does, so
    batch_size may exceed N. iters_num and batch_size must be whole numbers >= 1,
    learning_rate a finite number >= 0 (0 leaves the weights as they are: a baseline).
    Arguments that do not fit raise ValueError (TypeError for a setting that is not a
    number, or a callback that cannot be called) before the first update, as does an array
    of ``params`` that no layer holds (replaced instead of updated in place); so does a
    ``gradient`` whose keys differ from those of ``params`` (checked every step) or whose
    shapes do (checked in the first step: they do not change; TypeError for a gradient
    that is None), before that step changes any parameter. A loss that is no longer
    finite (the scores overflowed: the weights have grown too large, most often from too
    large a learning rate, or the mini-batch holds a row of x_train with nan or inf, which
    the message then names) raises FloatingPointError, also before the update; so do
    weights left not finite by the last. Data with nan or inf that a measurement meets
    first raises ValueError, naming the row (see TwoLayerNet.predict_labels).

    Five choices make it fast without changing the maths: the minibatch indices are drawn
    in blocks (one call to the generator for the book's 10000 iterations, see
    _minibatches); their rows are copied out of x_train in another thread, a few blocks
    ahead of the step that needs them (see gathered_ahead); the loss recorded is the one the
    gradient's own forward pass computed, just before the update (the book records the one
    just after it, with a second forward pass); the accuracies
    are measured on a copy of the network in a second thread, on another core if there is
    one, while training goes on (see AccuracyMeter), so a measurement reaches ``history``
    (and the screen) one epoch late, when the next one starts, and all of them are there
    when ``train`` returns; and NumPy's linear-algebra library (BLAS) gets ``blas_threads``
    threads (None leaves its own choice, one per core): a mini-batch's matrix products are
    too small to share between cores, and the threads would spend more time waiting for
    each other than multiplying.
    """
    iters_num, batch_size, learning_rate = _check_settings(iters_num, batch_size, learning_rate,
                                                           callback, blas_threads)
    x_train, t_train, x_test, t_test = _checked_data(network, x_train, t_train, x_test, t_test)
    require_params_in_layers(network)
    rng = seeded_rng("seed", seed)
    train_size = len(x_train)
    iter_per_epoch = max(train_size // batch_size, 1)
    batches = _minibatches(rng, train_size, iters_num, batch_size)
    if eval_indices is not None:
        try:
            x_eval, t_eval = x_train[eval_indices], t_train[eval_indices]
        except IndexError as exc:  # NumPy's message does not say which argument it was
            raise IndexError(f"eval_indices must be whole numbers that index x_train's "
                             f"{len(x_train)} rows: {exc}") from None
        if len(x_eval) == 0:  # else the first measurement would fail an epoch into the run
            raise ValueError("eval_indices must pick at least one training row; got an "
                             f"index array of shape {np.shape(eval_indices)}")
    else:
        x_eval, t_eval = x_train, t_train
    progress_every = max(iters_num // 50, 1)  # 50 redraws, not one per iteration
    history = TrainingHistory()
    start = time.perf_counter()
    # the meter measures accuracy in a second thread, and a third gathers the mini-batches
    # ahead: see "Why this loop is fast" in lesson 6
    with blas_thread_limit(blas_threads), \
            AccuracyMeter(x_eval, t_eval, x_test, t_test, history, verbose,
                          eval_indices) as meter, \
            closing(gathered_ahead(x_train, t_train, batches)) as gathered:
        for i, (batch, x_batch, t_batch) in enumerate(gathered):
            grads = network.gradient(x_batch, t_batch)
            # all checked before any update: no half steps (shapes do not change between steps)
            _require_all_gradients(grads, network.params, shapes=i == 0)
            loss = float(network.last_layer.loss)
            if not math.isfinite(loss):
                raise FloatingPointError(_diverged_message(i, loss, learning_rate, x_train, batch))
            for key, param in network.params.items():
                param -= learning_rate * grads[key]
            history.loss.append(loss)

            if i % iter_per_epoch == 0 or i == iters_num - 1:
                meter.measure(i, network)  # records the previous measurement, starts this one
            if progress and (i + 1) % progress_every == 0:
                _draw_progress(i + 1, iters_num)
            if callback is not None and callback(i, history):
                history.stopped = True
                break
        meter.finish()  # waits for the last measurement: nothing overlaps that one
    if not all(np.isfinite(param).all() for param in network.params.values()):
        # the last update overflowed, and no later loss is there to tell
        raise FloatingPointError("the last update left weights that are not finite: the "
                                 f"learning rate ({learning_rate:g}) is too large")
    history.seconds = time.perf_counter() - start
    if progress:
        sys.stderr.write("\n")
    return history


def _minibatches(rng, train_size, iters_num, batch_size, block_size=1_000_000):
    """Each iteration's batch_size row indices (batch_size,), drawn in blocks of rows.

    One call to the generator draws a block of up to ``block_size`` indices (the book's
    10000 iterations of 100 are one block), not one call per iteration; blocks, not one
    array for the whole run, so that a run of a million iterations does not hold 800 MB of
    indices. The generator gives the same numbers whatever the block size.
    """
    rows = max(block_size // batch_size, 1)
    for start in range(0, iters_num, rows):
        yield from rng.integers(0, train_size, size=(min(rows, iters_num - start), batch_size))


def _checked_data(network, x_train, t_train, x_test, t_test):
    """The four arrays as NumPy arrays, once their shapes and labels fit the network.

    Checked up front, as passed: inside the loop an error would name a minibatch's shape,
    or come after thousands of updates, when a bad label is first drawn.
    """
    named = {"x_train": x_train, "t_train": t_train, "x_test": x_test, "t_test": t_test}
    named = {name: np.asarray(array) for name, array in named.items()}
    for name, array in named.items():
        if array.ndim < (2 if name.startswith("x") else 1):
            raise ValueError(f"{name} must hold one {'sample' if name[0] == 'x' else 'target'} "
                             f"per row; got an array of shape {array.shape}")
    x_train, t_train, x_test, t_test = named.values()
    if len(x_train) != len(t_train) or len(x_test) != len(t_test):
        raise ValueError(
            f"inputs and targets differ in length: x_train {len(x_train)}, t_train "
            f"{len(t_train)}, x_test {len(x_test)}, t_test {len(t_test)}"
        )
    for name in ("x_train", "x_test"):
        require_samples(named[name], "train", name)
        try:  # one row through the network: its width must fit, and it gives the classes
            num_classes = np.shape(network.predict(named[name][:1]))[-1]
        except ValueError as exc:
            raise ValueError(f"{name} of shape {named[name].shape} does not fit the network "
                             f"(its first row, given to network.predict, raised: {exc})") \
                from None
    for name in ("t_train", "t_test"):
        try:
            as_label_indices(named[name], num_classes)
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from None
    return x_train, t_train, x_test, t_test


def _check_settings(iters_num, batch_size, learning_rate, callback, blas_threads):
    """The three settings as int, int, float, once each is a number in its range."""
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be a function or None; got {callback!r}")
    if blas_threads is not None:
        require_number("blas_threads", blas_threads, 1, whole=True)
    # a negative rate climbs the loss instead of descending it; 0 is allowed: the loss of a
    # network that does not learn
    return (require_number("iters_num", iters_num, 1, whole=True),
            require_number("batch_size", batch_size, 1, whole=True),
            require_number("learning_rate", learning_rate, 0))


def _require_all_gradients(grads, params, shapes):
    # cheap: a few keys compared once an iteration, the shapes only when asked
    if type(grads) is not dict or grads.keys() != params.keys():
        require_same_keys(grads, params, "network.gradient() returned gradients that",
                          "network.params", "; this step updated no parameter")
    for key, param in params.items() if shapes else ():
        # a gradient of another shape would broadcast into the parameter without an error:
        # db = np.sum(dout) without axis=0, the classic slip, gives every bias one update
        if grads[key] is None:  # else "has shape ()", and the bias hint below
            raise TypeError(f"network.gradient()[{key!r}] is None, so this step updated no "
                            f"parameter: {NONE_GRADIENT}")
        if np.shape(grads[key]) != param.shape:
            hint = (" (a bias gradient sums dout over the batch axis only: "
                    "np.sum(dout, axis=0), lesson 5)" if np.ndim(grads[key]) == 0 else "")
            raise ValueError(f"network.gradient()[{key!r}] has shape {np.shape(grads[key])}, "
                             f"but network.params[{key!r}] has shape {param.shape}{hint}; "
                             "this step updated no parameter")


def _diverged_message(i, loss, learning_rate, x_train, batch):
    # the data is looked at only now: a pass over all of it up front would slow every run
    bad_rows = [row for row in batch if not np.isfinite(x_train[row]).all()]
    if bad_rows:
        what = (f"the loss of mini-batch {i} is {loss}: it holds x_train[{bad_rows[0]}], which "
                "has nan or inf in it; look for nan or inf in the data")
    elif i == 0:  # nothing has been updated yet: the cause is in what train was given
        what = (f"the loss of mini-batch {i} is {loss}: the network's scores overflowed at the "
                "very first mini-batch, before any update: look for nan or inf in the initial "
                "weights, or values far too large in the data")
    else:
        what = (f"the loss of mini-batch {i} is {loss}: the network's scores overflowed, the "
                "weights have grown too large (or become nan). Most often the learning rate "
                f"is too large (this run: {learning_rate:g}; the book uses 0.1)")
    return f"{what}. No parameter was updated with this mini-batch's gradients"


def _draw_progress(done, total, width=40):
    filled = width * done // total
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    sys.stderr.flush()
