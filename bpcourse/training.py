"""The training loop of lesson 6: minibatch SGD on a network with ``gradient``."""

import copy
import sys
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

__all__ = ["train", "TrainingHistory"]


@dataclass
class TrainingHistory:
    """What ``train`` recorded.

    loss: the minibatch loss of every iteration. epochs: the iteration numbers at which the
    accuracies were measured; train_acc and test_acc: those accuracies (fractions).
    seconds: wall time of the whole run. stopped: True if a callback ended it early.
    """

    loss: list = field(default_factory=list)
    epochs: list = field(default_factory=list)
    train_acc: list = field(default_factory=list)
    test_acc: list = field(default_factory=list)
    seconds: float = 0.0
    stopped: bool = False


def train(network, x_train, t_train, x_test, t_test, *, iters_num=10000, batch_size=100,
          learning_rate=0.1, seed=0, verbose=True, progress=False, callback=None):
    """Train ``network`` in place with minibatch SGD, as in the last cell of chapter 5.

    network: built like TwoLayerNet, with ``params``, ``gradient(x, t)``, ``accuracy(x, t)``
    and a ``last_layer`` whose ``loss`` holds the loss of the last ``gradient`` call.
    x_train (N, D), t_train (N,) labels or (N, C) one-hot; likewise x_test, t_test.
    Every epoch (N / batch_size iterations, from the very first update on) and after the
    last iteration it measures the accuracy on all of the training and test data, and
    prints it if ``verbose``.
    ``progress=True`` draws a text progress bar on stderr. ``callback(i, history)`` is
    called after every iteration; returning True stops training (the network keeps what it
    has learned). Returns a TrainingHistory.

    Three choices make it fast without changing the maths: all minibatch indices are drawn
    up front (one call to the generator instead of 10000); the loss recorded is the one the
    gradient's own forward pass computed, instead of a second forward pass; and the
    accuracies are measured on a copy of the network in a second thread, on the computer's
    other core, while training goes on (see AccuracyMeter).
    """
    if len(x_train) != len(t_train) or len(x_test) != len(t_test):
        raise ValueError(
            f"inputs and targets differ in length: x_train {len(x_train)}, t_train "
            f"{len(t_train)}, x_test {len(x_test)}, t_test {len(t_test)}"
        )
    rng = np.random.default_rng(seed)
    train_size = len(x_train)
    iter_per_epoch = max(train_size // batch_size, 1)
    batches = rng.integers(0, train_size, size=(iters_num, batch_size))
    progress_every = max(iters_num // 50, 1)  # 50 redraws, not one per iteration
    history = TrainingHistory()
    start = time.perf_counter()
    with AccuracyMeter(x_train, t_train, x_test, t_test, history, verbose) as meter:
        for i, batch in enumerate(batches):
            grads = network.gradient(x_train[batch], t_train[batch])
            for key, param in network.params.items():
                param -= learning_rate * grads[key]
            history.loss.append(float(network.last_layer.loss))

            if i % iter_per_epoch == 0 or i == iters_num - 1:
                meter.measure(i, network)  # in the background; recorded when done
            meter.record_finished()
            if progress and (i + 1) % progress_every == 0:
                _draw_progress(i + 1, iters_num)
            if callback is not None and callback(i, history):
                history.stopped = True
                break
        meter.record_finished(wait=True)
    history.seconds = time.perf_counter() - start
    if progress:
        sys.stderr.write("\n")
    return history


class AccuracyMeter:
    """Measures a network's training and test accuracy in a second thread, for ``train``.

    Measuring all 60000 + 10000 MNIST images costs as much as a few hundred training steps,
    and training would wait for it 17 times. But a measurement only needs the weights of
    that moment: ``measure`` hands a copy of the network to a worker thread and returns at
    once. NumPy releases Python's global lock inside its matrix products, so on a machine
    with two cores both threads compute at the same time. The results are the numbers
    measuring in the loop would give; ``record_finished`` appends them to the history in
    order (and prints them if ``verbose``), a moment after their iteration.
    """

    def __init__(self, x_train, t_train, x_test, t_test, history, verbose=False):
        self.data = (x_train, t_train, x_test, t_test)
        self.history = history
        self.verbose = verbose
        self._pending = deque()  # (iteration, future), oldest first
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bpcourse-accuracy")

    def measure(self, iteration, network):
        """Start measuring ``network`` as it is now (a deep copy) in the worker thread."""
        snapshot = copy.deepcopy(network)
        self._pending.append((iteration, self._worker.submit(self._accuracies, snapshot)))

    def _accuracies(self, network):
        x_train, t_train, x_test, t_test = self.data
        return network.accuracy(x_train, t_train), network.accuracy(x_test, t_test)

    def record_finished(self, wait=False):
        """Record the measurements that are done, in order; ``wait=True`` waits for all."""
        while self._pending and (wait or self._pending[0][1].done()):
            iteration, future = self._pending.popleft()
            train_acc, test_acc = future.result()  # re-raises an error from the worker
            self.history.epochs.append(iteration)
            self.history.train_acc.append(train_acc)
            self.history.test_acc.append(test_acc)
            if self.verbose:
                print(f"iteration {iteration:5d} | train acc {train_acc:.4f}"
                      f" | test acc {test_acc:.4f}")

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        # after an error or an interrupt, drop what has not started and wait for the rest,
        # so no thread outlives train()
        self._worker.shutdown(wait=True, cancel_futures=True)


def _draw_progress(done, total, width=40):
    filled = width * done // total
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    sys.stderr.flush()
