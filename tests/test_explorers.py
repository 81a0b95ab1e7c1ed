"""The numbers behind the widgets (bpcourse.explorers, training_run) and their figures."""

import inspect
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from synthetic_data import blobs

from bpcourse import TwoLayerNet, layers, numerical_gradient, training_run
from bpcourse import explorers as E
from bpcourse.functions import softmax
from bpcourse.training_run import TrainingRun, evaluation_subset

# --- lesson 3: shopping ---------------------------------------------------------------


def test_shopping_values_are_exactly_the_layers_apple_orange_numbers():
    # the book's buy_apple_orange.py, by hand with the course's layers
    mul_apple, mul_orange, add, mul_tax = (layers.MulLayer(), layers.MulLayer(),
                                           layers.AddLayer(), layers.MulLayer())
    price = mul_tax.forward(add.forward(mul_apple.forward(100, 2), mul_orange.forward(150, 3)),
                            1.1)
    d_total, d_tax = mul_tax.backward(1)
    d_apple_price, d_orange_price = add.backward(d_total)
    d_apple, d_apple_num = mul_apple.backward(d_apple_price)
    d_orange, d_orange_num = mul_orange.backward(d_orange_price)

    values = E.shopping_values()
    assert values.price == price == 715.0000000000001
    assert values.gradients == {"apple": d_apple, "apple_num": d_apple_num, "orange": d_orange,
                                "orange_num": d_orange_num, "tax": d_tax}
    assert values.gradients == {"apple": 2.2, "apple_num": 110.00000000000001,
                                "orange": 3.3000000000000003, "orange_num": 165.0,
                                "tax": 650.0}


def test_shopping_numbers_come_from_the_layers_not_a_formula(layer_calls):
    E.shopping_values(apple=120)
    assert layer_calls.count("mul.forward") == 3 and layer_calls.count("add.backward") == 1


def test_set_shopping_inputs_reruns_the_graph_and_rejects_unknown_names():
    g = E.shopping_graph()
    E.set_shopping_inputs(g, apple=200, tax=1.0)
    price, grads = E.shopping_values(g)
    assert price == 200 * 2 + 150 * 3
    assert grads["apple"] == 2 and grads["tax"] == 850
    with pytest.raises(KeyError, match="banana"):
        E.set_shopping_inputs(g, banana=1)
    with pytest.raises(KeyError, match="unknown shopping input"):
        E.set_shopping_inputs(g, price=1)  # a node of the graph, but not an input


# --- lesson 4: activations ------------------------------------------------------------


@given(x=st.floats(-8, 8), dout=st.floats(-3, 3))
def test_activation_point_is_what_the_layers_return(x, dout):
    for name, cls in (("ReLU", layers.Relu), ("Sigmoid", layers.Sigmoid)):
        layer = cls()
        y = layer.forward(np.array([x]))
        dx = layer.backward(np.array([dout]))
        p = E.activation_point(name, x, dout)
        assert (p.y, p.dx) == (y[0], dx[0])
        assert p.dx == pytest.approx(p.dout * p.local, abs=1e-15)


def test_activation_point_relu_blocks_at_and_below_zero_and_sigmoid_peaks_at_zero():
    assert E.activation_point("ReLU", 0.0, 2.0).dx == 0.0  # mask is x <= 0
    assert E.activation_point("ReLU", 0.5, 2.0).dx == 2.0
    assert E.activation_point("Sigmoid", 0.0, 1.0).local == 0.25
    with pytest.raises(KeyError, match="Tanh"):
        E.activation_point("Tanh", 0.0)


def test_activation_point_with_an_unhashable_name_lists_the_known_names():
    # a learner passing ["ReLU"] for "ReLU" should see the names there are, not a bare
    # "unhashable type: 'list'" from inside a dict lookup
    with pytest.raises(KeyError, match=r"expected one of \['ReLU', 'Sigmoid'\]"):
        E.activation_point(["ReLU"], 0.0)


def test_activation_curves_are_the_layers_forward_and_backward_over_the_grid():
    xs = np.linspace(-3, 3, 61)
    y, dydx = E.activation_curves("Sigmoid", xs)
    layer = layers.Sigmoid()
    np.testing.assert_array_equal(y, layer.forward(xs))
    np.testing.assert_array_equal(dydx, layer.backward(np.ones_like(xs)))
    y, dydx = E.activation_curves("ReLU", xs)
    np.testing.assert_array_equal(dydx, (xs > 0).astype(float))


def test_activation_curves_of_integer_inputs_are_float_curves():
    # a grid typed as whole numbers must still give the layer float inputs: an integer
    # curve would hide that ReLU's slope and output are real numbers
    y, dydx = E.activation_curves("ReLU", [-2, -1, 0, 1, 2])
    assert y.dtype == dydx.dtype == np.float64
    np.testing.assert_array_equal(y, [0.0, 0.0, 0.0, 1.0, 2.0])
    np.testing.assert_array_equal(dydx, [0.0, 0.0, 0.0, 1.0, 1.0])


# --- lesson 2: numerical differentiation ----------------------------------------------


def test_central_difference_at_the_books_h_is_tiny_and_beats_forward():
    err = E.difference_errors("book", np.array([1e-4]))
    assert err.exact == pytest.approx(0.2)
    assert err.central[0] < 1e-10  # the book prints 0.1999999999990898
    assert err.forward[0] == pytest.approx(1e-6, rel=1e-3)  # h * f''/2 = 1e-4 * 0.02 / 2
    assert err.central[0] < err.forward[0] / 1000


def test_the_book_function_is_the_books_parabola_and_gives_the_books_number():
    # 0.01x² + 0.1x, not just any function with derivative 0.02x + 0.1: f itself sets the
    # rounding error, so only the book's f reproduces the book's printed 0.1999999999990898
    fn = E.DIFF_FUNCTIONS["book"]
    assert fn.f(5.0) == 0.75
    assert E.central_difference(fn.f, 5.0, 1e-4) == 0.1999999999990898


def test_difference_errors_take_a_list_of_steps():
    # a learner may type the steps as a plain list; the errors come back one per step
    err = E.difference_errors("sin", [1e-3, 1e-4])
    assert isinstance(err.h, np.ndarray)
    assert err.forward.shape == err.central.shape == (2,)
    np.testing.assert_array_equal(err.central, E.difference_errors("sin", np.array(
        [1e-3, 1e-4])).central)


@pytest.mark.parametrize("name", list(E.DIFF_FUNCTIONS))
def test_error_curves_are_v_shaped(name):
    err = E.difference_errors(name)
    i_tiny, i_mid = 0, int(np.argmin(np.abs(np.log10(err.h) + 5)))
    assert err.h[i_tiny] == pytest.approx(1e-12) and err.h[i_mid] == pytest.approx(1e-5)
    for curve in (err.forward, err.central):
        assert curve[i_tiny] > curve[i_mid]  # rounding error at 1e-12 > error at 1e-5
    assert err.forward[-1] > err.forward[i_mid]  # truncation at 1e-1
    # forward differences do best near sqrt(eps) ~ 1e-8; central ones at a larger h
    best_forward = err.h[np.argmin(err.forward)]
    assert 1e-10 < best_forward < 1e-6


def test_sin_central_difference_is_best_near_the_books_h():
    err = E.difference_errors("sin")
    best = err.h[np.argmin(err.central)]
    assert 1e-7 < best < 1e-3 and err.central.min() < 1e-10


def test_error_estimates_cross_where_the_true_errors_are_smallest():
    # the truncation and rounding estimates meet near the h with the smallest real error
    h = E.h_grid()
    guess, err = E.error_estimates("sin", h), E.difference_errors("sin", h)
    cross = h[np.argmin(np.abs(np.log(guess.forward / guess.rounding)))]
    assert abs(np.log10(cross / h[np.argmin(err.forward)])) < 1.5
    assert not E.error_estimates("book", 1e-4).central  # f‴ = 0: no truncation estimate


@pytest.mark.parametrize("name", ["sin", "exp"])
def test_the_truncation_estimates_match_the_real_errors_where_truncation_rules(name):
    # at h = 1e-3 rounding is negligible, so h|f''|/2 and h^2|f'''|/6 are the errors
    guess, err = E.error_estimates(name, 1e-3), E.difference_errors(name, 1e-3)
    assert guess.forward == pytest.approx(err.forward, rel=1e-2)
    assert guess.central == pytest.approx(err.central, rel=1e-2)


def test_the_book_parabola_and_the_rounding_estimate():
    # x^2 has f''' = 0: its forward error is exactly h|f''|/2 = h, up to rounding
    assert E.error_estimates("book", 1e-4).forward == pytest.approx(
        E.difference_errors("book", 1e-4).forward, rel=1e-3)
    # rounding: about eps * |f(x)| / h, here with f = exp at x = 1
    assert E.error_estimates("exp", 1e-8).rounding == pytest.approx(
        np.finfo(float).eps * np.e / 1e-8)


def test_error_causes_name_the_error_the_estimates_say_dominates():
    assert E.error_causes("sin", 1e-1) == {"forward": "truncation (shrinks as h shrinks)",
                                           "central": "truncation (shrinks as h shrinks)"}
    assert E.error_causes("sin", 1e-12) == {"forward": "rounding (grows as h shrinks)",
                                            "central": "rounding (grows as h shrinks)"}
    # truncation estimated about 20 times the rounding: truncation, not "both"
    assert E.error_causes("sin", 1e-7)["forward"] == "truncation (shrinks as h shrinks)"
    # near the central difference's best h for sin (about 1e-5) neither error is to blame
    assert E.error_causes("sin", 1e-5)["central"] == "both about equal (near the best h)"
    # the book's parabola: a central difference has no truncation error at any h, so even
    # the largest h must not be blamed on h being too fine
    assert E.error_causes("book", 1e-1) == {
        "forward": "truncation (shrinks as h shrinks)",
        "central": "rounding only (this f has no truncation error here)"}


def test_error_causes_call_estimates_within_a_factor_of_3_about_equal():
    # for sin at x = 1 the forward truncation/rounding ratio is h²/(2ε); the explorer's
    # wording must switch where the docstring's factor of 3 says it does: just either side
    eps = np.finfo(float).eps
    ratios = (3.1, 2.9, 1 / 2.9, 1 / 3.1)
    forward = [E.error_causes("sin", np.sqrt(2 * r * eps))["forward"] for r in ratios]
    assert forward == ["truncation (shrinks as h shrinks)",
                       "both about equal (near the best h)",
                       "both about equal (near the best h)",
                       "rounding (grows as h shrinks)"]


def test_central_difference_is_the_courses_numerical_gradient():
    fn = E.DIFF_FUNCTIONS["sin"]
    course = numerical_gradient(lambda v: float(fn.f(v[0])), np.array([fn.x]))[0]
    assert E.central_difference(fn.f, fn.x, 1e-4) == course


# --- lesson 6: looking inside ---------------------------------------------------------


def test_image_shape():
    assert E.image_shape(784) == (28, 28) and E.image_shape(64) == (8, 8)
    assert E.image_shape(10) == (1, 10)


def test_mistakes_lists_exactly_the_wrong_predictions():
    x, t = blobs(60)
    net = TwoLayerNet(64, 5, 3, weight_init_std=1.0, rng=0)
    wrong, predicted, true = E.mistakes(net, x, t)
    expected = np.flatnonzero(net.predict(x).argmax(axis=1) != t)
    assert 0 < len(wrong) < len(x)
    np.testing.assert_array_equal(wrong, expected)
    np.testing.assert_array_equal(true, t[wrong])
    assert np.all(predicted != true)
    np.testing.assert_array_equal(E.mistakes(net, x, np.eye(3)[t])[0], expected)  # one-hot
    with pytest.raises(ValueError, match="expected 60 targets for 60 inputs; got 10"):
        E.mistakes(net, x, t[:10])


def test_look_inside_values_come_from_one_backward_pass_to_the_input():
    x, t = blobs(20)
    net = TwoLayerNet(64, 6, 3, weight_init_std=0.5, rng=1)
    v = E.look_inside_values(net, x, t, 7)
    assert v.image.shape == v.grad.shape == (8, 8) and v.index == 7 and v.label == t[7]
    np.testing.assert_allclose(v.probs, softmax(net.predict(x[7:8]))[0])
    np.testing.assert_array_equal(v.grad.ravel(), net.input_gradient(x[7:8], t[7:8]).ravel())
    assert v.predicted == int(np.argmax(v.probs))
    assert v.loss == pytest.approx(net.loss(x[7:8], t[7:8]))
    assert E.look_inside_values(net, x, t, -1).index == 19
    assert E.look_inside_values(net, x, t, -20).index == 0  # the lowest index Python allows
    with pytest.raises(IndexError, match="20 samples"):
        E.look_inside_values(net, x, t, 20)


def test_look_inside_values_refuses_targets_of_the_wrong_length():
    # targets cut to another length than the images no longer line up with them: the
    # digit shown could get another digit's label and loss, so refuse them up front
    x, t = blobs(20)
    net = TwoLayerNet(64, 6, 3, weight_init_std=0.5, rng=1)
    with pytest.raises(ValueError, match="expected 20 targets for 20 inputs; got 10"):
        E.look_inside_values(net, x, t[:10], 3)


def test_private_view_shares_weights_but_not_the_layers_caches():
    x, t = blobs(30)
    net = TwoLayerNet(64, 6, 3, weight_init_std=0.5, rng=2)
    view = E.private_view(net)
    net.gradient(x[:10], t[:10])
    cached, net_y = net.layers["Affine1"].x, net.last_layer.y
    E.look_inside_values(view, x, t, 3)
    assert net.layers["Affine1"].x is cached  # training's stored input is untouched
    assert net.last_layer.y is net_y  # and so is its softmax output
    net.params["W1"] -= 0.5  # an SGD step, in place, as train() does it
    np.testing.assert_allclose(view.predict(x[:4]), net.predict(x[:4]))


def test_private_view_of_a_network_unlike_two_layer_net_is_that_network():
    # a learner's own network may lack TwoLayerNet's layers or last_layer: "look inside"
    # should use it as it is, not crash copying what is not there
    class OnlyLayers:
        layers = {}

    only_layers, bare = OnlyLayers(), object()
    assert E.private_view(only_layers) is only_layers
    assert E.private_view(bare) is bare


# --- lesson 6: training in the background ---------------------------------------------


def test_evaluation_subset_is_fixed_sorted_and_unique():
    idx = evaluation_subset(60000)
    assert len(idx) == 10000 and np.all(np.diff(idx) > 0)
    np.testing.assert_array_equal(idx, evaluation_subset(60000))
    assert evaluation_subset(500) is None
    assert evaluation_subset(10000) is None  # all of them is no subset


def report_counter(*kinds):
    """({kind: 0, ...}, count): count(kind) is a callback that adds 1 to kind's number."""
    reports = dict.fromkeys(kinds, 0)

    def count(kind):
        return lambda run: reports.__setitem__(kind, reports[kind] + 1)

    return reports, count


def test_training_run_trains_in_place_with_a_subset_and_throttled_reports():
    x, t = blobs(300)
    xt, tt = blobs(90, seed=1)
    net = TwoLayerNet(64, 8, 3, weight_init_std=0.1, rng=0)
    reports, count = report_counter("progress", "plot", "done")

    run = TrainingRun(net, x, t, xt, tt, eval_size=100, iters_num=300, batch_size=30,
                      on_progress=count("progress"), on_plot=count("plot"),
                      on_done=count("done"), progress_interval=1e9, plot_interval=1e9)
    history = run.run()
    assert run.done and run.error is None and not history.stopped
    assert len(history.loss) == 300 and history.test_acc[-1] > 0.9
    # the first iteration reports, then the huge intervals hold every other report back
    assert reports == {"progress": 1, "plot": 1, "done": 1}
    assert run.eval_size == 100
    sub = run.eval_indices
    assert history.train_acc[-1] == net.accuracy(x[sub], t[sub])


def test_training_run_keeps_no_subset_of_all_the_data_and_a_fixed_one_of_more():
    x, t = blobs(100)
    small = TrainingRun(TwoLayerNet(64, 4, 3, rng=0), x, t, x, t, eval_size=100, iters_num=3)
    assert small.eval_size is None and small.eval_indices is None  # "on 100 images" is all
    # without iters_num, the run reports the number train() will do
    default = inspect.signature(training_run.train).parameters["iters_num"].default
    assert TrainingRun(TwoLayerNet(64, 4, 3, rng=0), x, t, x, t).iters_num == default
    run = TrainingRun(TwoLayerNet(64, 4, 3, rng=0), x, t, x, t, eval_size=50, iters_num=3,
                      seed=7)
    # the subset does not follow the training seed: the same settings, the same images
    np.testing.assert_array_equal(run.eval_indices, evaluation_subset(100, 50))


def test_training_run_stops_from_another_thread_and_keeps_the_weights():
    x, t = blobs(300)
    net = TwoLayerNet(64, 8, 3, rng=0)
    before = net.params["W1"].copy()
    started = threading.Event()
    run = TrainingRun(net, x, t, x, t, iters_num=10**6, batch_size=10,
                      on_progress=lambda r: started.set(), progress_interval=0)
    run.start()
    try:
        assert run.thread.daemon  # a kernel shutting down does not wait for it
        assert started.wait(30)
        assert run.running and run.join(0.05) is False  # still going: join says so
        run.stop()
    finally:
        run.stop()
        assert run.join(30)
    assert run.history.stopped and 0 < len(run.history.loss) < 10**6
    assert not np.array_equal(net.params["W1"], before)
    with pytest.raises(RuntimeError, match="runs once"):
        run.start()


def test_training_run_reports_an_error_instead_of_losing_it():
    x, t = blobs(50)
    done = []
    run = TrainingRun(TwoLayerNet(64, 4, 3), x, t, x, t[:10], iters_num=5,
                      on_done=done.append)
    run.start()
    assert run.join(30)
    assert isinstance(run.error, ValueError) and done == [run]


def test_plot_budget_spaces_out_slow_redraws():
    x, t = blobs(100)
    times = []

    def slow_plot(run):
        times.append(time.perf_counter())
        time.sleep(0.02)

    # each iteration takes at least 1 ms, so the run lasts long enough for a few redraws
    run = TrainingRun(TwoLayerNet(64, 4, 3, rng=0), x, t, x, t, iters_num=400, batch_size=5,
                      on_progress=lambda r: time.sleep(0.001), progress_interval=0.0,
                      on_plot=slow_plot, plot_interval=0.0, plot_budget=0.2)
    run.run()
    gaps = np.diff(times)
    assert len(times) >= 3 and np.all(gaps >= 0.02 / 0.2 - 1e-3)  # cost / budget
    assert run.plot_seconds >= 0.02 * len(times)  # the redraws' cost is what it counted


def test_one_slow_redraw_does_not_freeze_the_plot():
    # the dashboard redraws only its curves, except when its axes change: a wait of
    # cost / budget after such a full frame (5 s here) froze the plot for most of a run
    x, t = blobs(100)
    times = []

    def first_slow(run):
        times.append(time.perf_counter())
        time.sleep(0.05 if len(times) == 1 else 0.0)

    run = TrainingRun(TwoLayerNet(64, 4, 3, rng=0), x, t, x, t, iters_num=600, batch_size=5,
                      on_progress=lambda r: time.sleep(0.001), progress_interval=0.0,
                      on_plot=first_slow, plot_interval=0.0, plot_budget=0.01,
                      plot_max_wait=0.1)
    run.run()
    assert run.error is None
    assert len(times) >= 3, times  # a run of at least 0.6 s: the later, quick redraws follow
    assert 0.1 - 1e-3 <= times[1] - times[0] < 1.0  # capped, but still spaced out


def test_training_run_prints_nothing_and_measures_on_its_subset(capsys, monkeypatch):
    # the thread outlives the cell that started it: a print would land in whichever cell
    # is active then; and the subset is what keeps each epoch's measurement quick
    x, t = blobs(300)
    # (and no callbacks: the docstring makes each optional, so a missing one is skipped)
    run = TrainingRun(TwoLayerNet(64, 4, 3, rng=0), x, t, x, t, eval_size=100, iters_num=20,
                      batch_size=30)
    history = run.run()
    assert run.error is None and capsys.readouterr().out == ""
    assert len(history.loss) == 20 and run.iteration == 19
    assert run.cpu_seconds > 0  # what the benchmark reads
    calls = []
    monkeypatch.setattr(training_run, "train", lambda *args, **kwargs: calls.append(kwargs))
    run = TrainingRun(TwoLayerNet(64, 4, 3, rng=0), x, t, x, t, eval_size=100, iters_num=3)
    run.run()
    [kwargs] = calls
    assert kwargs["eval_indices"] is run.eval_indices and len(run.eval_indices) == 100


def test_training_run_reports_any_exception_not_only_a_value_error():
    # a RuntimeError (or anything else) from the learner's network must reach the
    # dashboard too: in a thread, an exception that escapes run() is printed nowhere
    class Broken(TwoLayerNet):
        def gradient(self, x, t):
            raise RuntimeError("broken backward")

    x, t = blobs(50)
    done = []
    run = TrainingRun(Broken(64, 4, 3, rng=0), x, t, x, t, iters_num=5, on_done=done.append)
    assert run.run() is None
    assert isinstance(run.error, RuntimeError) and done == [run] and run.done


def test_training_run_throttles_progress_and_plot_each_by_its_own_interval():
    # a progress bar every iteration, or a plot only once, would each be wrong the other
    # way round: the intervals must not be mixed up
    x, t = blobs(100)
    reports, count = report_counter("progress", "plot")

    run = TrainingRun(TwoLayerNet(64, 4, 3, rng=0), x, t, x, t, iters_num=50, batch_size=5,
                      on_progress=count("progress"), on_plot=count("plot"),
                      progress_interval=1e9, plot_interval=0.0, plot_budget=1.0)
    run.run()
    assert run.error is None
    assert reports["progress"] == 1 and reports["plot"] > 1


# --- import hygiene ---------------------------------------------------------------------


def test_importing_bpcourse_and_the_explorer_logic_loads_no_matplotlib_or_ipywidgets():
    code = ("import sys, bpcourse, bpcourse.explorers, bpcourse.training_run; "
            "print(sorted(m for m in ('matplotlib', 'ipywidgets') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("compute", [E.difference_errors,
                                     lambda name: E.error_estimates(name, 1e-4),
                                     lambda name: E.error_causes(name, 1e-4)],
                         ids=["difference_errors", "error_estimates", "error_causes"])
def test_every_lesson_2_function_names_the_functions_there_are(compute):
    # the lookup itself says it, not each caller: a bare KeyError('Sin') came before
    with pytest.raises(KeyError, match=r"unknown function 'Sin'; expected one of \['book', "
                                       r"'sin', 'exp'\] \(names are case-sensitive"):
        compute("Sin")
