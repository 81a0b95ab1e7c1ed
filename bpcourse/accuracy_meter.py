"""Accuracy measured in a second thread while ``train`` goes on (lesson 6)."""

import copy
from concurrent.futures import Future, ThreadPoolExecutor

from .network import ScoresNotFinite

__all__ = ["AccuracyMeter"]


class AccuracyMeter:
    """Measures a network's training and test accuracy in a second thread, for ``train``.

    Measuring all 60000 + 10000 MNIST images costs as much as a few hundred training steps,
    and a run does it 18 times. But a measurement only needs the weights of one moment:
    ``measure`` hands a deep copy of the network to a worker thread and returns. NumPy
    releases Python's global lock during matrix products, the bulk of a measurement, so on
    two cores both threads mostly run at once (the Python steps between products take
    turns). The copy holds the same weights bit for bit, so the results are exactly those a
    measurement in the loop would give.

    Each result is recorded in ``history`` (and printed if ``verbose``) when the next
    measurement starts, or by ``finish``: always one measurement late, however the threads
    happen to be scheduled, so a callback that reads the history sees the same thing on
    every run. A network that ``copy.deepcopy`` cannot copy is measured in the loop.
    """

    def __init__(self, x_train, t_train, x_test, t_test, history, verbose=False,
                 eval_indices=None):
        self.data = (x_train, t_train, x_test, t_test)
        self.eval_indices = eval_indices  # which rows of train's x_train x_train is (None: all)
        self.history = history
        self.verbose = verbose
        self._pending = None  # (iteration, future) of the measurement under way
        self._copyable = True  # False once deepcopy has refused this network
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bpcourse-accuracy")

    def measure(self, iteration, network):
        """Record the previous measurement, then start measuring ``network`` as it is now."""
        self.finish()
        try:
            snapshot = copy.deepcopy(network) if self._copyable else None
        except (TypeError, copy.Error):  # it holds a lock, say: measure it here and now
            # (only what deepcopy raises for an object it cannot copy: a bug elsewhere in a
            # network's copying must surface, not turn into a quietly slower run)
            self._copyable = False  # and do not try again every epoch
            snapshot = None
        if snapshot is None:
            done = Future()
            done.set_result(self._accuracies(network))
            self._pending = (iteration, done)
        else:
            self._pending = (iteration, self._worker.submit(self._accuracies, snapshot))

    def _accuracies(self, network):
        x_train, t_train, x_test, t_test = self.data
        try:
            train_acc = network.accuracy(x_train, t_train)
        except ScoresNotFinite as error:  # its x[row] is a row of the measured subset
            rows = self.eval_indices
            raise error.naming(f"x_train[{error.row if rows is None else rows[error.row]}]"
                               ) from None
        try:
            return train_acc, network.accuracy(x_test, t_test)
        except ScoresNotFinite as error:
            raise error.naming(f"x_test[{error.row}]") from None

    def finish(self):
        """Record the measurement under way, if any, waiting for it to end."""
        if self._pending is None:
            return
        (iteration, future), self._pending = self._pending, None
        train_acc, test_acc = future.result()  # re-raises an error from the worker
        self.history.measured_at.append(iteration)
        self.history.train_acc.append(train_acc)
        self.history.test_acc.append(test_acc)
        if self.verbose:
            print(f"iteration {iteration:5d} | train acc {train_acc:.4f}"
                  f" | test acc {test_acc:.4f}")

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        # after an error or an interrupt too: wait for the worker, so no thread outlives
        # train() (a measurement takes a fraction of a second)
        self._worker.shutdown(wait=True, cancel_futures=True)
