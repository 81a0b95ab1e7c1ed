"""The training dashboard of lesson 6: choose the settings, train, watch, stop.

Use it through :mod:`bpcourse.widgets` (``widgets.training_dashboard(...)``); the look
inside a trained network is in :mod:`bpcourse.look_inside_widget`. Training runs in a
background thread (:class:`bpcourse.training_run.TrainingRun`), so the kernel stays free to
hear the Stop button; the thread updates the widgets itself, which ipywidgets allows for
values.
"""

import html
import threading
import weakref

import ipywidgets as widgets
import numpy as np

from bpcourse import explorers as E
from bpcourse.checks import require_number, require_samples, seeded_rng
from bpcourse.explorer_plots import png_bytes
from bpcourse.network import TwoLayerNet
from bpcourse.training import TrainingHistory
from bpcourse.training_plots import MistakesPlot, TrainingPlot
from bpcourse.training_run import EVAL_SIZE, TrainingRun
from bpcourse.widgets import DPI, SLIDER_LAYOUT, SLIDER_RANGE, WIDE, image_widget, readout_html

__all__ = ["TrainingDashboard", "training_dashboard"]

BATCH_SIZES = (10, 20, 50, 100, 200, 500)
# the sliders' (lowest, highest): one place for the sliders and the checks of their values
HIDDEN_SIZES = (10, 200)
LEARNING_RATES = (1e-3, 1.0)
ITERATIONS = (100, 20000)


def _num_classes(*targets):
    """C from targets: the width of one-hot rows, else the largest label + 1."""
    first = np.asarray(targets[0])
    if first.ndim == 2:
        return first.shape[1]
    return int(max(np.max(t) for t in targets)) + 1


class TrainingDashboard(widgets.VBox):
    """Lesson 6: choose the settings, train a TwoLayerNet and watch it learn; stop any time.

    Controls: ``hidden_size``, ``learning_rate``, ``batch_size``, ``iters`` and the
    ``train_button`` / ``stop_button``; ``progress`` (IntProgress) and ``status`` (HTML)
    report, ``plot`` (``plot.fig``, ``plot.ax_loss``, ``plot.ax_acc``) is shown in
    ``image``, and after training ``mistakes_plot`` in ``mistakes_image``.

    ``network`` is the network of the latest run (None before the first), trained in place:
    it keeps what it learned when stopped. ``history`` is that run's TrainingHistory and
    ``training`` its :class:`~bpcourse.training_run.TrainingRun`. ``start()``, ``stop()``
    and ``wait()`` do from code what the buttons do. Each run starts a fresh network from
    ``seed``, so the same settings give the same curves.
    """

    def __init__(self, x_train, t_train, x_test, t_test, *, hidden_size=50, learning_rate=0.1,
                 batch_size=100, iters_num=10000, eval_size=EVAL_SIZE, seed=0, dtype=None,
                 weight_init_std=0.01, progress_interval=0.25, plot_interval=0.5,
                 plot_budget=0.04):
        # lists as well as arrays, as train() takes them
        self.data = tuple(np.asarray(a) for a in (x_train, t_train, x_test, t_test))
        x_train = self.data[0]
        # stop() and the end of a run both write the status, from different threads
        self._status_lock = threading.Lock()
        # checked here: from the Train button, an error would reach only the kernel's log
        for name, array in zip(("x_train", "t_train", "x_test", "t_test"), self.data,
                               strict=True):
            require_samples(array, "the dashboard", name)
        seeded_rng("seed", seed)
        self.seed = seed
        self.eval_size = require_number("eval_size", eval_size, 1, whole=True)
        self.weight_init_std = require_number("weight_init_std", weight_init_std, 0)
        self.num_classes = _num_classes(self.data[1], self.data[3])
        if self.num_classes < 2:
            raise ValueError("the dashboard needs targets of at least 2 classes; the labels "
                             f"given make {self.num_classes}")
        if dtype is None:  # the data's own float type: float32 MNIST trains a float32 net
            dtype = x_train.dtype if np.issubdtype(x_train.dtype, np.floating) else np.float64
        self.dtype = np.dtype(dtype)
        # how often the thread may update the widgets: see TrainingRun
        self.reporting = {"progress_interval": progress_interval,
                          "plot_interval": plot_interval, "plot_budget": plot_budget}
        hidden_size = require_number("hidden_size", hidden_size, *HIDDEN_SIZES, whole=True,
                                     what=SLIDER_RANGE)
        learning_rate = require_number("learning_rate", learning_rate, *LEARNING_RATES,
                                       what=SLIDER_RANGE)
        batch_size = require_number("batch_size", batch_size, 1, whole=True)
        iters_num = require_number("iters_num", iters_num, *ITERATIONS, whole=True,
                                   what=SLIDER_RANGE)
        self.hidden_size = widgets.IntSlider(
            value=hidden_size, min=HIDDEN_SIZES[0], max=HIDDEN_SIZES[1], step=10,
            description="hidden size", style=WIDE, layout=SLIDER_LAYOUT)
        self.learning_rate = widgets.FloatLogSlider(
            value=learning_rate, base=10, min=np.log10(LEARNING_RATES[0]),
            max=np.log10(LEARNING_RATES[1]), step=0.1, description="learning rate",
            readout_format=".3g", style=WIDE, layout=SLIDER_LAYOUT)
        self.batch_size = widgets.Dropdown(options=sorted({*BATCH_SIZES, batch_size}),
                                           value=batch_size, description="batch size",
                                           style=WIDE, layout={"width": "16em"})
        self.iters = widgets.IntSlider(value=iters_num, min=ITERATIONS[0], max=ITERATIONS[1],
                                       step=100, description="iterations", style=WIDE,
                                       readout_format=",d", layout=SLIDER_LAYOUT)
        self.train_button = widgets.Button(description="Train", icon="play",
                                           button_style="success")
        self.stop_button = widgets.Button(description="Stop", icon="stop",
                                          button_style="danger", disabled=True)
        self.progress = widgets.IntProgress(value=0, min=0, max=iters_num,
                                            description="iteration", style=WIDE)
        # two lines high from the start, so the plots below do not jump as the text grows
        self.status = widgets.HTML(layout={"min_height": "2.8em"})
        self._set_status("Choose the settings and press <b>Train</b>.")
        self.note = widgets.HTML()
        self.plot, self.image = TrainingPlot(), image_widget()
        shape = E.image_shape(E.image_pixels(x_test))
        self.mistakes_plot, self.mistakes_image = MistakesPlot(shape=shape), image_widget()
        self.network = self.history = self.training = None
        self._stopped_by = None  # why the last run was stopped, if not by its own Stop button
        self.train_button.on_click(lambda _: self._press_train())
        self.stop_button.on_click(lambda _: self.stop())
        self._controls = [self.hidden_size, self.learning_rate, self.batch_size, self.iters]
        super().__init__([
            widgets.HBox([widgets.VBox([self.hidden_size, self.learning_rate]),
                          widgets.VBox([self.batch_size, self.iters])]),
            widgets.HBox([self.train_button, self.stop_button, self.progress]),
            self.status, self.image, self.note, self.mistakes_image,
        ])
        self._show_settings()
        self.mistakes_image.value = png_bytes(self.mistakes_plot.fig, DPI)
        # until the first run, the empty axes and the note follow the settings; after it,
        # they describe the run on show until Train is pressed again
        self.iters.observe(self._show_settings, "value")
        self.batch_size.observe(self._show_settings, "value")

    def __repr__(self):
        return "TrainingDashboard()"

    def _show_settings(self, _change=None):
        if self.training is not None:
            return
        self._describe_evaluation(self.batch_size.value)
        self.plot.update(TrainingHistory(), self.iters.value)  # x axes 0..iters, not ±0.04
        self.image.value = png_bytes(self.plot.fig, DPI)

    def _describe_evaluation(self, batch_size):
        x_train, x_test = self.data[0], self.data[2]
        n = len(x_train)
        subset = (f"a fixed subset of {self.eval_size:,} of the {n:,} training images (all of "
                  f"them would cost a few hundred training steps every epoch)"
                  if n > self.eval_size else f"all {n:,} training images")
        epoch = max(n // batch_size, 1)
        every = "every iteration" if epoch == 1 else f"every {epoch:,} iterations"
        self.note.value = readout_html(
            f"<small>Accuracy is measured once an epoch, {every} ({n:,} images ÷ batch size "
            f"{batch_size}), on {subset} and on all {len(x_test):,} test images.</small>")

    @property
    def running(self):
        return self.training is not None and self.training.running

    _latest = None  # a weak reference to the dashboard whose run started last

    def start(self):
        """Train a fresh TwoLayerNet with the current settings in a background thread.

        Another dashboard's run that is still going is stopped first: run again, the cell
        that made it leaves that dashboard out of reach, Stop button and all, and two runs
        would share the cores and both report slow times.
        """
        if self.running:
            return self.training
        previous = TrainingDashboard._latest and TrainingDashboard._latest()
        if previous is not None and previous is not self and previous.running:
            previous._stopped_by = "another dashboard started training"
            previous.stop()
            previous.wait()
        TrainingDashboard._latest = weakref.ref(self)
        self._stopped_by = None
        x_train, t_train, x_test, t_test = self.data
        self.network = TwoLayerNet(E.image_pixels(x_train), self.hidden_size.value,
                                   self.num_classes, self.weight_init_std,
                                   rng=self.seed, dtype=self.dtype)
        self.history = None
        self.training = TrainingRun(
            self.network, *self.data, eval_size=self.eval_size, seed=self.seed,
            iters_num=self.iters.value, batch_size=self.batch_size.value,
            learning_rate=self.learning_rate.value, on_progress=self._on_progress,
            on_plot=self._on_plot, on_done=self._on_done, **self.reporting)
        self.progress.max, self.progress.value, self.progress.bar_style = self.iters.value, 0, ""
        # draw the empty axes of this run now, so every frame during training is a cheap blit
        self.plot.update(TrainingHistory(), self.iters.value, self.training.eval_size)
        self.image.value = self.plot.render_png(DPI)
        self._set_status("Training…")
        self._describe_evaluation(self.batch_size.value)
        self._set_running(True)
        return self.training.start()

    def _set_status(self, text):
        # every status through here: the readout's line height, whatever the text
        self.status.value = readout_html(text)

    def _press_train(self):
        try:
            self.start()
        except Exception as exc:  # a click's error would reach only the kernel's log
            self._show_failure(exc)

    def _show_failure(self, exc):
        with self._status_lock:
            # "ValueError: t_test ...", as Python prints an error, not repr's ValueError('...')
            self._set_status(f"<span style='color:#B00000'>Training failed: "
                             f"{html.escape(f'{type(exc).__name__}: {exc}')}</span>")
        self.progress.bar_style = "danger"

    def stop(self):
        """Stop after the current iteration; the network keeps what it has learned."""
        with self._status_lock:  # a run that has already ended keeps its final status
            if self.running and not self.training.done:
                self._set_status("Stopping…")
                self.training.stop()

    def wait(self, timeout=None):
        """Block until the current run has ended (and the widgets show its end); True if so."""
        return True if self.training is None else self.training.join(timeout)

    def _set_running(self, running):
        for control in [*self._controls, self.train_button]:
            control.disabled = running
        self.stop_button.disabled = not running

    def _on_progress(self, run):
        self.progress.value = run.iteration + 1
        h = run.history
        text = f"iteration {run.iteration + 1:,} of {run.iters_num:,} · loss {h.loss[-1]:.3f}"
        if h.test_acc:
            subset = f" (on {run.eval_size:,} images)" if run.eval_size else ""
            # "shown": a measurement reaches the history when the next one starts (train)
            text += (f" · train accuracy {h.train_acc[-1]:.3f}{subset}, test accuracy "
                     f"{h.test_acc[-1]:.3f} (at iteration {h.measured_at[-1]:,}, shown one "
                     "epoch late)")
        self._set_status(text)

    def _on_plot(self, run):
        self.plot.update(run.history, run.iters_num, run.eval_size)
        self.image.value = self.plot.render_png(DPI)

    def _on_done(self, run):
        try:
            if run.error is not None:
                raise run.error
            self.history = run.history
            # the bar only: the status gets the final words below, and a measurement the
            # progress line would call an epoch late may be only a few iterations old
            self.progress.value = run.iteration + 1
            x_test, t_test = self.data[2:]
            self.mistakes_plot.show_mistakes(self.network, x_test, t_test)
            self.mistakes_image.value = png_bytes(self.mistakes_plot.fig, DPI)
            accuracy = 1 - self.mistakes_plot.n_wrong / len(x_test)
            self.plot.update(run.history, run.iters_num, run.eval_size, final_test=accuracy)
            self.image.value = self.plot.render_png(DPI)
            # a count, and the plot's iteration numbers, which start at 0
            count = run.iteration + 1
            done = (f"{count:,} iterations, 0 to {run.iteration:,}" if count > 1
                    else "1 iteration, number 0") + f", in {run.history.seconds:.1f} s"
            why = f" ({self._stopped_by})" if self._stopped_by else ""
            how = (f"Stopped{why} after {done}; the network keeps what it learned"
                   if run.history.stopped else f"Done: {done}")
            with self._status_lock:
                self._set_status(
                    f"{how}. Test accuracy on all {len(x_test):,} test images: "
                    f"<b>{accuracy:.4f}</b>.")
            self.progress.bar_style = "warning" if run.history.stopped else "success"
        except Exception as exc:  # a thread's traceback would be lost: show it instead
            self._show_failure(exc)
        finally:
            self._set_running(False)


def training_dashboard(x_train, t_train, x_test, t_test, **settings):
    """The training dashboard of lesson 6 (notebook 06_two_layer_net).

    x_train (N, 784) and t_train (N,) labels or (N, 10) one-hot, likewise the test data.
    ``settings``: the starting hidden_size (50; 10 to 200), learning_rate (0.1; 0.001 to 1),
    batch_size (100), iters_num (10000, the book's; 100 to 20000), and eval_size, seed,
    dtype, weight_init_std; see TrainingDashboard.
    """
    return TrainingDashboard(x_train, t_train, x_test, t_test, **settings)
