"""What the pictures show: colours, slopes, titles, colour scales and sampled curves.

tests/test_figures.py compares fig/ pixel by pixel and checks the numbers and arrows on the
graph pictures; this module checks the explorers' and the dashboard's plots, and the legend
and edges of the backward-only mode, which no course figure uses.
"""

import matplotlib
import numpy as np
import pytest
from matplotlib.colors import to_hex
from matplotlib.lines import Line2D
from synthetic_data import blobs

from bpcourse import TwoLayerNet
from bpcourse import explorers as E
from bpcourse import graph as G
from bpcourse.drawing import BACKWARD_COLOR, FORWARD_COLOR, plan_graph
from bpcourse.explorer_plots import (
    ActivationPlot,
    NumericalGradientPlot,
    ShoppingPlot,
    agg_canvas,
)
from bpcourse.training import TrainingHistory
from bpcourse.training_plots import (
    MAX_POINTS,
    SMOOTHING,
    TEST_COLOR,
    WRONG_COLOR,
    LookInsidePlot,
    MistakesPlot,
    TrainingPlot,
    accuracy_floor,
)

PIXEL = 1 / 1000  # of a figure's width or height: about a pixel of these 1000-1100 px figures


def _drawn(fig):
    """Draw ``fig`` as a notebook shows it (100 dpi); return the renderer, for text extents."""
    renderer = agg_canvas(fig, 100).get_renderer()
    fig.draw(renderer)
    return renderer


def apple_graph():
    g = G.apple_graph()
    g.run()
    return g


def test_legend_names_the_colours_it_draws():
    g = apple_graph()
    legend = [i for i in plan_graph(g, "both").items if i[0] == "text" and "pass" in i[2]]
    by_colour = {i[7]["color"]: i[2] for i in legend}
    assert "blue" in by_colour[FORWARD_COLOR] and "orange" in by_colour[BACKWARD_COLOR]
    arrows = [i for i in plan_graph(g, "both").items if i[0] == "arrow" and i[6] == "legend"]
    (fwd,) = [a for a in arrows if a[4] == FORWARD_COLOR]
    (bwd,) = [a for a in arrows if a[4] == BACKWARD_COLOR]
    assert fwd[2][0] > fwd[1][0] and bwd[2][0] < bwd[1][0]


def test_redraw_into_a_small_axes_fits_inside_it():
    g = E.shopping_graph(100, 2, 150, 3, 1.1)
    plot = ShoppingPlot(g).update(g)
    w, h = plot.fig.get_size_inches()
    small = ShoppingPlot(g)
    small.fig.set_size_inches(w / 2, h)  # half as wide: text at half the size
    small.update(g)
    big = [t.get_fontsize() for t in plot.ax.texts]
    half = [t.get_fontsize() for t in small.ax.texts]
    assert max(half) == pytest.approx(max(big) / 2, rel=0.01)


def test_activation_plot_colours_slope_and_marker():
    p = ActivationPlot().update(E.activation_point("Sigmoid", 1.0, 1.0))
    pt = E.activation_point("Sigmoid", 1.0, 1.0)
    assert to_hex(p.curve.get_color()) == FORWARD_COLOR.lower()
    assert to_hex(p.d_curve.get_color()) == BACKWARD_COLOR.lower()
    assert p.d_point.get_ydata()[0] == pytest.approx(pt.local)
    tx, ty = p.tangent.get_data()
    assert (ty[1] - ty[0]) / (tx[1] - tx[0]) == pytest.approx(pt.local)
    assert "backward(1)" in p.ax_d.get_title() and "forward(x)" in p.ax_f.get_title()
    p.update(E.activation_point("ReLU", 0.5, 1.0))
    assert p.d_curve.get_drawstyle() == "steps-pre"
    # ReLU's derivative just left of 0 is 0, right of it 1: steps-pre puts the jump at x_i
    xs, d = p.d_curve.get_data()
    assert d[xs < 0].max() == 0 and d[xs > 0].min() == 1


@pytest.mark.parametrize("name, x, dout", [("Sigmoid", -5.9, -1.9), ("Sigmoid", 0.0, -1.9),
                                            ("ReLU", 5.9, -1.9)])
def test_backward_box_stays_inside_its_panel_and_clear_of_the_curve(name, x, dout):
    # the longest numbers the sliders give, at the lessons' 13 points: two long lines ran
    # past the panel's right edge; the box must not hide the curve's peak either
    with matplotlib.rc_context({"font.size": 13}):
        p = ActivationPlot().update(E.activation_point(name, x, dout))
        renderer = _drawn(p.fig)
        box = p.backward_text.get_bbox_patch().get_window_extent(renderer)
        panel = p.ax_d.get_window_extent(renderer)
        assert panel.x0 < box.x0 and box.x1 < panel.x1 and box.y1 < panel.y1
        xs, d = p.d_curve.get_data()
        inside = (xs >= p.ax_d.transData.inverted().transform((box.x0, 0))[0]) & (
            xs <= p.ax_d.transData.inverted().transform((box.x1, 0))[0])
        highest = p.ax_d.transData.transform((0, d[inside].max()))[1]
        assert highest < box.y0


def test_activation_panels_stay_put_when_the_layer_changes():
    # constrained layout makes room for the widest tick label: "6" against "1.0" moved
    # both panels about 12 pixels each time a learner switched layers
    p = ActivationPlot()
    boxes = []
    for name in ("ReLU", "Sigmoid", "ReLU"):
        p.update(E.activation_point(name, 1.0, 1.0))
        agg_canvas(p.fig, 100).draw()
        boxes.append([ax.get_position().bounds for ax in (p.ax_f, p.ax_d)])
    # to about a pixel (the figure is 1100 pixels wide at 100 dpi): matplotlib 3.8 places
    # them up to 0.6 px apart, where later versions give the same position
    np.testing.assert_allclose(boxes[1], boxes[0], atol=PIXEL)
    np.testing.assert_allclose(boxes[2], boxes[0], atol=PIXEL)


def test_numerical_gradient_plot_keeps_forward_and_central_apart():
    p = NumericalGradientPlot().update("book", 1e-4)
    err = E.difference_errors("book", p.hs)
    np.testing.assert_allclose(p.lines["central"].get_ydata(),
                               np.maximum(err.central, 1e-17))
    at = E.difference_errors("book", np.array([1e-4]))
    assert p.markers["central"].get_ydata()[0] == pytest.approx(max(at.central[0], 1e-17))
    assert p.markers["forward"].get_ydata()[0] == pytest.approx(max(at.forward[0], 1e-17))
    assert p.note.get_text().startswith("h = 1.0e-4\nforward error 1.0e-6\ncentral error ")
    mantissa, exponent = f"{at.central[0]:.1e}".split("e")
    assert p.note.get_text().endswith(f"central error {mantissa}e{int(exponent)}")
    assert f"{err.exact:.6g}" in p.ax.get_title()


def test_numerical_gradient_legend_gives_each_estimate_in_its_own_colours():
    # the truncation estimates are drawn in their method's colour, only rounding in grey: a
    # single grey "estimates" entry told a reader the coloured dashed lines were not ones
    p = NumericalGradientPlot().update("sin", 1e-4)
    labels = [text.get_text() for text in p.legend.get_texts()]
    assert labels == ["forward difference", "central difference",
                      "estimate: truncation (dashed)", "estimate: rounding (dashed)"]
    dashed = [to_hex(line.get_color()) for line in p.legend.findobj(Line2D)
              if line.get_linestyle() == "--"]
    assert dashed == [to_hex(p.lines[key].get_color())
                      for key in ("forward_guide", "central_guide", "rounding_guide")]
    assert dashed[:2] == [to_hex(p.lines[key].get_color()) for key in ("forward", "central")]
    assert len(set(dashed)) == 3


def _history(n):
    loss = list(np.linspace(2.3, 0.2, n))
    return TrainingHistory(loss=loss, measured_at=[0, n - 1], train_acc=[0.2, 0.95],
                           test_acc=[0.1, 0.90])


def test_loss_curve_thinned_to_at_most_max_points_and_smooth_mean_is_right():
    for n in (2001, 10000):
        p = TrainingPlot().update(_history(n), n)
        xs, _ = p.loss_line.get_data()
        assert len(xs) <= MAX_POINTS
        sx, sy = p.smooth_line.get_data()
        np.testing.assert_array_equal(sx, xs)
        loss = np.asarray(_history(n).loss)
        for i in (0, 10, SMOOTHING, len(sx) - 1):
            j = int(sx[i])
            assert sy[i] == pytest.approx(loss[max(0, j + 1 - SMOOTHING):j + 1].mean())


def test_accuracy_readout_names_train_and_test_right():
    p = TrainingPlot().update(_history(100), 100)
    assert "train 0.950, test 0.900" in p.acc_text.get_text()


def test_iteration_axes_write_thousands_as_the_texts_do():
    p = TrainingPlot().update(_history(12000), 12000)
    p.fig.canvas.draw()  # tick labels are made when drawn
    for ax in (p.ax_loss, p.ax_acc):
        labels = [label.get_text() for label in ax.get_xticklabels()]
        assert "10,000" in labels and "10000" not in labels, labels


@pytest.fixture(scope="module")
def net_data():
    xt, tt = blobs(96, seed=1)
    return TwoLayerNet(64, 6, 3, weight_init_std=1.0, rng=5), xt, tt


def test_mistakes_grid_shows_the_wrong_digits_with_predicted_then_true(net_data):
    net, xt, tt = net_data
    wrong, pred, true = E.mistakes(net, xt, tt)
    p = MistakesPlot(2, 3, (8, 8)).show_mistakes(net, xt, tt)
    for k in range(min(6, len(wrong))):
        np.testing.assert_array_equal(p.images[k].get_array(), xt[wrong[k]].reshape(8, 8))
        assert p.axes[k].get_title() == f"{pred[k]} (true {true[k]})"
        assert p.images[k].get_clim() == (0.0, 1.0)
    assert f"({len(wrong) / len(xt):.2%})" in p.title.get_text()


def test_look_inside_bars_titles_and_symmetric_gradient_scale(net_data):
    net, xt, tt = net_data
    wrong = E.mistakes(net, xt, tt)[0]
    view = E.look_inside_values(net, xt, tt, int(wrong[0]))
    p = LookInsidePlot((8, 8), 3).update(view)
    assert to_hex(p.bars[view.label].get_facecolor()) == TEST_COLOR.lower()
    assert to_hex(p.bars[view.predicted].get_facecolor()) == WRONG_COLOR.lower()
    lo, hi = p.grad.get_clim()
    assert lo == -hi == -np.abs(view.grad).max()
    assert f"label {view.label}" in p.ax_image.get_title()
    assert f"(p = {view.probs[view.predicted]:.2f})" in p.ax_probs.get_title()
    assert "WRONG" in p.ax_probs.get_title()


def test_backward_mode_has_a_backward_legend_and_plain_grey_edges():
    g = apple_graph()
    items = plan_graph(g, "backward").items
    legend = [i[2] for i in items if i[0] == "text" and "pass" in i[2]]
    assert len(legend) == 1 and legend[0].startswith("backward")
    edges = [i for i in items if i[0] == "arrow" and i[6] == "edge"]
    assert edges and all(i[3] == "-" for i in edges)


def test_accuracy_axis_never_starts_below_zero():
    collapsed = TrainingHistory(measured_at=[0, 100, 200], train_acc=[0.1, 0.01, 0.01],
                                test_acc=[0.1, 0.0, 0.0])
    assert accuracy_floor(collapsed) == 0.0


def test_first_measurement_is_left_out_if_either_accuracy_lies_below_a_raised_floor():
    h = TrainingHistory(loss=[1.0] * 1200, measured_at=[0, 600, 1200],
                        train_acc=[0.85, 0.9, 0.93], test_acc=[0.5, 0.91, 0.92])
    p = TrainingPlot().update(h, 1200)
    low = p.ax_acc.get_ylim()[0]
    assert low > 0.5  # the first test accuracy is below the axis: not drawn off it
    assert min(p.test_line.get_ydata()) >= low and min(p.train_line.get_ydata()) >= low


def test_loss_axis_stays_put_below_2_5_and_leaves_room_above_a_diverging_loss():
    tops = {TrainingPlot().update(TrainingHistory(loss=list(np.linspace(start, 0.1, 100))),
                                  100).ax_loss.get_ylim()[1] for start in (2.3, 1.5)}
    assert len(tops) == 1  # the same axis whatever the curve below it (blitting keeps it)
    diverged = TrainingHistory(loss=[2.0, 5.0, 40.0, float("inf")])  # overflowed at the end
    top = TrainingPlot().update(diverged, 4).ax_loss.get_ylim()[1]
    assert 40 < top < np.inf  # the highest finite loss is not on the frame


def test_accuracy_texts_write_thousands_with_commas():
    h = TrainingHistory(loss=[1.0] * 12001, measured_at=[0, 10000], train_acc=[0.2, 0.9],
                        test_acc=[0.2, 0.9])
    text = TrainingPlot().update(h, 20000, final_test=0.91).acc_text.get_text()
    assert "at iteration 10,000:" in text and "after iteration 12,000:" in text


def test_accuracy_legend_moves_off_curves_low_on_a_raised_axis():
    epochs = list(range(0, 1000, 100))
    h = TrainingHistory(loss=[0.3] * 1000, measured_at=epochs, train_acc=[0.83] * 10,
                        test_acc=[0.83] * 10)
    p = TrainingPlot().update(h, 1000)
    low, high = p.ax_acc.get_ylim()
    assert (0.83 - low) / (high - low) < 0.3  # in the bottom of the zoomed axis ...
    assert p.legend_locs[1] == "upper right"  # ... so the legend goes to the top


def test_mistakes_grid_counts_what_it_shows_and_hides_an_earlier_runs_digits(net_data):
    net, xt, tt = net_data
    assert len(E.mistakes(net, xt, tt)[0]) > 6
    p = MistakesPlot(2, 3, (8, 8)).show_mistakes(net, xt, tt)
    assert "the first 6," in p.title.get_text()
    p.update(np.zeros((2, 8, 8)), [1, 2], [0, 0], 2, 96)  # a later run, 2 mistakes in all
    assert [ax.get_visible() for ax in p.axes] == [True, True, False, False, False, False]


def test_look_inside_shows_a_right_answer_green_outlines_the_prediction_and_keeps_ink_scale(
        net_data):
    net, xt, tt = net_data
    right = np.setdiff1d(np.arange(len(xt)), E.mistakes(net, xt, tt)[0])
    view = E.look_inside_values(net, xt, tt, int(right[0]))
    p = LookInsidePlot((8, 8), 3).update(view)
    assert to_hex(p.bars[view.label].get_facecolor()) == TEST_COLOR.lower()
    assert [bar.get_linewidth() > 0 for bar in p.bars] == [k == view.predicted for k in range(3)]
    assert p.image.get_clim() == (0.0, 1.0)  # the same ink scale for every digit


def test_legends_judge_the_curve_on_their_side_the_right_40_percent():
    loss = [0.1] * 600 + [2.0] * 400  # high (above 0.7 of the 2.5 axis) in the right 40% only
    assert TrainingPlot().update(TrainingHistory(loss=loss), 1000).legend_locs[0] == "lower right"


# --- layouts at the widgets' extremes, at the lessons' 13 points --------------------------


@pytest.mark.parametrize("iters", [100, 10000, 14000, 17500, 100000])
def test_iteration_tick_labels_never_run_together(iters):
    # six labels such as "10,000" and "12,500" ran together at 14,000 and 17,500 iterations
    with matplotlib.rc_context({"font.size": 13}):
        p = TrainingPlot().update(_history(iters), iters)
        renderer = _drawn(p.fig)
        for ax in (p.ax_loss, p.ax_acc):
            boxes = sorted((label.get_window_extent(renderer) for label in ax.get_xticklabels()
                            if label.get_visible() and label.get_text()),
                           key=lambda box: box.x0)
            assert 2 <= len(boxes) <= 5
            gaps = [right.x0 - left.x1 for left, right in zip(boxes[:-1], boxes[1:], strict=True)]
            assert min(gaps) > 10, (iters, gaps)  # pixels


def test_accuracy_readout_sits_on_half_white_over_the_curves():
    # a slowly learning run climbs through the middle of the panel, where the text stands:
    # the text must stay readable, and the curves must still show through its box
    p = TrainingPlot().update(_history(100), 100)
    patch = p.acc_text.get_bbox_patch()
    assert patch is not None and to_hex(patch.get_facecolor()) == "#ffffff"
    assert 0.3 <= patch.get_alpha() <= 0.7
    assert p.acc_text.get_zorder() > max(p.train_line.get_zorder(), p.test_line.get_zorder())


def test_mistakes_title_writes_thousands_and_says_when_there_are_none():
    p = MistakesPlot(1, 2, (8, 8))
    p.update(np.zeros((2, 8, 8)), [1, 2], [0, 0], 6823, 10000)
    assert p.title.get_text().startswith("6,823 of 10,000 test digits wrong (68.23%)")
    p.update(np.zeros((2, 8, 8)), [1, 2], [0, 0], 3, 10000)
    assert "(0.03%)" in p.title.get_text()  # 3 wrong are not 0.0%
    p.update(np.zeros((0, 8, 8)), [], [], 0, 500)
    assert p.title.get_text() == "none of the 500 test digits wrong"


def _view(index, scale, label=0, predicted=0):
    grad = scale * np.linspace(-1, 1, 784).reshape(28, 28)
    probs = np.full(10, 0.05)
    probs[predicted] = 0.55
    return E.DigitView(index, np.zeros((28, 28)), probs, predicted, label, 0.6, grad)


def test_look_inside_panels_stay_put_from_digit_to_digit_and_titles_fit():
    # colour-bar labels of changing width ("−1.0", "−0.015") moved the panels up to 30
    # pixels between neighbouring digits; "test digit #9999: label 6" ran past the edge
    with matplotlib.rc_context({"font.size": 13}):
        p = LookInsidePlot()
        boxes = []
        for view in (_view(4000, 1.0), _view(4001, 0.0153), _view(9999, 2.3e-4, 6, 5)):
            p.update(view)
            renderer = _drawn(p.fig)
            boxes.append([ax.get_position().bounds for ax in p.fig.axes])
            title = p.ax_image.title.get_window_extent(renderer)
            figure = p.fig.bbox
            assert figure.x0 <= title.x0 and title.x1 <= figure.x1, view.index
        labels = [text.get_text() for text in p.colorbar.ax.get_yticklabels()]
        assert labels == ["−2.3e−04", "0", "2.3e−04"]
    np.testing.assert_allclose(boxes[1], boxes[0], atol=PIXEL)  # see the activation test
    np.testing.assert_allclose(boxes[2], boxes[0], atol=PIXEL)


def test_look_inside_title_gives_a_sure_digits_loss_in_significant_digits():
    view = _view(3, 1.0)._replace(loss=3.1e-5)
    assert "loss 3.1e-05" in LookInsidePlot().update(view).ax_probs.get_title()


def test_numerical_gradient_legend_below_the_axes_and_the_books_h_over_the_h_line():
    # inside the axes, some h put a marker under the legend (exp near 1e-5), or over its
    # text once the markers were drawn on top
    p = NumericalGradientPlot().update("exp", 2e-5)
    renderer = _drawn(p.fig)
    assert p.legend.get_window_extent(renderer).y1 < p.ax.get_tightbbox(renderer).y0 + 1
    label = next(t for t in p.ax.texts if "book's h" in t.get_text())
    assert label.get_zorder() > p.h_line.get_zorder()
    assert to_hex(label.get_bbox_patch().get_facecolor()) == "#ffffff"


def test_activation_markers_are_whole_at_the_ends_of_the_x_slider():
    p = ActivationPlot().update(E.activation_point("Sigmoid", 6.0, 1.0))
    assert not p.point.get_clip_on() and not p.d_point.get_clip_on()


def test_dashboard_panels_keep_their_width_as_the_iterations_slider_moves():
    # a tick label at the right end (10,000, but not 9,900) made the layout shrink both
    # panels by about 30 pixels; so did wider y labels: a raised accuracy floor's "0.85"
    # after "0.2", a diverging loss's axis
    raised = TrainingHistory(loss=[0.3] * 2000, measured_at=[0, 600, 1200, 1800],
                             train_acc=[0.1, 0.9, 0.93, 0.95], test_acc=[0.1, 0.9, 0.92, 0.94])
    diverged = TrainingHistory(loss=[2.0, 5.0, 7.5], measured_at=[0], train_acc=[0.1],
                               test_acc=[0.1])
    with matplotlib.rc_context({"font.size": 13}):
        p = TrainingPlot()
        boxes = []
        for history, iters in ((TrainingHistory(), 9900), (TrainingHistory(), 10000),
                               (TrainingHistory(), 12000), (TrainingHistory(), 20000),
                               (raised, 2000), (diverged, 10000)):
            p.update(history, iters)
            _drawn(p.fig)
            boxes.append([ax.get_position().bounds for ax in (p.ax_loss, p.ax_acc)])
    for other in boxes[1:]:
        np.testing.assert_allclose(other, boxes[0], atol=PIXEL)
