"""The look-inside widget of lesson 6: one test digit through a trained network and back.

Use it through :mod:`bpcourse.widgets` (``widgets.look_inside(...)``): a digit, the
network's probabilities, and dL/dx for its pixels, with a slider and a "next mistake" button.
"""

import ipywidgets as widgets
import numpy as np

from bpcourse import explorers as E
from bpcourse.checks import require_number
from bpcourse.training_plots import LookInsidePlot
from bpcourse.widgets import WIDE, Explorer, readout_html

__all__ = ["LookInside", "look_inside"]


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
        if x.ndim < 2:  # else the error blames t: "expected 784 targets for 784 inputs"
            raise ValueError(f"look_inside expected x_test of shape (N, {x.size}), all the test "
                             f"digits; got shape {x.shape}, which is one digit. Pass x_test "
                             "and t_test whole, and pick the digit with index=")
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
        self.plot = LookInsidePlot(E.image_shape(E.image_pixels(x)), network.output_size)
        self._finish(widgets.HBox([self.index, self.next_mistake]), [self.index])

    def update(self):
        v = self.view = E.look_inside_values(self.view_network, *self.data, self.index.value)
        self.plot.update(v)
        verdict = "right" if v.predicted == v.label else "<b>wrong</b>"
        self.readout.value = readout_html(
            f"Test digit #{v.index}, label {v.label}: the network says <b>{v.predicted}</b> "
            f"with probability {v.probs[v.predicted]:.3f} ({verdict}); its loss is "
            f"{v.loss:.3g}.<br>Right: ∂L/∂x, backpropagated through {self.backward_path} "
            f"down to the pixels (<code>network.input_gradient</code>). "
            f"More ink on a red pixel would raise the loss (less sure of {v.label}), on a "
            f"blue one lower it.")
        self._show()

    def show_next_mistake(self):
        """Move ``index`` to the next test digit the network gets wrong (wrapping round)."""
        wrong = E.mistakes(self.view_network, *self.data)[0]
        if len(wrong) == 0:
            self.readout.value = readout_html("The network gets every one of these digits "
                                              "right.")
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
