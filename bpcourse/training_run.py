"""Training in the background, for the lesson-6 training dashboard: :class:`TrainingRun`.

A notebook handles a widget's click only while the kernel is free. If the dashboard
trained in the cell's own thread, its Stop button could not be heard until training had
ended. So :class:`TrainingRun` calls :func:`bpcourse.train` in a thread of its own, stops
it through a ``threading.Event`` that ``train``'s callback checks after every iteration,
and reports progress through callbacks the dashboard turns into widget updates.

Reports are throttled so they cost little: ``on_progress`` at most every
``progress_interval`` seconds, ``on_plot`` at most every ``plot_interval`` seconds, and
a redraw that took ``cost`` seconds makes the next one wait ``cost / plot_budget``, but
never more than ``plot_max_wait`` seconds. So drawing takes about ``plot_budget`` of the
time while redraws are quick, and ``cost / (cost + plot_max_wait)`` if every one were
slow. (The dashboard redraws only its curves, a tenth of the cost of a full frame, except
when its axes or legends change, a few times a run; without the cap, one full frame made
the plot wait five seconds, most of a run.)
No matplotlib or ipywidgets here: the logic is tested without a notebook.
"""

import threading
import time

import numpy as np

from bpcourse.training import train

__all__ = ["EVAL_SIZE", "evaluation_subset", "TrainingRun"]

#: How many training images the dashboard measures accuracy on, every epoch.
EVAL_SIZE = 10000


def evaluation_subset(n, size=EVAL_SIZE, seed=0):
    """Sorted indices of a fixed random subset of ``size`` of range(n), or None if n <= size.

    Measuring accuracy on all 60000 MNIST training images every epoch costs as much as a
    few hundred training steps; 10000 of them estimate it to within about ±0.5%.
    """
    if n <= size:
        return None
    return np.sort(np.random.default_rng(seed).choice(n, size=size, replace=False))


class TrainingRun:
    """One run of ``train(network, ...)``, in the background or not; stoppable.

    x_train (N, D), t_train (N,) or (N, C); likewise the test data. ``train_kwargs`` go to
    :func:`bpcourse.train` (iters_num, batch_size, learning_rate, seed). Train accuracy is
    measured on ``eval_size`` fixed training images (see :func:`evaluation_subset`), test
    accuracy on all test images.

    Callbacks, all called from the training thread with this run: ``on_progress(run)``,
    ``on_plot(run)`` (throttled as the module says) and ``on_done(run)`` once at the end,
    also after an error or a stop. While running, ``iteration`` is the last finished
    iteration and ``history`` the live :class:`bpcourse.TrainingHistory`.
    """

    def __init__(self, network, x_train, t_train, x_test, t_test, *, eval_size=EVAL_SIZE,
                 on_progress=None, on_plot=None, on_done=None, progress_interval=0.25,
                 plot_interval=0.5, plot_budget=0.04, plot_max_wait=1.0, **train_kwargs):
        self.network = network
        self.data = (x_train, t_train, x_test, t_test)
        # train() picks the other defaults; the progress bar needs to know iters_num
        self.train_kwargs = {"iters_num": 10000, **train_kwargs}
        self.eval_indices = evaluation_subset(len(x_train), eval_size)
        # the number of training images accuracy is measured on, or None for all of them
        self.eval_size = None if self.eval_indices is None else eval_size
        self.on_progress, self.on_plot, self.on_done = on_progress, on_plot, on_done
        self.progress_interval, self.plot_interval = progress_interval, plot_interval
        self.plot_budget, self.plot_max_wait = plot_budget, plot_max_wait
        self.history = None
        self.iteration = -1
        self.error = None
        self.done = False  # True once train has returned: finished, stopped or failed
        self.thread = None
        self.plot_seconds = 0.0  # time spent in on_plot, for the benchmark
        self.cpu_seconds = None
        self._stop = threading.Event()
        self._next_progress = self._next_plot = 0.0

    @property
    def iters_num(self):
        return self.train_kwargs["iters_num"]

    @property
    def running(self):
        return self.thread is not None and self.thread.is_alive()

    def start(self):
        """Run in a daemon thread, so a kernel restart does not wait for training; returns self.

        (It may wait for ``train``'s accuracy thread to finish a measurement, a fraction of
        a second.)
        """
        if self.thread is not None:
            raise RuntimeError("a TrainingRun runs once; make a new one to train again")
        self.thread = threading.Thread(target=self.run, name="bpcourse-training", daemon=True)
        self.thread.start()
        return self

    def stop(self):
        """Ask training to stop after the current iteration; the network keeps its weights."""
        self._stop.set()

    def join(self, timeout=None):
        """Wait for the thread; True if it has ended."""
        if self.thread is not None:
            self.thread.join(timeout)
        return not self.running

    def run(self):
        """Train in the calling thread; returns the TrainingHistory (None after an error)."""
        cpu = time.process_time()
        try:
            self.history = train(self.network, *self.data, verbose=False,
                                 eval_indices=self.eval_indices, callback=self._callback,
                                 **self.train_kwargs)
            # CPU time of the whole process (every thread) while train() ran: unlike wall
            # time, other programs on the machine hardly change it (for the benchmark)
            self.cpu_seconds = time.process_time() - cpu
        except Exception as exc:  # shown by the dashboard: a thread's traceback goes nowhere
            self.error = exc
        finally:
            self.done = True
            if self.on_done is not None:
                self.on_done(self)
        return self.history

    def _callback(self, i, history):
        self.history, self.iteration = history, i
        now = time.perf_counter()
        if self.on_progress is not None and now >= self._next_progress:
            self.on_progress(self)
            self._next_progress = now + self.progress_interval
        if self.on_plot is not None and now >= self._next_plot:
            start = time.perf_counter()
            self.on_plot(self)
            cost = time.perf_counter() - start
            self.plot_seconds += cost
            # a redraw that took `cost` seconds waits cost / budget before the next one, so
            # drawing takes about plot_budget of the training time; up to plot_max_wait, so
            # a rare full frame does not freeze the plot (if every redraw were that slow,
            # they would take cost / (cost + max_wait) of the time)
            wait = min(cost / self.plot_budget, self.plot_max_wait)
            self._next_plot = start + max(self.plot_interval, wait)
        return self._stop.is_set()
