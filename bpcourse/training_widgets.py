"""The lesson-6 widgets: a training dashboard, and a look inside a trained network.

Use them through :mod:`bpcourse.widgets` (``widgets.training_dashboard(...)``,
``widgets.look_inside(...)``). Training runs in a background thread
(:class:`bpcourse.training_run.TrainingRun`), so the kernel stays free to hear the Stop
button; the thread updates the widgets itself, which ipywidgets allows for values.
"""

import html
import threading

import ipywidgets as widgets
import numpy as np

from bpcourse import explorers as E
from bpcourse.checks import require_number
from bpcourse.explorer_plots import png_bytes
from bpcourse.network import TwoLayerNet
from bpcourse.training import TrainingHistory
from bpcourse.training_plots import LookInsidePlot, MistakesPlot, TrainingPlot
from bpcourse.training_run import EVAL_SIZE, TrainingRun
from bpcourse.widgets import DPI, SLIDER_LAYOUT, SLIDER_RANGE, WIDE, Explorer, image_widget

__all__ = ["TrainingDashboard", "LookInside", "training_dashboard", "look_inside"]

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


def _pixels(x):
    return int(np.prod(np.shape(x)[1:]))


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
        self.seed, self.weight_init_std, self.eval_size = seed, weight_init_std, eval_size
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
                                       layout=SLIDER_LAYOUT)
        self.train_button = widgets.Button(description="Train", icon="play",
                                           button_style="success")
        self.stop_button = widgets.Button(description="Stop", icon="stop",
                                          button_style="danger", disabled=True)
        self.progress = widgets.IntProgress(value=0, min=0, max=iters_num,
                                            description="iteration", style=WIDE)
        self.status = widgets.HTML("Choose the settings and press <b>Train</b>.")
        self.note = widgets.HTML()
        self._describe_evaluation(batch_size)
        self.plot, self.image = TrainingPlot(), image_widget()
        shape = E.image_shape(_pixels(x_test))
        self.mistakes_plot, self.mistakes_image = MistakesPlot(shape=shape), image_widget()
        self.network = self.history = self.training = None
        self.train_button.on_click(lambda _: self.start())
        self.stop_button.on_click(lambda _: self.stop())
        self._controls = [self.hidden_size, self.learning_rate, self.batch_size, self.iters]
        super().__init__([
            widgets.HBox([widgets.VBox([self.hidden_size, self.learning_rate]),
                          widgets.VBox([self.batch_size, self.iters])]),
            widgets.HBox([self.train_button, self.stop_button, self.progress]),
            self.status, self.image, self.note, self.mistakes_image,
        ])
        self.plot.update(TrainingHistory(), iters_num)  # x axes 0..iters_num, not -0.04..0.04
        self.image.value = png_bytes(self.plot.fig, DPI)
        self.mistakes_image.value = png_bytes(self.mistakes_plot.fig, DPI)

    def __repr__(self):
        return "TrainingDashboard()"

    def _describe_evaluation(self, batch_size):
        x_train, x_test = self.data[0], self.data[2]
        n = len(x_train)
        subset = (f"a fixed subset of {self.eval_size:,} of the {n:,} training images (all of "
                  f"them would cost a few hundred training steps every epoch)"
                  if n > self.eval_size else f"all {n:,} training images")
        self.note.value = (
            f"<small>Accuracy is measured once an epoch, every {max(n // batch_size, 1)} "
            f"iterations ({n:,} images ÷ batch size {batch_size}), on {subset} and on all "
            f"{len(x_test):,} test images.</small>")

    @property
    def running(self):
        return self.training is not None and self.training.running

    def start(self):
        """Train a fresh TwoLayerNet with the current settings in a background thread."""
        if self.running:
            return self.training
        x_train, t_train, x_test, t_test = self.data
        self.network = TwoLayerNet(_pixels(x_train), self.hidden_size.value,
                                   _num_classes(t_train, t_test), self.weight_init_std,
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
        self.status.value = "Training…"
        self._describe_evaluation(self.batch_size.value)
        self._set_running(True)
        return self.training.start()

    def stop(self):
        """Stop after the current iteration; the network keeps what it has learned."""
        with self._status_lock:  # a run that has already ended keeps its final status
            if self.running and not self.training.done:
                self.status.value = "Stopping…"
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
        text = f"iteration {run.iteration + 1} of {run.iters_num} · loss {h.loss[-1]:.3f}"
        if h.test_acc:
            subset = f" (on {run.eval_size:,} images)" if run.eval_size else ""
            text += (f" · train accuracy {h.train_acc[-1]:.3f}{subset}, test accuracy "
                     f"{h.test_acc[-1]:.3f} (at iteration {h.measured_at[-1]})")
        self.status.value = text

    def _on_plot(self, run):
        self.plot.update(run.history, run.iters_num, run.eval_size)
        self.image.value = self.plot.render_png(DPI)

    def _on_done(self, run):
        try:
            if run.error is not None:
                raise run.error
            self.history = run.history
            self._on_progress(run)
            x_test, t_test = self.data[2:]
            self.mistakes_plot.show_mistakes(self.network, x_test, t_test)
            self.mistakes_image.value = png_bytes(self.mistakes_plot.fig, DPI)
            accuracy = 1 - self.mistakes_plot.n_wrong / len(x_test)
            self.plot.update(run.history, run.iters_num, run.eval_size, final_test=accuracy)
            self.image.value = self.plot.render_png(DPI)
            how = (f"Stopped after {run.iteration + 1} iterations; the network keeps what it "
                   f"learned" if run.history.stopped
                   else f"Done: {run.iteration + 1} iterations")
            with self._status_lock:
                self.status.value = (f"{how} ({run.history.seconds:.1f} s). Test accuracy on "
                                     f"all {len(x_test):,} test images: <b>{accuracy:.4f}</b>.")
            self.progress.bar_style = "warning" if run.history.stopped else "success"
        except Exception as exc:  # a thread's traceback would be lost: show it instead
            with self._status_lock:
                self.status.value = (f"<span style='color:#B00000'>Training failed: "
                                     f"{html.escape(repr(exc))}</span>")
            self.progress.bar_style = "danger"
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


class LookInside(Explorer):
    """Lesson 6: a test digit, the network's probabilities, and dL/dx for its pixels.

    Controls: ``index`` (slider over the test set) and ``next_mistake`` (a Button that
    jumps to the next digit the network gets wrong). ``view`` is the
    :class:`bpcourse.explorers.DigitView` on show; ``plot.ax_image``, ``plot.ax_probs``,
    ``plot.ax_grad`` its panels. The passes go through :func:`explorers.private_view` of
    ``network``: the same weights, so a network still training is seen as it learns.
    """

    def __init__(self, network, x, t, index=0):
        if network is None:
            raise ValueError("look_inside needs a trained network; a dashboard's .network is "
                             "None until its Train button has been pressed")
        self.network, self.data = network, (np.asarray(x), np.asarray(t))
        x = self.data[0]
        self.view_network = E.private_view(network)
        self.backward_path = _backward_path(self.view_network)
        self.view = None
        n = len(x)  # a negative index counts from the end, as in x[index]
        index = require_number("index", index, -n, n - 1, whole=True,
                             what=f"there are {n} digits to look at") % n
        self.index = widgets.IntSlider(value=index, min=0, max=n - 1,
                                       description="test digit", style=WIDE,
                                       layout={"width": "36em"})
        self.next_mistake = widgets.Button(description="next mistake", icon="forward")
        self.next_mistake.on_click(lambda _: self.show_next_mistake())
        self.plot = LookInsidePlot(E.image_shape(_pixels(x)), network.output_size)
        self._finish(widgets.HBox([self.index, self.next_mistake]), [self.index])

    def update(self):
        v = self.view = E.look_inside_values(self.view_network, *self.data, self.index.value)
        self.plot.update(v)
        verdict = "right" if v.predicted == v.label else "<b>wrong</b>"
        self.readout.value = (
            f"Test digit #{v.index}, label {v.label}: the network says <b>{v.predicted}</b> "
            f"with probability {v.probs[v.predicted]:.3f} ({verdict}); its loss is "
            f"{v.loss:.3f}.<br>Right: ∂L/∂x, backpropagated through {self.backward_path} "
            f"down to the pixels (<code>network.input_gradient</code>). "
            f"More ink on a red pixel would raise the loss (less sure of {v.label}), on a "
            f"blue one lower it.")
        self._show()

    def show_next_mistake(self):
        """Move ``index`` to the next test digit the network gets wrong (wrapping round)."""
        wrong = E.mistakes(self.view_network, *self.data)[0]
        if len(wrong) == 0:
            self.readout.value = "The network gets every one of these digits right."
            return
        later = wrong[wrong > self.index.value]
        self.index.value = int(later[0] if len(later) else wrong[0])


def _backward_path(network):
    """The layers dL/dx comes back through, as the readout names them.

    "SoftmaxWithLoss, Affine2, Relu1 and Affine1" for TwoLayerNet; a network given more layers
    (lesson 6) gets its own list.
    """
    names = [type(network.last_layer).__name__, *reversed(getattr(network, "layers", {}))]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def look_inside(network, x_test, t_test, index=0):
    """The look-inside widget of lesson 6 (notebook 06_two_layer_net).

    network: a trained TwoLayerNet (e.g. ``dashboard.network`` or one trained in the
    notebook). x_test (N, 784), t_test (N,) labels or (N, 10) one-hot. index: the digit
    shown first, from 0 to N - 1, or from the end if negative (-1 is the last).
    """
    return LookInside(network, x_test, t_test, index)
