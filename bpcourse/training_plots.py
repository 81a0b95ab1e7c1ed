"""Figures for lesson 6: training curves, digits the network gets wrong, and a look inside.

Built once and updated in place, like :mod:`bpcourse.explorer_plots` (whose
:class:`~bpcourse.explorer_plots.StaticFigure` they use, so each shows itself in a
notebook). The ``*_figure`` functions are the static fallbacks notebook 6 shows next to
the training dashboard and the look-inside widget.
"""

import numpy as np
from matplotlib.ticker import MaxNLocator, StrMethodFormatter

from bpcourse import explorers as E
from bpcourse.drawing import INK
from bpcourse.explorer_plots import StaticFigure, agg_canvas, encode_png
from bpcourse.formatting import format_value

__all__ = ["TrainingPlot", "accuracy_floor", "MistakesPlot", "LookInsidePlot",
           "training_figure", "mistakes_figure", "look_inside_figure"]

LOSS_COLOR, TRAIN_COLOR, TEST_COLOR = "#0072B2", "#E69F00", "#009E73"  # Okabe-Ito
WRONG_COLOR = "#D55E00"  # Okabe-Ito vermillion: a wrong prediction's bar
LEGEND_LOCS = ("upper right", "lower right")  # loss, accuracy: where a learning run's are not
GRADIENT_CMAP = "RdBu_r"  # diverging: red = positive, blue = negative, white = 0
SMOOTHING = 50  # iterations averaged in the smooth loss curve
MAX_POINTS = 2000  # most points a loss curve is drawn with


def _running_mean(values, window):
    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        return values
    sums = np.cumsum(np.insert(values, 0, 0.0))
    starts = np.maximum(np.arange(1, len(values) + 1) - window, 0)
    return (sums[1:] - sums[starts]) / (np.arange(1, len(values) + 1) - starts)


def accuracy_floor(history, step=0.1, margin=0.02):
    """Lower end of the accuracy axis for a TrainingHistory: 0 until two measurements follow
    the first, then the largest multiple of ``step`` at or below (the lowest of them - margin).

    The first measurement is near chance (about 0.16 with the book's settings): on a 0-to-1
    axis it squashes the later points into a band where the point or two between training
    and test accuracy cannot be seen. One later point makes no band: then the climb from
    chance is what to see. A later measurement below step + margin keeps the whole axis.
    """
    if len(history.train_acc) < 3:
        return 0.0
    later = [*history.train_acc[1:], *history.test_acc[1:]]
    return max(0.0, np.floor((min(later) - margin) / step) * step)


class TrainingPlot:
    """Left: the loss of every minibatch and its running mean. Right: train/test accuracy.

    ``update(history, iters_num, eval_size)`` sets the curves from a (live)
    TrainingHistory; the x axes span the whole run, so the curves grow to the right.
    ``render_png(dpi)`` is the fast way to show it while training: the axes, ticks and
    legends are drawn once and kept as a bitmap, and each later frame redraws only the
    curves on top (blitting), about a tenth of the cost of drawing everything.
    """

    def __init__(self):
        self.fig = StaticFigure(figsize=(10, 3.6), layout="constrained")
        self.ax_loss, self.ax_acc = self.fig.subplots(1, 2)
        (self.loss_line,) = self.ax_loss.plot([], [], color=LOSS_COLOR, lw=0.8, alpha=0.4,
                                              label="mini-batch loss")
        (self.smooth_line,) = self.ax_loss.plot([], [], color=LOSS_COLOR, lw=2,
                                                label=f"mean of last {SMOOTHING}")
        # not clipped: the last measurement sits on the right edge, and a clipped marker
        # there would be cut in half (update draws no point outside the axes; and the layout
        # ignores the lines, or a last run's longer curve would squeeze the axes to nothing)
        (self.train_line,) = self.ax_acc.plot([], [], "o-", color=TRAIN_COLOR, ms=4,
                                              label="train", clip_on=False)
        (self.test_line,) = self.ax_acc.plot([], [], "s-", color=TEST_COLOR, ms=4,
                                             label="test", clip_on=False)
        for line in (self.train_line, self.test_line):
            line.set_in_layout(False)
        # half-white: a slow run climbs through the middle, and must still show through it
        self.acc_text = self.ax_acc.text(0.97, 0.45, "", transform=self.ax_acc.transAxes,
                                         ha="right", va="center", zorder=4,
                                         bbox=dict(boxstyle="round", fc="white", ec="none",
                                                   alpha=0.6))
        self.acc_text.set_in_layout(False)
        self.ax_loss.set(xlabel="iteration", ylabel="cross-entropy loss", ylim=(0, 2.5),
                         title="loss")
        self.ax_acc.set(xlabel="iteration", ylabel="accuracy", ylim=(0, 1.02),
                        title="accuracy")
        # fixed decimals: a raised floor (0.85) or a diverging loss (8.0) keeps labels as wide
        self.ax_loss.yaxis.set_major_formatter(StrMethodFormatter("{x:.1f}"))
        self.ax_acc.yaxis.set_major_formatter(StrMethodFormatter("{x:.2f}"))
        for ax in (self.ax_loss, self.ax_acc):
            ax.grid(alpha=0.3)
            ax.xaxis.set_major_formatter(lambda value, _: f"{value:,.0f}")  # 10,000, as the texts
            # at most 5 ticks: six labels such as "12,500" ran together at 13 points
            ax.xaxis.set_major_locator(MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10],
                                                   integer=True))
            # an invisible label at the right end (20,000, the dashboard's most): the panels
            # keep their width whether or not a tick falls there (10,000, but not 9,900)
            ax.text(1, 0, "20,000", transform=ax.transAxes, ha="center", va="top", alpha=0)
        # what changes from frame to frame; the legends stay in the background, placed by
        # update where the curves are not (see _place_legends)
        self.dynamic = [self.loss_line, self.smooth_line, self.train_line, self.test_line,
                        self.acc_text]
        self._background = self._background_key = None
        self.legend_locs = LEGEND_LOCS
        for ax, loc in zip((self.ax_loss, self.ax_acc), self.legend_locs, strict=True):
            ax.legend(loc=loc)

    def update(self, history, iters_num=None, eval_size=None, final_test=None):
        """Show ``history``; ``final_test``: a test accuracy measured after the last step."""
        loss = np.asarray(history.loss, dtype=float)
        steps = np.arange(len(loss))
        # ~450 px wide: MAX_POINTS losses show all 10000's noisy band in a third of the time
        k = -(-len(loss) // MAX_POINTS) or 1
        self.loss_line.set_data(steps[::k], loss[::k])
        self.smooth_line.set_data(steps[::k], _running_mean(loss, SMOOTHING)[::k])
        low = accuracy_floor(history)
        right = max(iters_num or len(loss), 1)
        # the lines are not clipped, so only points inside the axes are drawn: not the first
        # (near chance) below a raised floor, nor any after a shorter ``iters_num``
        at = np.asarray(history.measured_at, dtype=int)
        shown = at <= right
        if len(at) and min(history.train_acc[0], history.test_acc[0]) < low:
            shown[0] = False
        self.train_line.set_data(at[shown], np.asarray(history.train_acc)[shown])
        self.test_line.set_data(at[shown], np.asarray(history.test_acc)[shown])
        for ax in (self.ax_loss, self.ax_acc):
            ax.set_xlim(0, right)
        finite = loss[np.isfinite(loss)]
        # 2.5 is above ln(10) = 2.3, the loss of an untrained 10-class net, so the axis
        # (and the blitted background) stays put unless a run diverges (too high a rate)
        top = max(2.5, 1.05 * finite.max()) if finite.size else 2.5
        self.ax_loss.set_ylim(0, top)
        self.ax_acc.set_ylim(low, 1 + 0.02 * (1 - low))
        subset = "" if eval_size is None else f" (train: {eval_size:,}-image subset)"
        self.ax_acc.set_title(f"accuracy{subset}")
        lines = []
        if history.test_acc:  # measured once an epoch, so say when
            lines.append(f"at iteration {history.measured_at[-1]:,}:\n"
                         f"train {history.train_acc[-1]:.3f}, test {history.test_acc[-1]:.3f}")
        measured_last = bool(history.measured_at) and history.measured_at[-1] == len(loss) - 1
        if final_test is not None and not measured_last:  # stopped between two epochs
            lines.append(f"after iteration {len(loss) - 1:,}:\ntest {final_test:.3f}")
        self.acc_text.set_text("\n".join(lines))
        self._place_legends(history, right, top, low)
        return self

    def _place_legends(self, history, right, loss_top, acc_floor):
        # While training goes well the loss falls away from the top right and the accuracy
        # rises away from the bottom right, where the legends sit. A run that does not learn
        # puts its curves there: too small a learning rate keeps the loss near ln 10, at the
        # top; too large a one the accuracy near chance. Once the shown curves on the
        # legends' side (the right 40%) lie in the outer 30% of the height, the legends move
        # to the other corner, until the curves leave the outer 35% (so a curve on the line
        # does not make them jump to and fro; each move redraws the whole figure).
        side = 0.6 * right
        loss = np.asarray(history.loss[int(side):int(right) + 1], dtype=float)
        loss = np.nan_to_num(loss, nan=loss_top, posinf=loss_top)  # overflowed: high
        acc = [a for at, train, test in zip(history.measured_at, history.train_acc,
                                            history.test_acc, strict=True)
               if side <= at <= right for a in (train, test)]
        outer = [0.35 if loc != start else 0.3 for loc, start in
                 zip(self.legend_locs, LEGEND_LOCS, strict=True)]  # (loss, accuracy)
        loss_high = loss.size > 0 and loss.mean() > (1 - outer[0]) * loss_top
        acc_low = len(acc) > 0 and np.mean(acc) < acc_floor + outer[1] * (1 - acc_floor)
        self.legend_locs = ("lower right" if loss_high else LEGEND_LOCS[0],
                            "upper right" if acc_low else LEGEND_LOCS[1])
        for ax, loc in zip((self.ax_loss, self.ax_acc), self.legend_locs, strict=True):
            ax.get_legend().set_loc(loc)

    def render_png(self, dpi=100):
        """PNG of the current state; redraws only the curves if the axes are unchanged."""
        canvas = agg_canvas(self.fig, dpi)
        key = (dpi, self.ax_loss.get_xlim(), self.ax_loss.get_ylim(), self.ax_acc.get_xlim(),
               self.ax_acc.get_ylim(), self.ax_acc.get_title(), self.legend_locs)
        if key != self._background_key:
            for artist in self.dynamic:  # animated artists are left out of a full draw
                artist.set_animated(True)
            try:
                canvas.draw()
            finally:
                for artist in self.dynamic:
                    artist.set_animated(False)
            self._background, self._background_key = canvas.copy_from_bbox(self.fig.bbox), key
        else:
            canvas.restore_region(self._background)
        for artist in self.dynamic:
            self.fig.draw_artist(artist)
        return encode_png(canvas)


def training_figure(history, iters_num=None, eval_size=None):
    """Static fallback of the training dashboard's curves, from a ``train`` history."""
    if history is None:  # a dashboard's .history before its first run
        raise ValueError("training_figure needs the history of a run (what train returns, "
                         "or a dashboard's .history once it has trained); got None")
    return TrainingPlot().update(history, iters_num, eval_size).fig


class MistakesPlot:
    """A rows × cols grid of digits the network gets wrong, "predicted (true)" over each.

    Lesson 6: the training dashboard shows it after a run, ``mistakes_figure`` without one.
    ``n_wrong`` is how many were wrong in all (None before the first update).
    """

    def __init__(self, rows=3, cols=8, shape=(28, 28)):
        self.shape = shape
        self.fig = StaticFigure(figsize=(1.2 * cols, 1.35 * rows + 0.5), layout="constrained")
        self.axes = self.fig.subplots(rows, cols, squeeze=False).ravel()
        self.images = []
        for ax in self.axes:
            self.images.append(ax.imshow(np.zeros(shape), cmap="gray_r", vmin=0, vmax=1))
            ax.set_xticks([])
            ax.set_yticks([])
        self.title = self.fig.suptitle("train the network to see the digits it gets wrong")
        self.n_wrong = None

    def update(self, images, predicted, true, n_wrong, n_total):
        """images (k, H, W) with k <= rows*cols; n_wrong of n_total were wrong in all."""
        self.n_wrong = n_wrong
        for k, (ax, artist) in enumerate(zip(self.axes, self.images, strict=True)):
            ax.set_visible(k < len(images))
            if k < len(images):
                artist.set_data(images[k])
                artist.set_clim(min(0.0, images[k].min()), max(1.0, images[k].max()))
                ax.set_title(f"{predicted[k]} (true {true[k]})", color="#B00000")
        self.title.set_text(
            f"none of the {n_total:,} test digits wrong" if n_wrong == 0 else
            f"{n_wrong:,} of {n_total:,} test digits wrong ({n_wrong / max(n_total, 1):.2%}); "
            f"the first {len(images)}, as predicted (true label)")
        return self

    def show_mistakes(self, network, x, t):
        """Find the digits ``network`` gets wrong in x (N, D), t, and show the first ones."""
        wrong, predicted, true = E.mistakes(network, x, t)
        k = min(len(wrong), len(self.axes))
        images = np.asarray(x[wrong[:k]], dtype=float).reshape(k, *self.shape)
        return self.update(images, predicted[:k], true[:k], len(wrong), len(x))


def mistakes_figure(network, x, t, rows=3, cols=8):
    """Static fallback: the first rows*cols test digits ``network`` gets wrong."""
    x = np.asarray(x)
    shape = E.image_shape(E.image_pixels(x))
    return MistakesPlot(rows, cols, shape).show_mistakes(network, x, t).fig


class LookInsidePlot:
    """One digit, the network's probabilities for it, and dL/dx as an image (lesson 6)."""

    def __init__(self, shape=(28, 28), num_classes=10):
        self.fig = StaticFigure(figsize=(11, 3.6), layout="constrained")
        self.ax_image, self.ax_probs, self.ax_grad = self.fig.subplots(
            1, 3, gridspec_kw={"width_ratios": [1, 1.3, 1.25]})
        self.image = self.ax_image.imshow(np.zeros(shape), cmap="gray_r", vmin=0, vmax=1)
        self.grad = self.ax_grad.imshow(np.zeros(shape), cmap=GRADIENT_CMAP, vmin=-1, vmax=1)
        self.colorbar = self.fig.colorbar(self.grad, ax=self.ax_grad, shrink=0.85)
        # the same shape of label for every digit ("−4.9e−01", "0", "4.9e−01"): labels of
        # changing width ("−1.0", "−0.015") moved the panels sideways from digit to digit
        self.colorbar.formatter = lambda value, _: (
            "0" if value == 0 else format_value(value, ".1e"))
        for ax in (self.ax_image, self.ax_grad):
            ax.set_xticks([])
            ax.set_yticks([])
        self.bars = self.ax_probs.bar(np.arange(num_classes), np.zeros(num_classes),
                                      color="#BBBBBB", edgecolor="none")
        self.ax_probs.set(xticks=np.arange(num_classes), ylim=(0, 1.05),
                          xlabel="class (green: true label, outlined: predicted)",
                          ylabel="probability (softmax)")
        self.ax_probs.grid(axis="y", alpha=0.3)
        self.ax_grad.set_title("∂L/∂x\nmore ink on red raises the loss")

    def update(self, view):
        """Show a :class:`bpcourse.explorers.DigitView`."""
        self.image.set_data(view.image)
        self.image.set_clim(min(0.0, view.image.min()), max(1.0, view.image.max()))
        for k, (bar, p) in enumerate(zip(self.bars, view.probs, strict=True)):
            bar.set_height(p)
            right, chosen = k == view.label, k == view.predicted
            # the true label in green, a wrong prediction in vermillion: colour plus outline
            bar.set_color(TEST_COLOR if right else (WRONG_COLOR if chosen else "#BBBBBB"))
            bar.set_edgecolor(INK if chosen else "none")
            bar.set_linewidth(2 if chosen else 0)
        verdict = "right" if view.predicted == view.label else "WRONG"
        # two lines, as the other two titles: "test digit #9999: label 6" ran past the edge
        self.ax_image.set_title(f"test digit #{view.index}\nlabel {view.label}")
        self.ax_probs.set_title(
            f"predicted {view.predicted} (p = {view.probs[view.predicted]:.2f}), {verdict}\n"
            f"loss {view.loss:.3g}")  # .3g: a sure digit's loss is 3.1e-05, not 0.000
        scale = float(np.abs(view.grad).max()) or 1.0  # symmetric, so white means 0
        self.grad.set_data(view.grad)
        self.grad.set_clim(-scale, scale)
        self.colorbar.set_ticks([-scale, 0, scale])
        return self


def look_inside_figure(network, x, t, index=0):
    """Static fallback of "look inside": test digit ``index`` as ``network`` sees it."""
    view = E.look_inside_values(network, x, t, index)
    return LookInsidePlot(view.image.shape, len(view.probs)).update(view).fig
