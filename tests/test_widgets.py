"""The widgets, built headless: change a control, check that what they show changed."""

import io
import re
import time
from types import SimpleNamespace

import numpy as np
import pytest
from synthetic_data import blobs

from bpcourse import TwoLayerNet, layers, training_widgets
from bpcourse import explorers as E
from bpcourse import widgets as W
from bpcourse.explorer_plots import StaticFigure

PNG = b"\x89PNG\r\n\x1a\n"


def shown_texts(w):
    return [t.get_text() for t in w.plot.ax.texts]


def plain_text(html):
    """A widget's HTML as the reader sees the words, without its tags."""
    return re.sub(r"<[^>]+>", "", html)


def table_cells(html):
    """The rows of the tables in a readout, each a list of its cells' HTML."""
    return [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row)
            for row in re.findall(r"<tr>(.*?)</tr>", html)]


# --- lesson 3 ---------------------------------------------------------------------------


def test_shopping_explorer_redraws_the_graph_from_the_layers():
    w = W.shopping_explorer()
    assert bytes(w.image.value).startswith(PNG)
    texts = shown_texts(w)
    for number in ("715", "2.2", "110", "3.3", "165", "650"):
        assert number in texts
    assert "price = <b>715</b>" in w.readout.value
    before = w.image.value

    w.apple.value = 150  # 150·2 + 150·3 = 750, × 1.1 = 825
    texts = shown_texts(w)
    assert "825" in texts and "715" not in texts
    assert "300" in texts  # the apples' total, forward
    # ∂price/∂apple_num = apple · tax = 150 · 1.1, by hand; ∂price/∂orange_num showed 165
    # already, so the picture must show it twice now
    assert w.graph["apple_num"].grad == pytest.approx(150 * 1.1)
    assert texts.count("165") == 2, texts
    assert "price = <b>825</b>" in w.readout.value
    # a notch of a price slider is 10 yen, so the readout says gradient × 10 as well
    assert ["∂price/∂apple", "<b>2.2</b>", "+10", "22"] in table_cells(w.readout.value)
    assert w.image.value != before

    w.tax.value = 1.0
    assert w.graph["tax"].grad == 750 and "750" in shown_texts(w)
    assert E.shopping_values(**w.values()).gradients == {n: w.graph[n].grad
                                                         for n in E.SHOPPING_INPUTS}


def test_shopping_explorer_displays_as_a_widget_with_a_short_text_form():
    w = W.shopping_explorer()
    bundle = w._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"] == "ShoppingExplorer()"


# --- lesson 4 ---------------------------------------------------------------------------


def test_activation_explorer_follows_the_layer_and_the_controls():
    w = W.activation_explorer("ReLU", x=1.0, dout=1.0)
    xs, y = w.plot.curve.get_data()
    np.testing.assert_array_equal(y, np.maximum(xs, 0))
    assert "<b>1</b>" in w.readout.value

    w.x.value = -2.0
    assert w.plot.point.get_data()[1][0] == 0.0 and w.point.dx == 0.0
    assert "Relu.backward(1)</code> = <b>0</b>" in w.readout.value

    w.kind.value = "Sigmoid"
    w.x.value, w.dout.value = 0.5, 2.0
    layer = layers.Sigmoid()
    y = layer.forward(np.array([0.5]))[0]
    dx = layer.backward(np.array([2.0]))[0]
    assert (w.point.y, w.point.dx) == (y, dx)
    assert w.plot.point.get_data()[1][0] == y
    xs, curve = w.plot.curve.get_data()
    np.testing.assert_array_equal(curve, layers.Sigmoid().forward(xs))
    assert f"{dx:.4g}" in w.readout.value and f"{dx:.4g}" in w.plot.backward_text.get_text()
    assert w.plot.ax_d.get_ylim()[1] < 0.5  # rescaled from ReLU's 0..1 to Sigmoid's 0..0.25


# --- lesson 2 ---------------------------------------------------------------------------


def test_numerical_gradient_explorer_marks_h_and_tabulates_both_errors():
    w = W.numerical_gradient_explorer()
    assert w.plot.h_line.get_xdata()[0] == pytest.approx(1e-4)
    forward_err = w.plot.markers["forward"].get_ydata()[0]
    central_err = w.plot.markers["central"].get_ydata()[0]
    assert forward_err == pytest.approx(1e-6, rel=1e-3) and central_err < 1e-10
    assert "1.00e-6" in w.readout.value and "truncation" in w.readout.value
    # written as the slider's own readout writes h (d3's ".1e": no leading zero)
    assert "step h = <b>1.0e-4</b>" in w.readout.value

    w.h.value = 1e-11
    assert w.plot.h_line.get_xdata()[0] == pytest.approx(1e-11)
    assert w.plot.markers["central"].get_ydata()[0] > central_err
    assert "rounding (grows as h shrinks)" in w.readout.value and "1.0e-11" in w.readout.value

    curve_before = w.plot.lines["central"].get_ydata().copy()
    w.function.value = "sin"
    assert not np.array_equal(w.plot.lines["central"].get_ydata(), curve_before)
    assert "0.5403023058681398" in w.readout.value  # cos(1), every digit the float has
    assert "sin" in w.plot.ax.get_title()


def test_explorer_readouts_give_each_row_and_gradient_its_own_number():
    shop = W.shopping_explorer()
    rows = table_cells(shop.readout.value)
    assert rows[0] == ["gradient", "price change per +1 (the rest fixed)",
                       "one notch of its slider", "changes the price by"]
    assert rows[1][:2] == ["∂price/∂apple", "<b>2.2</b>"]
    assert {name: s.step for name, s in shop.sliders.items()} == {
        "apple": 10, "apple_num": 1, "orange": 10, "orange_num": 1, "tax": 0.01}
    # gradient, one notch of the slider, gradient × notch: what that notch does to the price
    assert ["∂price/∂orange", "<b>3.3</b>", "+10", "33"] in rows
    assert ["∂price/∂tax", "<b>650</b>", "+0.01", "6.5"] in rows
    # the numbers' columns aligned right, so their digits line up; the names' left
    number_cell = re.search(r"<td style='([^']*)'><b>2.2</b>", shop.readout.value).group(1)
    assert "text-align: right" in number_cell and "line-height: 1.4" in shop.readout.value
    assert "text-align: left" in re.search(r"<td style='([^']*)'>∂price/∂apple<",
                                           shop.readout.value).group(1)
    # every digit of the bill: 4 significant digits said 6357, and a tax notch of 46.4
    # then seemed to move the price by 46
    dear = W.shopping_explorer(apple=290, apple_num=7, orange=290, orange_num=9, tax=1.37)
    assert "price = <b>6356.8</b>" in dear.readout.value
    assert ["∂price/∂tax", "<b>4640</b>", "+0.01", "46.4"] in table_cells(dear.readout.value)
    assert "6356.8" in [text.get_text() for text in dear.plot.ax.texts]
    dear.tax.value = 1.38
    assert "price = <b>6403.2</b>" in dear.readout.value
    activation = W.activation_explorer("Sigmoid", x=0.0, dout=2.0)
    assert "= dout 2 × local gradient 0.25" in activation.readout.value  # sigmoid'(0) = 1/4
    # sliders redraw while they are dragged, not only when they are let go
    assert all(s.continuous_update for s in shop.sliders.values())
    assert activation.x.continuous_update and activation.dout.continuous_update

    nudge = W.numerical_gradient_explorer()
    fn, h = E.DIFF_FUNCTIONS["book"], nudge.h.value
    causes = E.error_causes("book", h)
    rows = table_cells(nudge.readout.value)[1:]
    for method, difference in (("forward", E.forward_difference),
                               ("central", E.central_difference)):
        row = next(r for r in rows if r[0].startswith(method))
        # every digit: "0.2" beside an error of 2.5e-16 would look exact
        assert row[1] == repr(float(difference(fn.f, fn.x, h))) and row[3] == causes[method], row


# --- static fallbacks -------------------------------------------------------------------


@pytest.mark.parametrize("make", [
    W.shopping_figure, W.activation_figure, W.numerical_gradient_figure])
def test_static_fallbacks_show_themselves_as_png(make):
    fig = make()
    assert isinstance(fig, StaticFigure)
    assert fig._repr_png_().startswith(PNG)


def test_static_fallbacks_show_the_values_they_are_given():
    fig = W.shopping_figure(apple=150)
    assert "825" in [t.get_text() for t in fig.axes[0].texts]
    fig = W.activation_figure("Sigmoid", x=0.0, dout=2.0)
    # y = 0.5 too, so the test names the whole backward step: dx = dout × dy/dx
    assert "dx = dout × dy/dx\n    = 2 × 0.25 = 0.5" in fig.axes[1].texts[0].get_text()
    fig = W.activation_figure("Sigmoid", x=0.0, dout=-1.0)
    assert "= −1 × 0.25 = −0.25" in fig.axes[1].texts[0].get_text()


def test_relu_derivative_is_drawn_as_a_step_and_the_sigmoid_as_a_curve():
    from bpcourse.explorer_plots import ActivationPlot

    plot = ActivationPlot()
    plot.update(E.activation_point("ReLU", 1.0, 1.0))
    assert plot.d_curve.get_drawstyle() == "steps-pre"
    plot.update(E.activation_point("Sigmoid", 1.0, 1.0))  # the same plot, switched over
    assert plot.d_curve.get_drawstyle() == "default"


# --- lesson 6: the dashboard ------------------------------------------------------------


@pytest.fixture(autouse=True)
def no_dashboard_started_before(monkeypatch):
    # a dashboard stops the run of the one started before it: not across tests, where that
    # one may hold a stand-in run
    monkeypatch.setattr(training_widgets.TrainingDashboard, "_latest", None)


@pytest.fixture
def data():
    x, t = blobs(300)
    xt, tt = blobs(96, seed=1)
    return x, t, xt, tt


def wait_for(condition, timeout=30.0):
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError("condition not met in time")
        time.sleep(0.005)


def test_accuracy_axis_zooms_in_after_the_first_measurement_unless_training_failed():
    from bpcourse.training import TrainingHistory
    from bpcourse.training_plots import TrainingPlot, accuracy_floor

    first = TrainingHistory(measured_at=[0], train_acc=[0.16], test_acc=[0.17])
    assert accuracy_floor(first) == 0.0
    later = TrainingHistory(measured_at=[0, 600, 1200], train_acc=[0.16, 0.90, 0.93],
                            test_acc=[0.17, 0.91, 0.925])
    assert accuracy_floor(later) == pytest.approx(0.8)
    assert accuracy_floor(TrainingHistory(measured_at=[0, 600], train_acc=[0.16, 0.90],
                                          test_acc=[0.17, 0.91])) == 0.0
    stuck = TrainingHistory(measured_at=[0, 600, 1200], train_acc=[0.1, 0.11, 0.11],
                            test_acc=[0.1, 0.1, 0.12])
    assert accuracy_floor(stuck) == 0.0  # a run near chance keeps the whole axis

    plot = TrainingPlot()
    plot.update(first, 1200).render_png(50)
    assert plot.ax_acc.get_ylim()[0] == 0.0
    key_before = plot._background_key
    plot.update(later, 1200).render_png(50)
    low, high = plot.ax_acc.get_ylim()
    assert low == pytest.approx(0.8) and 1 < high < 1.01
    assert plot._background_key != key_before  # the axes were redrawn for the new range
    # the first point, below the raised floor, is left out rather than drawn off the axes
    for line, acc in ((plot.train_line, later.train_acc), (plot.test_line, later.test_acc)):
        assert list(line.get_xdata()) == [600, 1200] and list(line.get_ydata()) == acc[1:]
    plot.update(first, 1200)
    assert list(plot.train_line.get_xdata()) == [0]  # on the whole axis it is drawn
    # a network that starts trained: its first measurement lies above the floor, so it stays
    warm = TrainingHistory(measured_at=[0, 600, 1200], train_acc=[0.95, 0.96, 0.97],
                           test_acc=[0.94, 0.95, 0.96])
    plot.update(warm, 1200)
    assert accuracy_floor(warm) == pytest.approx(0.9)
    assert list(plot.test_line.get_xdata()) == [0, 600, 1200]
    # one measurement after the first is not yet a band to zoom into: a run shorter than
    # two epochs shows its climb from chance on the whole axis
    short = TrainingHistory(measured_at=[0, 299], train_acc=[0.1, 0.9], test_acc=[0.1, 0.9])
    assert accuracy_floor(short) == 0.0
    assert list(plot.update(short, 300).test_line.get_xdata()) == [0, 299]
    # the lines are not clipped (a marker on the right edge stays whole) and do not steer the
    # layout, so no point may lie outside the axes: not one after a shorter iters_num either
    for line in (plot.train_line, plot.test_line):
        assert not line.get_clip_on() and not line.get_in_layout()
    plot.update(later, 1000)
    assert list(plot.train_line.get_xdata()) == [600]


def test_dashboard_texts_write_large_counts_as_the_course_does():
    x, t = blobs(1200)
    d = W.training_dashboard(x, t, x[:1100], t[:1100], iters_num=100, eval_size=1000)
    assert "1,000 of the 1,200 training images" in d.note.value
    assert "(1,200 images ÷ batch size 100)" in d.note.value
    assert "all 1,100 test images" in d.note.value
    d.start()
    assert d.wait(60) and "all 1,100 test images" in d.status.value
    assert "1,000-image subset" in d.plot.ax_acc.get_title()
    assert "1,100 test digits wrong" in d.mistakes_plot.title.get_text()
    one = W.training_dashboard(x, t, x[:1100], t[:1100], iters_num=100, batch_size=1)
    assert "every 1,200 iterations (1,200 images ÷ batch size 1)" in one.note.value


def test_pictures_keep_their_own_size_in_a_wider_box():
    # flex stretched them to the box's width (and height with it) without align_self; a
    # margin beside a picture shrunk to 100% made a horizontal scrollbar
    layout = W.activation_explorer().image.layout
    assert (layout.align_self, layout.margin, layout.max_width) == ("flex-start", "0", "100%")
    # the shopping graph, 1043 px drawn, at most 860 so the explorer fits 1280 x 800
    assert W.shopping_explorer().image.layout.max_width == "min(100%, 860px)"


def test_dashboard_before_its_first_run_follows_the_settings_and_after_it_shows_the_run(data):
    d = W.training_dashboard(*data, hidden_size=10, iters_num=200, batch_size=20,
                             eval_size=100)
    empty = d.image.value
    d.iters.value = 500
    assert d.plot.ax_loss.get_xlim() == d.plot.ax_acc.get_xlim() == (0, 500)
    assert d.image.value != empty  # the picture on show, not only the figure behind it
    d.batch_size.value = 50
    assert "every 6 iterations (300 images ÷ batch size 50)" in d.note.value
    d.iters.value, d.batch_size.value = 200, 20
    d.start()
    assert d.wait(60)
    shown, note = d.image.value, d.note.value
    d.iters.value, d.batch_size.value = 1000, 100  # the next run's settings
    assert d.image.value == shown and d.note.value == note
    assert d.plot.ax_loss.get_xlim() == (0, 200) and len(d.plot.loss_line.get_xdata()) == 200


def test_dashboard_trains_in_the_background_and_shows_curves_and_mistakes(data):
    d = W.training_dashboard(*data, hidden_size=10, iters_num=200, batch_size=20,
                             eval_size=100)
    assert d.network is None and d.stop_button.disabled and "Train" in d.status.value
    assert d.plot.ax_loss.get_xlim() == d.plot.ax_acc.get_xlim() == (0, 200)  # before a run
    empty_curves, empty_grid = d.image.value, d.mistakes_image.value
    d.train_button.click()
    try:
        assert d.train_button.disabled and d.hidden_size.disabled
    finally:
        assert d.wait(60)
    assert not d.train_button.disabled and not d.hidden_size.disabled and d.stop_button.disabled
    assert len(d.history.loss) == 200 and not d.history.stopped
    assert d.progress.value == d.progress.max == 200 and d.progress.bar_style == "success"
    assert "Done: 200 iterations" in d.status.value
    accuracy = d.network.accuracy(data[2], data[3])
    assert f"{accuracy:.4f}" in d.status.value and accuracy > 0.9
    xs, loss = d.plot.loss_line.get_data()
    assert len(loss) == 200 and d.plot.ax_loss.get_xlim() == (0, 200)
    assert list(d.plot.test_line.get_ydata()) == d.history.test_acc
    assert "100-image subset" in d.plot.ax_acc.get_title() and "100 of the 300" in d.note.value
    assert "every 15 iterations (300 images ÷ batch size 20)" in d.note.value
    d._on_progress(d.training)  # the status line while training: it names the subset too
    assert "train accuracy" in d.status.value and "(on 100 images)" in d.status.value
    d._on_plot(d.training)  # so does the plot's title while training
    assert "100-image subset" in d.plot.ax_acc.get_title()
    # a measurement reaches the history when the next starts: the status says it is late
    assert f"(at iteration {d.history.measured_at[-1]}, shown one epoch late)" \
        in d.status.value
    # measured at the last iteration anyway, so no second, identical test accuracy
    assert d.plot.acc_text.get_text().startswith("at iteration 199:\n")
    assert "after iteration" not in d.plot.acc_text.get_text()
    assert d.image.value != empty_curves and d.mistakes_image.value != empty_grid
    assert d.mistakes_plot.n_wrong == round((1 - accuracy) * len(data[2]))
    # the end of a run writes its final words only: no progress line in between, which
    # would call a measurement taken a few iterations before a Stop "one epoch late"
    seen, d.status.value = [], "Stopping…"  # (the progress line is on show from above)
    d.status.observe(lambda change: seen.append(plain_text(change.new)), names="value")
    d._on_done(d.training)
    assert len(seen) == 1 and seen[0].startswith("Done: 200 iterations"), seen


def test_dashboard_stop_button_stops_cleanly_and_keeps_the_network(data):
    d = W.training_dashboard(*data, hidden_size=10, iters_num=20000, batch_size=10)
    d.start()
    try:
        wait_for(lambda: d.training.iteration >= 20)
        assert d.running and not d.stop_button.disabled
        learned = d.network
        # a second Start while one run is going (a double click) starts nothing new
        assert d.start() is d.training and d.network is learned
        d.stop_button.click()
    finally:
        d.stop()
        assert d.wait(60)
    assert d.history.stopped and len(d.history.loss) < 20000
    assert d.network is learned and d.progress.bar_style == "warning"
    assert "Stopped after" in d.status.value and "keeps what it learned" in d.status.value
    final = d.network.accuracy(data[2], data[3])
    stopped_at = len(d.history.loss) - 1
    # a stop that lands on an epoch's own measurement shows that one, not a second line
    when = "at" if d.history.measured_at[-1] == stopped_at else "after"
    assert f"{when} iteration {stopped_at:,}:" in d.plot.acc_text.get_text()
    assert f"test {final:.3f}" in d.plot.acc_text.get_text()
    # the network is usable and trained: its first weights moved from their start
    start = TwoLayerNet(64, 10, 3, rng=0, dtype=np.float64).params["W1"]
    assert not np.array_equal(d.network.params["W1"], start)


def test_a_new_dashboard_that_starts_training_stops_the_run_of_the_old_one(data):
    # the dashboard cell run again: the old dashboard, out of reach, must not train on
    old = W.training_dashboard(*data, hidden_size=10, iters_num=20000, batch_size=10)
    new = W.training_dashboard(*data, hidden_size=10, iters_num=200, batch_size=10)
    old.start()
    try:
        wait_for(lambda: old.training.iteration >= 20)
        new.start()
        assert not old.running and old.history.stopped
        assert ("Stopped (another dashboard started training) after"
                in old.status.value)
        assert new.wait(60) and not new.history.stopped
        new.start()  # its own second run stops nothing of its own
        assert new.wait(60) and "Done: 200 iterations" in new.status.value
    finally:
        for d in (old, new):
            d.stop()
            assert d.wait(60)


def test_dashboard_reports_a_failing_run_instead_of_hanging(data):
    x, t, xt, tt = data
    d = W.training_dashboard(x, t, xt, tt[:10], iters_num=100)  # mismatched test targets
    d.start()
    assert d.wait(60)
    assert "Training failed" in d.status.value and d.progress.bar_style == "danger"
    # as Python prints an error, not its repr
    assert re.search(r"Training failed: ValueError: .*t_test 10", d.status.value)
    assert not d.train_button.disabled


def test_dashboard_settings_reach_the_run_and_stop_says_so(data):
    d = W.training_dashboard(*data, hidden_size=10, iters_num=20000, batch_size=10)
    d.learning_rate.value, d.batch_size.value = 0.01, 50
    seen = []
    d.status.observe(lambda change: seen.append(change.new), names="value")
    d.start()
    try:
        settings = d.training.train_kwargs
        assert settings["learning_rate"] == d.learning_rate.value and settings["batch_size"] == 50
        wait_for(lambda: d.training.iteration >= 5)
    finally:
        d.stop()
        assert d.wait(60)
    assert "Stopping…" in map(plain_text, seen)
    assert plain_text(seen[-1]).startswith("Stopped after")
    # a count, and the plot's iteration numbers, which start at 0
    count, last = re.match(r"Stopped after ([\d,]+) iterations?, 0 to ([\d,]+), in ",
                           plain_text(seen[-1])).groups()
    assert int(count.replace(",", "")) == int(last.replace(",", "")) + 1 == len(d.history.loss)
    final, stops = d.status.value, []
    # a run whose train() has returned but whose thread still reports (the moment the race
    # lived in): a stand-in, since a real thread cannot be held there; Stop must leave it be
    d.training = SimpleNamespace(running=True, done=True, stop=lambda: stops.append(1))
    d.stop()
    assert d.status.value == final and stops == []


def test_a_new_run_clears_the_last_runs_bar_colour(data):
    d = W.training_dashboard(*data, hidden_size=10, iters_num=100, batch_size=20)
    d.start()
    assert d.wait(60) and d.progress.bar_style == "success"
    d.iters.value = 20000
    d.start()
    try:
        assert d.progress.bar_style == ""
    finally:
        d.stop()
        assert d.wait(60)


def test_the_note_says_all_when_the_subset_would_be_all_the_training_images(data):
    d = W.training_dashboard(*data, eval_size=300, batch_size=20)  # 300 training images
    assert "on all 300 training images and on all 96 test images" in d.note.value


def test_training_and_mistakes_static_fallbacks(data):
    from bpcourse import train

    x, t, xt, tt = data
    net = TwoLayerNet(64, 10, 3, rng=0)
    history = train(net, x, t, xt, tt, iters_num=50, batch_size=20, verbose=False)
    fig = W.training_figure(history, 50)
    assert list(fig.axes[0].lines[0].get_ydata()) == history.loss
    fig = W.mistakes_figure(TwoLayerNet(64, 10, 3, weight_init_std=1.0, rng=0), xt, tt)
    assert "test digits wrong" in fig._suptitle.get_text()
    assert fig._repr_png_().startswith(PNG)


# --- lesson 6: look inside --------------------------------------------------------------


def test_look_inside_follows_the_index_and_jumps_to_mistakes(data):
    x, t, xt, tt = data
    net = TwoLayerNet(64, 6, 3, weight_init_std=1.0, rng=5)  # untrained: plenty of mistakes
    w = W.look_inside(net, xt, tt, index=0)
    first_image = w.plot.image.get_array().copy()
    w.index.value = 5
    assert w.view.index == 5 and "#5" in w.plot.ax_image.get_title()
    np.testing.assert_array_equal(w.plot.image.get_array(), xt[5].reshape(8, 8))
    assert not np.array_equal(first_image, w.plot.image.get_array())
    heights = [bar.get_height() for bar in w.plot.bars]
    np.testing.assert_allclose(heights, w.view.probs)
    np.testing.assert_array_equal(w.plot.grad.get_array(),
                                  net.input_gradient(xt[5:6], tt[5:6]).reshape(8, 8))
    assert f"label {tt[5]}" in w.readout.value
    assert "through SoftmaxWithLoss, Affine2, Relu1 and Affine1 down to" in w.readout.value

    w.next_mistake.click()
    wrong = E.mistakes(net, xt, tt)[0]
    assert w.index.value == wrong[wrong > 5][0]
    assert w.view.predicted != w.view.label and "wrong" in w.readout.value
    # the probability of what it says, not of the label
    assert f"probability {w.view.probs[w.view.predicted]:.3f}" in w.readout.value
    # the loss in significant digits: a sure digit's 3.1e-05 read "0.000" in decimals
    assert f"its loss is {w.view.loss:.3g}." in w.readout.value


def test_next_mistake_wraps_round_to_the_first_and_leaves_training_alone(data):
    x, t, xt, tt = data
    net = TwoLayerNet(64, 6, 3, weight_init_std=1.0, rng=5)
    wrong = E.mistakes(net, xt, tt)[0]
    w = W.look_inside(net, xt, tt, index=int(wrong[-1]))
    net.gradient(x[:10], t[:10])  # as a training step would leave the layers
    cached = net.layers["Affine1"].x
    w.next_mistake.click()
    assert w.index.value == wrong[0]
    assert net.layers["Affine1"].x is cached  # the search ran on its own view


def test_next_mistake_says_so_when_there_is_none(data):
    net = TwoLayerNet(64, 6, 3, weight_init_std=1.0, rng=5)
    xt = data[2]
    own_answers = net.predict_labels(xt)  # as labels, every digit is "right"
    w = W.look_inside(net, xt, own_answers, index=4)
    w.next_mistake.click()
    assert w.index.value == 4 and "gets every one of these digits right" in w.readout.value


def test_look_inside_needs_a_network(data):
    with pytest.raises(ValueError, match="Train"):
        W.look_inside(None, data[2], data[3])


def test_look_inside_on_the_dashboards_network(data):
    d = W.training_dashboard(*data, hidden_size=10, iters_num=100, batch_size=20)
    d.start()
    assert d.wait(60)
    w = W.look_inside(d.network, data[2], data[3], index=3)
    assert w.view.probs[w.view.label] > 0.5 and bytes(w.image.value).startswith(PNG)


def test_live_training_frames_redraw_only_the_curves_and_match_a_full_draw():
    from PIL import Image

    from bpcourse.training import TrainingHistory
    from bpcourse.training_plots import TrainingPlot

    def history(n, flat=False):
        loss = [1.5] * n if flat else list(2.0 * np.exp(-np.arange(n) / 300) + 0.1)
        epochs = list(range(0, n, 200))
        acc = 0.75 if flat else 0.8  # different curves, the same accuracy axis (0.6 to 1)
        return TrainingHistory(loss=loss, measured_at=epochs, train_acc=[acc] * len(epochs),
                               test_acc=[acc - 0.1] * len(epochs))

    plot = TrainingPlot()
    plot.update(history(600, flat=True), 1000, 100)  # curves the next frame must wipe out
    first = plot.render_png(60)
    key = plot._background_key
    plot.update(history(900), 1000, 100)
    live = plot.render_png(60)
    assert plot._background_key == key  # same axes: the background bitmap was reused
    assert live != first
    full = W.png_bytes(plot.fig, 60)

    def pixels(png):
        return np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=int)

    differ = np.abs(pixels(live) - pixels(full)) > 40
    assert differ.mean() < 0.001  # antialiasing where curves cross, nothing more


def test_legends_move_off_the_curves_of_a_run_that_does_not_learn():
    # too small a learning rate keeps the loss near ln 10 (the top of the loss axis, under
    # its legend); too large a one the accuracy near chance (under the other one)
    from PIL import Image

    from bpcourse.training import TrainingHistory
    from bpcourse.training_plots import TrainingPlot

    def legend_in_upper_half(ax):
        ax.figure.canvas.draw()
        legend = ax.get_legend().get_window_extent()
        box = ax.get_window_extent()
        return (legend.y0 + legend.y1) / 2 > (box.y0 + box.y1) / 2

    def history(loss, acc):
        epochs = list(range(0, len(loss), 100))
        return TrainingHistory(loss=list(loss), measured_at=epochs,
                               train_acc=[acc] * len(epochs), test_acc=[acc] * len(epochs))

    learns = history(2.2 * np.exp(-np.arange(1000) / 100) + 0.1, 0.9)  # loss axis 0 to 2.5
    stuck = history([2.3] * 1000, 0.11)
    plot = TrainingPlot().update(stuck, 1000)
    assert not legend_in_upper_half(plot.ax_loss) and legend_in_upper_half(plot.ax_acc)
    # a run that learns keeps them where its curves are not, the loss's top right and the
    # accuracy's bottom right; so does a run whose curves have not reached their side yet
    for shown, iters_num in ((learns, 1000), (stuck, 3000)):
        plot = TrainingPlot().update(shown, iters_num)
        assert legend_in_upper_half(plot.ax_loss) and not legend_in_upper_half(plot.ax_acc)
    # only what is shown counts: here the loss is still high at the right edge of a shorter
    # iters_num (1.9 on average over iterations 60 to 100), though low after it
    slow = history(2.3 * np.exp(-np.arange(1000) / 300) + 0.1, 0.9)
    assert TrainingPlot().update(slow, 100).legend_locs[0] == "lower right"

    # a live frame after the legends moved shows them where a full draw does: the blitted
    # background is drawn again, not reused with the legends in their old corner
    def pixels(png):
        return np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=int)

    plot = TrainingPlot().update(learns, 1000)
    plot.render_png(60)
    key = plot._background_key
    live = plot.update(history([2.3] * 1000, 0.9), 1000).render_png(60)
    assert plot._background_key[1:-1] == key[1:-1]  # the same axes: only the legends moved
    assert plot.legend_locs == ("lower right", "lower right")
    assert (np.abs(pixels(live) - pixels(W.png_bytes(plot.fig, 60))) > 40).mean() < 0.001


def test_legends_do_not_jump_back_and_forth_for_a_curve_on_the_line():
    from bpcourse.training import TrainingHistory
    from bpcourse.training_plots import TrainingPlot

    plot = TrainingPlot()
    corners = []
    for level in (1.80, 1.70, 1.80, 1.70, 1.80):  # 0.7 of the top (2.5) is 1.75
        plot.update(TrainingHistory(loss=[level] * 1000), 1000)
        corners.append(plot.legend_locs[0])
    assert corners == ["lower right"] * 5
    plot.update(TrainingHistory(loss=[1.0] * 1000), 1000)  # well below: back to the top
    assert plot.legend_locs[0] == "upper right"


def test_the_lesson6_names_are_reachable_from_bpcourse_widgets():
    from bpcourse import look_inside_widget, training_widgets

    assert W.training_dashboard is training_widgets.training_dashboard
    assert W.TrainingDashboard is training_widgets.TrainingDashboard
    assert W.LookInside is look_inside_widget.LookInside
    assert W.look_inside is look_inside_widget.look_inside
    assert set(W.__all__) >= {"training_dashboard", "look_inside", "shopping_figure"}
    with pytest.raises(AttributeError):
        W.no_such_widget  # noqa: B018


def test_unflattened_images_and_one_hot_labels_work_too(data):
    x, t, xt, tt = data
    images, one_hot = xt.reshape(-1, 8, 8), np.eye(3)[tt]  # load_mnist(flatten=False, one_hot)
    d = W.training_dashboard(x.reshape(-1, 8, 8), np.eye(3)[t], images, one_hot,
                             hidden_size=10, iters_num=100, batch_size=20)
    d.start()
    assert d.wait(60)
    assert d.network.params["W1"].shape == (64, 10) and "Done" in d.status.value
    w = W.look_inside(d.network, images, one_hot, index=2)
    assert w.view.label == tt[2] and w.view.image.shape == (8, 8)


# --- starting values off the sliders ------------------------------------------------------


def test_look_inside_of_one_digit_names_x_not_t():
    # it said "expected 64 targets for 64 inputs; got 1", blaming t
    x, t = blobs(20)
    net = TwoLayerNet(64, 6, 3, rng=0)
    with pytest.raises(ValueError, match=r"look_inside expected x_test of shape \(N, 64\), "
                                         r"all the test digits; got shape \(64,\), which is "
                                         r"one digit"):
        W.look_inside(net, x[0], t[:1])


@pytest.mark.parametrize("make, kwargs, message", [
    (W.shopping_explorer, {"apple": 1000}, "apple must be a whole number from 0 to 300"),
    (W.shopping_explorer, {"apple": 120.5}, "apple must be a whole number from 0 to 300"),
    (W.shopping_explorer, {"orange_num": -1}, "orange_num must be a whole number from 0 to 10"),
    (W.shopping_explorer, {"tax": 8}, "tax must be a finite number from 1 to 1.5"),
    (W.activation_explorer, {"x": 10}, "x must be a finite number from -6 to 6"),
    (W.activation_explorer, {"dout": float("nan")}, "dout must be a finite number from -2 to 2"),
    (W.numerical_gradient_explorer, {"h": 1}, "h must be a finite number from 1e-12 to 0.1"),
    (W.numerical_gradient_explorer, {"h": 0}, "h must be a finite number from 1e-12 to 0.1"),
])
def test_a_starting_value_off_its_slider_is_an_error_not_clamped(make, kwargs, message):
    # a slider would have shown 300 for apple=1000 (and computed with it), 120 for 120.5
    [(name, value)] = kwargs.items()
    with pytest.raises(ValueError, match=re.escape(f"{message} (the range of its slider), "
                                                   f"got {value!r}")):
        make(**kwargs)


def test_the_ends_of_the_ranges_and_whole_floats_are_fine():
    shop = W.shopping_explorer(apple=300, apple_num=np.int64(0), orange=120.0, tax=1.5)
    assert shop.values() == {"apple": 300, "apple_num": 0, "orange": 120, "orange_num": 3,
                             "tax": 1.5}
    assert W.numerical_gradient_explorer(h=1e-12).h.value == 1e-12
    assert W.activation_explorer(x=-6, dout=2).point.x == -6.0


@pytest.mark.parametrize("value", ["100", True, None])
def test_a_starting_value_that_is_no_number_is_a_type_error(value):
    with pytest.raises(TypeError, match=f"apple must be a whole number, got {value!r}"):
        W.shopping_explorer(apple=value)


@pytest.mark.parametrize("make", [W.activation_explorer, W.activation_figure])
def test_an_unknown_activation_names_the_known_ones_in_the_widget_and_the_figure(make):
    with pytest.raises(KeyError, match=re.escape(
            "unknown activation 'relu'; expected one of ['ReLU', 'Sigmoid'] (names are "
            "case-sensitive: did you mean 'ReLU'?)")):
        make("relu")


@pytest.mark.parametrize("make", [W.numerical_gradient_explorer, W.numerical_gradient_figure])
def test_an_unknown_function_names_the_known_ones_in_the_widget_and_the_figure(make):
    with pytest.raises(KeyError, match=re.escape(
            "unknown function 'cos'; expected one of ['book', 'sin', 'exp']")):
        make("cos")


def test_look_inside_counts_a_negative_index_from_the_end_and_refuses_one_off_the_end(data):
    xt, tt = data[2], data[3]  # 96 digits
    net = TwoLayerNet(64, 6, 3, weight_init_std=1.0, rng=5)
    assert W.look_inside(net, xt, tt, index=-1).view.index == 95
    assert W.look_inside(net, xt, tt).index.max == 95  # the slider stops at the last digit
    assert W.look_inside(net, xt, tt, index=-96).view.index == 0
    for index in (96, -97, 2.5):
        with pytest.raises(ValueError, match=re.escape(
                f"index must be a whole number from -96 to 95 (there are 96 digits to look "
                f"at), got {index!r}")):
            W.look_inside(net, xt, tt, index=index)


@pytest.mark.parametrize("make, kwargs, message", [
    ("numerical_gradient_figure", {"h": -1}, r"h must be a finite number from 1e-12 to 0.1 "
                                            r"\(the range the plot shows\), got -1"),
    ("numerical_gradient_figure", {"h": float("nan")}, r"h must be .*, got nan"),
    ("activation_figure", {"x": float("nan")}, r"x must be a finite number from -6 to 6 "
                                               r"\(the range the curves are drawn over\)"),
    ("activation_figure", {"x": 7}, r"x must be .*, got 7"),
    ("activation_figure", {"dout": float("inf")}, r"dout must be a finite number, got inf"),
])
def test_the_static_figures_refuse_what_their_explorers_refuse(make, kwargs, message):
    # they drew a plot with a step of -1 (and its 'error'), or nan on the curves
    with pytest.raises(ValueError, match=message):
        getattr(W, make)(**kwargs)


@pytest.mark.parametrize("setting, value, message", [
    ("hidden_size", 300, "hidden_size must be a whole number from 10 to 200"),
    ("learning_rate", 2, "learning_rate must be a finite number from 0.001 to 1"),
    ("iters_num", 50, "iters_num must be a whole number from 100 to 20000"),
])
def test_dashboard_settings_off_their_sliders_are_errors(data, setting, value, message):
    with pytest.raises(ValueError, match=re.escape(f"{message} (the range of its slider), "
                                                   f"got {value}")):
        W.training_dashboard(*data, **{setting: value})


def test_dashboard_refuses_what_would_fail_only_when_train_is_pressed(data, monkeypatch):
    # from the Train button an error reaches only the kernel's log: refused when built
    with pytest.raises(ValueError, match="weight_init_std must be a finite number of at "
                                         "least 0, got nan"):
        W.training_dashboard(*data, weight_init_std=float("nan"))
    x, t, xt, tt = data
    with pytest.raises(ValueError, match="at least 2 classes; the labels given make 1"):
        W.training_dashboard(x, np.zeros_like(t), xt, np.zeros_like(tt))
    # NumPy's words were "zero-size array to reduction operation maximum" and "negative
    # dimensions are not allowed"; a bad seed named no argument
    with pytest.raises(ValueError, match=r"the dashboard needs at least one sample in "
                                         r"x_test; got x_test of shape \(0, 64\)"):
        W.training_dashboard(x, t, xt[:0], tt[:0])
    with pytest.raises(ValueError, match="eval_size must be a whole number of at least 1, "
                                         "got -5"):
        W.training_dashboard(*data, eval_size=-5)
    with pytest.raises(TypeError, match=r"seed must be a whole number of at least 0 \(a "
                                        r"seed\), a numpy.random.Generator or None; got 'a'"):
        W.training_dashboard(*data, seed="a")
    # and whatever still fails in start() is shown in the status, not lost
    d = W.training_dashboard(*data, iters_num=100)

    def broken(*args, **kwargs):
        raise MemoryError("no room for the weights")

    monkeypatch.setattr(training_widgets, "TwoLayerNet", broken)
    d.train_button.click()
    assert "Training failed: MemoryError: no room for the weights" in d.status.value
    assert "color:#B00000" in d.status.value  # in red, as an error
    assert d.progress.bar_style == "danger" and not d.train_button.disabled


def test_dashboard_takes_the_ends_of_its_sliders_and_refuses_a_batch_of_nothing(data):
    edges = [{"hidden_size": 10, "learning_rate": 0.001, "iters_num": 100},
             {"hidden_size": 200, "learning_rate": 1.0, "iters_num": 20000}]
    for settings in edges:
        dash = W.training_dashboard(*data, **settings)
        assert (dash.hidden_size.value, dash.iters.value) == (settings["hidden_size"],
                                                              settings["iters_num"])
        assert dash.learning_rate.value == pytest.approx(settings["learning_rate"])
    # batch_size=0 used to fail only in the note's epoch length, with ZeroDivisionError
    with pytest.raises(ValueError, match=r"batch_size must be a whole number of at least 1, "
                                         r"got 0"):
        W.training_dashboard(*data, batch_size=0)


def test_lesson6_helpers_take_lists_as_train_does_and_name_a_missing_history(data):
    from bpcourse.training_plots import look_inside_figure, mistakes_figure, training_figure

    x, t, xt, tt = (a.tolist() for a in data)  # each failed with "'list' object has no ..."
    d = W.training_dashboard(x, t, xt, tt, hidden_size=10, iters_num=100, batch_size=20,
                             eval_size=50)
    with pytest.raises(ValueError, match=r"training_figure needs the history of a run .*got "
                                         r"None"):
        training_figure(d.history)  # before the first run
    d.start()
    d.wait()
    assert plain_text(d.status.value).startswith("Done: 100 iterations, 0 to 99, in ")
    net = d.network
    title = " ".join(text.get_text() for text in mistakes_figure(net, xt, tt).texts)
    assert f"{len(tt)} test digits wrong" in title
    assert "#3" in look_inside_figure(net, xt, tt, 3).axes[0].get_title()
    w = W.look_inside(net, xt, tt, index=3)
    assert w.view.index == 3 and w.view.label == tt[3]


# --- pinned by a mutation sweep -------------------------------------------------------------


def test_dashboard_counts_the_classes_of_both_label_sets_and_trains_integer_images_in_float64(
        data):
    x, t, xt, tt = data
    # the training labels miss class 2, the test labels have it; uint8 pixels as stored
    d = W.training_dashboard((255 * x).astype(np.uint8), t % 2, xt, tt)
    assert d.num_classes == 3 and d.dtype == np.float64


def test_dashboard_status_has_the_readouts_line_height_and_room_for_two_lines(data):
    d = W.training_dashboard(*data)
    assert W.READOUT_STYLE in d.status.value  # the first text too, not only later ones
    line_height = float(W.READOUT_STYLE.split(":")[1])
    assert float(d.status.layout.min_height.removesuffix("em")) >= 2 * line_height
    # the iterations slider writes 12,000 as the texts do
    assert format(12000, d.iters.readout_format) == "12,000"


def test_dashboard_progress_line_counts_from_one_and_writes_thousands_with_commas(data):
    from bpcourse.training import TrainingHistory

    d = W.training_dashboard(*data, iters_num=20000)
    history = TrainingHistory(loss=[0.5] * 12000, measured_at=[10000], train_acc=[0.9],
                              test_acc=[0.91])
    d._on_progress(SimpleNamespace(iteration=11999, iters_num=20000, eval_size=10000,
                                   history=history))
    assert d.progress.value == 12000
    status = plain_text(d.status.value)
    assert status.startswith("iteration 12,000 of 20,000 · loss 0.500")
    assert "(on 10,000 images)" in status
    assert "(at iteration 10,000, shown one epoch late)" in status


def test_a_run_of_one_iteration_says_so_in_the_singular(data):
    from bpcourse.training_run import TrainingRun

    d = W.training_dashboard(*data, hidden_size=10, iters_num=100, batch_size=20)
    d.network = TwoLayerNet(64, 10, 3, rng=0)  # as start() would make it
    run = TrainingRun(d.network, *d.data, iters_num=1, batch_size=20)
    run.run()
    d._on_done(run)
    assert plain_text(d.status.value).startswith("Done: 1 iteration, number 0, in ")


def test_a_batch_larger_than_the_data_is_an_epoch_of_one_iteration_in_the_note(data):
    d = W.training_dashboard(*data, batch_size=500)  # 300 training images
    assert "once an epoch, every iteration (300 images ÷ batch size 500)" in d.note.value


def test_the_next_run_starts_from_its_own_settings(data):
    d = W.training_dashboard(*data, hidden_size=10, iters_num=100, batch_size=20)
    assert d.wait()  # no run yet: nothing to wait for
    d.start()
    assert d.wait(60)
    d.iters.value, d.batch_size.value = 20000, 50
    seen = []
    d.status.observe(lambda change: seen.append(plain_text(change.new)), names="value")
    d.start()
    try:
        assert d.progress.max == 20000 and d.history is None  # not the last run's
        assert "(300 images ÷ batch size 50)" in d.note.value
        assert seen[0] == "Training…"
    finally:
        d.stop()
        assert d.wait(60)


def test_readout_tables_align_every_number_right_under_headers_with_room_between_columns():
    def is_number(cell):
        try:
            float(plain_text(cell).replace("−", "-"))
        except ValueError:
            return False
        return True

    for w in (W.shopping_explorer(), W.numerical_gradient_explorer()):
        header, *rows = re.findall(r"<tr>(.*?)</tr>", w.readout.value)
        assert header.count("<th ") == rows[0].count("<td ") == 4
        for row in rows:
            for style, cell in re.findall(r"<td style='([^']*)'>(.*?)</td>", row):
                assert ("text-align: right" in style) == is_number(cell), (style, cell)
                side = re.search(r"padding: \S+ ([\d.]+)", style).group(1)
                assert float(side) > 0  # the columns do not touch


def test_explorer_layout_pins_what_a_screen_shows():
    from bpcourse.formatting import format_exponent

    nudge = W.numerical_gradient_explorer()
    # h in the text with as many digits as the slider's own readout (".1e")
    digits = int(re.fullmatch(r"\.(\d)e", nudge.h.readout_format).group(1))
    assert f"step h = <b>{format_exponent(nudge.h.value, digits)}</b>" in nudge.readout.value
    shop, act = W.shopping_explorer(), W.activation_explorer()
    assert shop.image.layout.height == "auto"  # a shrunk picture keeps its proportions
    assert {s.layout.width for s in shop.sliders.values()} == {W.SLIDER_LAYOUT["width"]}
    label = act.children[0].children[0].children[0]  # "layer", ending where "input x" does
    assert label.layout.width == W.WIDE["description_width"]
    assert "text-align: right" in label.value
