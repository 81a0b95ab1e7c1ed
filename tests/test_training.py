import copy
import fractions
import re
import threading
import time
import tracemalloc

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from bpcourse import TwoLayerNet, gradient_check, layers, train
from bpcourse.training import TrainingHistory, _minibatches


def toy_data(seed=0, n=400):
    """Two well separated blobs in 8-D: any working SGD loop learns them."""
    rng = np.random.default_rng(seed)
    t = rng.integers(0, 2, size=n)
    x = rng.normal(size=(n, 8)) + 3.0 * t[:, None]
    return x[:300], t[:300], x[300:], t[300:]


def test_train_learns_and_records_history(capsys):
    x, t, xt, tt = toy_data()
    net = TwoLayerNet(8, 10, 2, weight_init_std=0.1, rng=0)
    history = train(net, x, t, xt, tt, iters_num=200, batch_size=30, learning_rate=0.1)
    assert len(history.loss) == 200
    # 300 / 30 = 10 iterations an epoch: 0, 10, ..., 190, plus the last one (199)
    assert history.measured_at == [*range(0, 200, 10), 199]
    assert len(history.train_acc) == len(history.test_acc) == 21
    assert history.test_acc[-1] > 0.95 and history.test_acc[0] < history.test_acc[-1]
    assert np.mean(history.loss[-20:]) < np.mean(history.loss[:20]) / 2
    out = capsys.readouterr().out
    assert out.count("train acc") == 21 and "iteration   199" in out
    # a cell that ends with `history` shows a summary, not every loss of the run
    assert repr(history) == (
        f"TrainingHistory(200 losses, last {history.loss[-1]:.4f}; 21 measurements, last at "
        f"iteration 199: train acc {history.train_acc[-1]:.4f}, test acc "
        f"{history.test_acc[-1]:.4f}; {history.seconds:.1f} s)")
    assert repr(TrainingHistory()) == "TrainingHistory(0 losses; 0 measurements; 0.0 s)"


def test_train_is_reproducible_with_a_seed():
    x, t, xt, tt = toy_data()
    runs = []
    for _ in range(2):
        net = TwoLayerNet(8, 10, 2, rng=0)
        runs.append(train(net, x, t, xt, tt, iters_num=50, batch_size=20, verbose=False))
    assert runs[0].loss == runs[1].loss
    # the accuracies come from another thread: they must not depend on its timing either
    assert runs[0].measured_at == runs[1].measured_at == [0, 15, 30, 45, 49]
    assert runs[0].train_acc == runs[1].train_acc and runs[0].test_acc == runs[1].test_acc
    # and the seed is what decides the mini-batches: another one draws others
    other = train(TwoLayerNet(8, 10, 2, rng=0), x, t, xt, tt, iters_num=50, batch_size=20,
                  verbose=False, seed=1)
    assert other.loss != runs[0].loss


def test_an_epoch_is_the_whole_batches_that_fit_in_the_data():
    x, t, xt, tt = toy_data()
    # 300 rows in batches of 40: an epoch is 7 iterations (300 // 40), not 8
    history = train(TwoLayerNet(8, 4, 2, rng=0), x, t, xt, tt, iters_num=20, batch_size=40,
                    verbose=False)
    assert history.measured_at == [0, 7, 14, 19]


def test_callback_stops_cleanly_and_the_network_keeps_its_state():
    x, t, xt, tt = toy_data()
    net = TwoLayerNet(8, 10, 2, rng=0)
    before = net.params["W1"].copy()
    history = train(net, x, t, xt, tt, iters_num=1000, batch_size=30, verbose=False,
                    callback=lambda i, h: i == 24)
    assert history.stopped and len(history.loss) == 25
    assert repr(history).endswith(", stopped early)")
    assert not np.array_equal(net.params["W1"], before)


def test_progress_bar_goes_to_stderr(capsys):
    x, t, xt, tt = toy_data()
    train(TwoLayerNet(8, 4, 2, rng=0), x, t, xt, tt, iters_num=100, batch_size=30,
          verbose=False, progress=True)
    out, err = capsys.readouterr()
    assert "100/100" in err and "#" * 40 in err
    # redrawn in place 50 times, then a new line, so the next output starts on its own
    assert err.count("\r") == 50 and err.endswith("\n")
    assert out == ""  # verbose=False: no accuracy lines


def test_a_short_run_draws_its_progress_bar_to_the_end(capsys):
    x, t, xt, tt = toy_data()
    train(TwoLayerNet(8, 4, 2, rng=0), x, t, xt, tt, iters_num=5, batch_size=30,
          verbose=False, progress=True)  # fewer iterations than the bar's 50 redraws
    assert "5/5" in capsys.readouterr().err


def test_mismatched_lengths_are_reported():
    x, t, xt, tt = toy_data()
    with pytest.raises(ValueError, match="x_train 300, t_train 299"):
        train(TwoLayerNet(8, 4, 2), x, t[:-1], xt, tt)
    with pytest.raises(ValueError, match="x_test 100, t_test 99"):  # before any update
        train(TwoLayerNet(8, 4, 2), x, t, xt, tt[:-1])


def test_the_recorded_loss_is_that_of_the_step_before_its_update():
    x, t, xt, tt = toy_data()
    first_batch = np.random.default_rng(0).integers(0, len(x), size=(3, 30))[0]
    expected = float(TwoLayerNet(8, 10, 2, rng=0).loss(x[first_batch], t[first_batch]))
    history = train(TwoLayerNet(8, 10, 2, rng=0), x, t, xt, tt, iters_num=3, batch_size=30,
                    verbose=False)
    # (approx: the run keeps BLAS on one thread, this line may not)
    assert history.loss[0] == pytest.approx(expected, rel=1e-12) and history.seconds > 0


# --- the accuracies are measured on a copy of the network, in a second thread ---------


def test_background_accuracies_are_those_of_the_network_at_that_iteration():
    x, t, xt, tt = toy_data()
    net = TwoLayerNet(8, 10, 2, weight_init_std=0.1, rng=0)
    seen = {}

    def measure_here(i, history):
        # the callback runs right after iteration i's update, like the copy taken for it
        if i % 10 == 0 or i == 99:
            seen[i] = (net.accuracy(x, t), net.accuracy(xt, tt))

    history = train(net, x, t, xt, tt, iters_num=100, batch_size=30, learning_rate=0.05,
                    verbose=False, callback=measure_here)
    assert history.measured_at == sorted(seen)
    measured = list(zip(history.train_acc, history.test_acc, strict=True))
    assert measured == [seen[i] for i in history.measured_at]
    assert len(set(history.train_acc)) > 3  # the network changed between measurements


def test_a_callback_sees_every_measurement_but_the_latest_whatever_the_timing():
    x, t, xt, tt = toy_data()
    points = [*range(0, 200, 10), 199]  # where train measures: every 10 iterations, last
    seen = []

    def check(i, history):
        started = [p for p in points if p <= i]
        seen.append(history.measured_at == started[:-1]
                    and len(history.train_acc) == len(history.test_acc) == len(started) - 1)

    class SlowToMeasure(TwoLayerNet):
        def accuracy(self, x, t, chunk_size=10000):
            time.sleep(0.002)  # slower than a few training steps: results would come late
            return super().accuracy(x, t, chunk_size)

    history = train(SlowToMeasure(8, 10, 2, rng=0), x, t, xt, tt, iters_num=200,
                    batch_size=30, verbose=False, callback=check)
    assert len(seen) == 200 and all(seen)
    assert history.measured_at == points


@pytest.mark.parametrize(("iters_num", "batch_size", "epochs"),
                         [(1, 30, [0]), (5, 30, [0, 4]), (5, 100, [0, 3, 4])])
def test_runs_shorter_than_an_epoch(iters_num, batch_size, epochs):
    x, t, xt, tt = toy_data()
    history = train(TwoLayerNet(8, 4, 2, rng=0), x, t, xt, tt, iters_num=iters_num,
                    batch_size=batch_size, verbose=False)
    assert len(history.loss) == iters_num and history.measured_at == epochs
    assert len(history.train_acc) == len(history.test_acc) == len(epochs)


def test_a_batch_larger_than_the_data_makes_every_iteration_an_epoch():
    x, t, xt, tt = toy_data()
    history = train(TwoLayerNet(8, 4, 2, rng=0), x[:50], t[:50], xt, tt, iters_num=3,
                    batch_size=100, verbose=False)
    assert history.measured_at == [0, 1, 2]


def test_one_hot_targets_are_measured_like_labels():
    x, t, xt, tt = toy_data()
    history = train(TwoLayerNet(8, 10, 2, weight_init_std=0.1, rng=0), x, np.eye(2)[t], xt,
                    np.eye(2)[tt], iters_num=100, batch_size=30, verbose=False)
    assert history.measured_at == [*range(0, 100, 10), 99] and history.test_acc[-1] > 0.95


def test_a_network_that_cannot_be_deep_copied_is_measured_in_the_loop():
    x, t, xt, tt = toy_data()

    class WithLock(TwoLayerNet):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.lock = threading.Lock()  # copy.deepcopy cannot copy a lock

    with pytest.raises(TypeError):
        copy.deepcopy(WithLock(8, 4, 2))
    kwargs = {"iters_num": 60, "batch_size": 30, "verbose": False}
    locked = train(WithLock(8, 10, 2, rng=0), x, t, xt, tt, **kwargs)
    plain = train(TwoLayerNet(8, 10, 2, rng=0), x, t, xt, tt, **kwargs)
    assert locked.measured_at == plain.measured_at == [*range(0, 60, 10), 59]
    assert locked.train_acc == plain.train_acc and locked.test_acc == plain.test_acc

    class CountedRefusal(TwoLayerNet):
        attempts = 0

        def __deepcopy__(self, memo):
            type(self).attempts += 1
            raise TypeError("cannot pickle '_thread.lock' object")

    refused = train(CountedRefusal(8, 10, 2, rng=0), x, t, xt, tt, **kwargs)
    assert refused.train_acc == plain.train_acc and refused.test_acc == plain.test_acc
    assert CountedRefusal.attempts == 1  # refused once: not tried again every epoch

    class BrokenCopy(TwoLayerNet):
        def __deepcopy__(self, memo):
            raise AttributeError("a bug in the network's own copying")

    with pytest.raises(AttributeError, match="a bug in the network's own copying"):
        train(BrokenCopy(8, 10, 2, rng=0), x, t, xt, tt, **kwargs)


def test_an_interrupt_during_a_measurement_leaves_no_thread_behind():
    x, t, xt, tt = toy_data()

    class Slow(TwoLayerNet):
        def accuracy(self, x, t, chunk_size=10000):
            time.sleep(0.2)
            return super().accuracy(x, t, chunk_size)

    def interrupt(i, history):
        if i == 2:  # while the measurement of iteration 0 is still running
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(Slow(8, 4, 2, rng=0), x, t, xt, tt, iters_num=50, batch_size=30,
              verbose=False, callback=interrupt)
    assert not [th for th in threading.enumerate() if th.name.startswith("bpcourse-")]


def test_an_error_in_the_measuring_thread_reaches_the_caller():
    x, t, xt, tt = toy_data()

    class Broken(TwoLayerNet):
        def accuracy(self, x, t, chunk_size=10000):
            raise ArithmeticError("accuracy failed on purpose")

    with pytest.raises(ArithmeticError, match="on purpose"):
        train(Broken(8, 4, 2, rng=0), x, t, xt, tt, iters_num=50, batch_size=30,
              verbose=False)


def test_a_stop_still_records_the_measurement_it_started():
    x, t, xt, tt = toy_data()
    history = train(TwoLayerNet(8, 10, 2, rng=0), x, t, xt, tt, iters_num=1000,
                    batch_size=30, verbose=False, callback=lambda i, h: i == 20)
    assert history.stopped and history.measured_at == [0, 10, 20]
    assert len(history.train_acc) == len(history.test_acc) == 3


def blas_threads_now():
    return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}


@pytest.fixture
def blas_on_two_threads():
    """BLAS on 2 threads, set from this (the main) thread, which so holds threadpoolctl's
    control, as a notebook cell's own limit would (whatever BLAS had before: a run of the
    whole suite, through notebooks/conftest.py, gives it one thread)."""
    with threadpool_limits(2, user_api="blas"):
        if blas_threads_now() != {2}:
            pytest.skip(f"this NumPy's BLAS cannot be set to 2 threads: {threadpool_info()}")
        yield


# np.int64: blas_threads takes any integer (a bool is refused, see the next tests but one)
@pytest.mark.parametrize("one", [1, np.int64(1)])
def test_training_runs_blas_on_the_threads_asked_for_and_gives_them_back(
        one, blas_on_two_threads):
    x, t, xt, tt = toy_data()
    seen = []

    def look(i, history):
        seen.append(blas_threads_now())

    history = train(TwoLayerNet(8, 4, 2, rng=0), x, t, xt, tt, iters_num=20, verbose=False,
                    callback=look, blas_threads=one)
    assert len(history.loss) == 20
    assert seen == [{1}] * 20
    assert blas_threads_now() == {2}
    seen.clear()
    train(TwoLayerNet(8, 4, 2, rng=0), x, t, xt, tt, iters_num=5, verbose=False,
          callback=look, blas_threads=None)
    assert seen == [{2}] * 5


def test_a_run_in_a_thread_that_lives_on_leaves_blas_to_the_notebook(blas_on_two_threads):
    # the dashboard trains in a thread of its own; threadpoolctl obeys one controlling
    # thread at a time, so a run that kept control would make the notebook's own limits
    # silently do nothing while that thread lives
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import OpenBLASController

    layers = {lib.get("threading_layer") for lib in threadpool_info()
              if lib["internal_api"] == "openblas"}
    if not hasattr(OpenBLASController, "clear_controlling_thread") or layers != {"pthreads"}:
        pytest.skip("only threadpoolctl 3.8 or later with a pthreads OpenBLAS has one "
                    f"controlling thread to hand back (here: OpenBLAS layers {layers})")
    x, t, xt, tt = toy_data()
    with ThreadPoolExecutor(1) as pool:
        pool.submit(train, TwoLayerNet(8, 4, 2, rng=0), x, t, xt, tt, iters_num=5,
                    verbose=False).result()
        assert blas_threads_now() == {2}
        with threadpool_limits(1, user_api="blas"):
            assert blas_threads_now() == {1}


def test_overlapping_runs_keep_one_blas_thread_until_the_last_ends_then_give_it_back(
        blas_on_two_threads):
    # the dashboard trains in a background thread while a cell may call train() too; the
    # order that once left BLAS at one thread for good: A starts, B starts, A ends, B ends
    before = blas_threads_now()
    x, t, xt, tt = toy_data()
    a_started, b_started = threading.Event(), threading.Event()
    seen = {}

    def a_callback(i, history):
        seen["A"] = blas_threads_now()
        a_started.set()
        assert b_started.wait(30)
        return True  # A ends while B still runs

    def run_a():
        # an error in this thread would only be a warning: keep it for the main thread
        try:
            seen["A stopped"] = train(TwoLayerNet(8, 4, 2, rng=0), x, t, xt, tt, iters_num=50,
                                      verbose=False, callback=a_callback).stopped
        except BaseException as error:
            seen["A failed"] = error

    def b_callback(i, history):
        b_started.set()
        a_thread.join(30)
        seen["B after A"] = blas_threads_now()
        return True

    a_thread = threading.Thread(target=run_a)
    a_thread.start()
    assert a_started.wait(30)
    train(TwoLayerNet(8, 4, 2, rng=0), x, t, xt, tt, iters_num=50, verbose=False,
          callback=b_callback)
    assert not a_thread.is_alive()
    # a run in a thread gets its one thread, and stops as its callback asked
    assert seen == {"A": {1}, "A stopped": True, "B after A": {1}}
    assert blas_threads_now() == before  # A's end kept B's, and B's end gave all back


@pytest.mark.parametrize("bad", [0, -1, 1.5, "1", True])
def test_bad_blas_threads_are_reported(bad):
    x, t, xt, tt = toy_data()
    error = TypeError if isinstance(bad, (str, bool)) else ValueError  # not a number at all
    with pytest.raises(error, match=r"blas_threads must be a whole number"):
        train(TwoLayerNet(8, 4, 2, rng=0), x, t, xt, tt, iters_num=5, blas_threads=bad)


def test_eval_indices_measure_train_accuracy_on_those_rows_only():
    x, t, xt, tt = toy_data()
    idx = np.arange(0, 300, 10)
    t = t.copy()
    t[idx] = 1 - t[idx]  # these 30 rows mislabelled: the network learns the other 270
    kwargs = {"iters_num": 60, "batch_size": 30, "verbose": False}
    net = TwoLayerNet(8, 10, 2, rng=0)
    history = train(net, x, t, xt, tt, eval_indices=idx, **kwargs)
    # the last measurement is of the final weights: on the subset, and on every test row
    assert history.train_acc[-1] == net.accuracy(x[idx], t[idx])
    assert history.test_acc[-1] == net.accuracy(xt, tt) > 0.95
    full = train(TwoLayerNet(8, 10, 2, rng=0), x, t, xt, tt, **kwargs)
    assert full.loss == history.loss  # the same training: only what is measured differs
    assert history.train_acc[-1] < 0.5 and full.train_acc[-1] > 0.8


@pytest.mark.parametrize("indices", [[300], [1.0]])
def test_eval_indices_that_index_nothing_are_named(indices):
    x, t, xt, tt = toy_data()
    with pytest.raises(IndexError, match=r"eval_indices must be whole numbers that index "
                                         r"x_train's 300 rows: "):
        train(TwoLayerNet(8, 4, 2, rng=0), x, t, xt, tt, iters_num=5, verbose=False,
              eval_indices=indices)


def test_empty_eval_indices_are_refused_before_training():
    x, t, xt, tt = toy_data()
    net = TwoLayerNet(8, 4, 2, rng=0)
    before = {key: value.copy() for key, value in net.params.items()}
    with pytest.raises(ValueError, match=r"eval_indices must pick at least one training row; "
                                         r"got an index array of shape \(0,\)"):
        train(net, x, t, xt, tt, iters_num=5, verbose=False, eval_indices=np.array([], int))
    for key, value in before.items():  # refused at once: not one update happened
        np.testing.assert_array_equal(net.params[key], value)


# --- arguments that do not fit are refused before the first update ---------------------


def refused_before_training(match, *args, error=ValueError, net=None, **kwargs):
    """train(net, *args, **kwargs) raises ``error`` matching ``match``, net untouched
    (net: a TwoLayerNet(8, 4, 2) unless given)."""
    net = TwoLayerNet(8, 4, 2, rng=0) if net is None else net
    before = {key: value.copy() for key, value in net.params.items()}
    with pytest.raises(error, match=match):
        train(net, *args, **{"iters_num": 5, "verbose": False, **kwargs})
    _unchanged(net, before)


def _unchanged(net, before):
    for key, value in before.items():
        np.testing.assert_array_equal(net.params[key], value, err_msg=key)


@pytest.mark.parametrize(("setting", "value", "error", "match"), [
    # 0 used to return an empty history; negatives failed with "negative dimensions"
    ("iters_num", 0, ValueError, "iters_num must be a whole number of at least 1, got 0"),
    ("iters_num", -3, ValueError, "iters_num must be a whole number of at least 1, got -3"),
    ("iters_num", 3.5, ValueError, r"iters_num must be a whole number of at least 1, got 3\.5"),
    # was ZeroDivisionError
    ("batch_size", 0, ValueError, "batch_size must be a whole number of at least 1, got 0"),
    ("batch_size", -1, ValueError, "batch_size must be a whole number of at least 1, got -1"),
    ("batch_size", True, TypeError, r"batch_size must be a whole number, got True \(bool\)"),
    # -0.1 silently ran gradient ascent
    ("learning_rate", -0.1, ValueError,
     r"learning_rate must be a finite number of at least 0, got -0\.1"),
    ("learning_rate", float("nan"), ValueError,
     "learning_rate must be a finite number of at least 0, got nan"),
    ("learning_rate", float("inf"), ValueError,
     "learning_rate must be a finite number of at least 0, got inf"),
    ("learning_rate", "0.1", TypeError,
     r"learning_rate must be a finite number, got '0\.1' \(str\)"),
    ("callback", 3, TypeError, "callback must be a function or None; got 3"),
])
def test_bad_settings_are_named(setting, value, error, match):
    refused_before_training(match, *toy_data(), error=error, **{setting: value})


def test_settings_may_be_any_kind_of_number():
    # as the dashboard takes them: 1e4 iterations, a NumPy 0-d array or a Fraction as rate
    x, t, xt, tt = toy_data()
    runs = [train(TwoLayerNet(8, 4, 2, rng=0), x, t, xt, tt, verbose=False, **settings)
            for settings in ({"iters_num": 5, "batch_size": 30, "learning_rate": 0.5},
                             {"iters_num": 5.0, "batch_size": np.int64(30),
                              "learning_rate": np.array(0.5)},
                             {"iters_num": 5, "batch_size": 30.0,
                              "learning_rate": fractions.Fraction(1, 2)})]
    for run in runs[1:]:
        assert run.loss == runs[0].loss


def test_a_learning_rate_of_zero_is_a_baseline_that_keeps_the_weights():
    x, t, xt, tt = toy_data()
    net = TwoLayerNet(8, 4, 2, rng=0)
    before = net.params["W1"].copy()
    history = train(net, x, t, xt, tt, iters_num=5, learning_rate=0, verbose=False)
    assert len(history.loss) == 5
    np.testing.assert_array_equal(net.params["W1"], before)


def test_bad_data_is_named_with_the_shape_as_passed():
    x, t, xt, tt = toy_data()
    # an empty x_train failed with "high <= 0"
    refused_before_training(r"train needs at least one sample in x_train; got x_train of "
                            r"shape \(0, 8\)", x[:0], t[:0], xt, tt)
    refused_before_training(r"at least one sample in x_test; got x_test of shape \(0, 8\)",
                            x, t, xt[:0], tt[:0])
    # float labels were reported with the minibatch's shape (30,), and only once drawn
    refused_before_training(r"t_train: targets must be integer labels .* got dtype float64 "
                            r"and shape \(300,\)", x, t.astype(float), xt, tt, batch_size=30)
    refused_before_training(r"t_test: targets must be integer labels of shape \(N,\) or "
                            r"one-hot rows of shape \(N, 2\); got dtype int64 and shape "
                            r"\(100, 3\)", x, t, xt, np.eye(3, dtype=np.int64)[tt])
    # a label out of range would fail only when a minibatch first drew it
    late = t.copy()
    late[123] = 2
    refused_before_training(r"t_train: labels must lie in 0..1; got values from 0 to 2",
                            x, late, xt, tt)
    # a bad one-hot row was found only when a minibatch drew it, after updates, as "row 0"
    onehot = np.eye(2)[t]
    onehot[250] = 1
    refused_before_training(r"t_train: .*row 250 is \[1\. 1\.\] \(sum 2\)", x, onehot, xt, tt)
    refused_before_training(r"x_train must hold one sample per row; got an array of shape "
                            r"\(300,\)", x[:, 0], t, xt, tt)
    refused_before_training(r"t_train must hold one target per row; got an array of shape "
                            r"\(\)", x, np.int64(1), xt, tt)
    refused_before_training(r"x_test of shape \(100, 7\) does not fit the network \(its first "
                            r"row, given to network.predict, raised: Affine expected input of "
                            r"shape \(N, 8\)", x, t, xt[:, :7], tt)


def test_array_likes_train_like_arrays():
    x, t, xt, tt = toy_data()
    kwargs = {"iters_num": 20, "batch_size": 30, "verbose": False}
    as_lists = train(TwoLayerNet(8, 4, 2, rng=0), x.tolist(), t.tolist(), xt.tolist(),
                     tt.tolist(), **kwargs)  # was "only integer scalar arrays can be ..."
    as_arrays = train(TwoLayerNet(8, 4, 2, rng=0), x, t, xt, tt, **kwargs)
    assert as_lists.loss == as_arrays.loss and as_lists.test_acc == as_arrays.test_acc


def test_a_gradient_that_forgets_a_key_stops_training_before_updating_anything():
    x, t, xt, tt = toy_data()

    class ForgetsB2(TwoLayerNet):
        def gradient(self, x, t):
            grads = super().gradient(x, t)
            del grads["b2"]
            return grads

    # W1, b1 and W2 used to be updated, and then KeyError 'b2' came
    refused_before_training(r"network.gradient\(\) returned gradients that lack \['b2'\], "
                            r"compared with network.params \['W1', 'b1', 'W2', 'b2'\]; this "
                            "step updated no parameter", x, t, xt, tt,
                            net=ForgetsB2(8, 4, 2, rng=0))


def test_a_gradient_of_the_wrong_shape_or_none_stops_training_before_updating_anything():
    x, t, xt, tt = toy_data()

    class SumsWithoutAxis(TwoLayerNet):  # db = np.sum(dout): one number for all biases
        def gradient(self, x, t):
            grads = super().gradient(x, t)
            grads["b1"] = np.sum(grads["b1"])
            return grads

    class ForgetsReturn(TwoLayerNet):
        def gradient(self, x, t):
            super().gradient(x, t)

    class KeepsLocalDW(TwoLayerNet):  # Affine2's backward wrote dW = ..., not self.dW = ...
        def gradient(self, x, t):
            grads = super().gradient(x, t)
            grads["W2"] = None
            return grads

    # a () gradient used to broadcast into b1, giving all four biases the same update
    refused_before_training(r"network.gradient\(\)\['b1'\] has shape \(\), but "
                            r"network.params\['b1'\] has shape \(4,\) \(a bias gradient sums "
                            r"dout over the batch axis only: np.sum\(dout, axis=0\), lesson "
                            r"5\); this step updated no parameter", x, t, xt, tt,
                            net=SumsWithoutAxis(8, 4, 2, rng=0))
    refused_before_training(r"returned gradients that are not a dict keyed like "
                            r"network.params \['W1', 'b1', 'W2', 'b2'\]: got NoneType \(a "
                            r"function that forgets its `return`", x, t, xt, tt, error=TypeError,
                            net=ForgetsReturn(8, 4, 2, rng=0))
    # np.shape(None) is (): it used to be called a bias summed over every axis
    refused_before_training(r"network.gradient\(\)\['W2'\] is None, so this step updated no "
                            r"parameter: does the layer's backward store its gradients on self "
                            r"\(self.dW = ...", x, t, xt, tt,
                            error=TypeError, net=KeepsLocalDW(8, 4, 2, rng=0))


def test_a_replaced_params_array_is_refused_before_training():
    x, t, xt, tt = toy_data()
    net = TwoLayerNet(8, 4, 2, rng=0)
    old = net.layers["Affine1"].W.copy()
    net.params["W1"] = np.ones((8, 4))  # the layers still hold the old W1
    # it used to train without a word, W1 never changed what the network computes
    with pytest.raises(ValueError, match=r"network.params\['W1'\] is held by none of the "
                                         r"layers \['Affine1', 'Relu1', 'Affine2'\]: most "
                                         r"likely it was replaced.*network.params\['W1'\]"
                                         r"\[...\] = "):
        train(net, x, t, xt, tt, iters_num=5, verbose=False)
    np.testing.assert_array_equal(net.layers["Affine1"].W, old)
    # gradient_check says the same: its loop read the replaced W1 as max_rel 1, a broken
    # backward pass, and its batched method pointed at method='loop'
    for method in ("batched", "loop"):
        with pytest.raises(ValueError, match=r"network.params\['W1'\] is held by none"):
            gradient_check(net, x[:3], t[:3], method=method)
    # a layer that keeps a reference to params must not make every params array look held
    net.layers["Affine2"].owner = net.params
    with pytest.raises(ValueError, match=r"network.params\['W1'\] is held by none"):
        train(net, x, t, xt, tt, iters_num=5, verbose=False)
    net = TwoLayerNet(8, 4, 2, rng=0)
    net.params["W1"][...] = 0.5  # in place: the way to set new values
    history = train(net, x, t, xt, tt, iters_num=50, verbose=False)
    assert not np.all(net.layers["Affine1"].W == 0.5) and history.test_acc[-1] > 0.9


def test_a_loss_that_overflows_stops_training_and_says_why():
    x, t, xt, tt = toy_data()
    net = TwoLayerNet(8, 4, 2, rng=0)
    after_each_step = []

    def snapshot(i, history):
        after_each_step.append({key: value.copy() for key, value in net.params.items()})

    # it used to go on with nan weights and report an accuracy that argmax made up
    with np.errstate(over="ignore", invalid="ignore"), \
            pytest.raises(FloatingPointError, match=r"the loss of mini-batch (\d+) is "
                                                    r"(nan|inf): .*learning rate is too large "
                                                    r"\(this run: 1e\+06; the book uses "
                                                    r"0.1\)") as caught:
        train(net, x, t, xt, tt, iters_num=100, learning_rate=1e6, verbose=False,
              callback=snapshot)
    failed_at = int(re.match(r"the loss of mini-batch (\d+)", str(caught.value))[1])
    assert failed_at == len(after_each_step) > 0  # the steps before it all went through
    _unchanged(net, after_each_step[-1])  # and the failing one updated nothing
    assert "grown too large (or become nan)" in str(caught.value)


def test_a_loss_that_is_not_finite_from_the_start_points_at_the_data():
    x, t, xt, tt = toy_data()
    x = x.copy()
    x[:, 0] = np.inf  # every mini-batch holds it
    with np.errstate(invalid="ignore"), \
            pytest.raises(FloatingPointError, match=r"mini-batch 0 is nan: it holds "
                                                    r"x_train\[\d+\], which has nan or inf in "
                                                    r"it; look for nan or inf in the data"
                          ) as caught:
        train(TwoLayerNet(8, 4, 2, rng=0), x, t, xt, tt, iters_num=5, verbose=False)
    assert "learning rate" not in str(caught.value)  # which is not to blame


def test_one_bad_row_drawn_late_is_named_not_blamed_on_the_learning_rate():
    x, t, xt, tt = toy_data()
    x = x.copy()
    batches = list(_minibatches(np.random.default_rng(0), len(x), 50, 10))
    row = next(r for r in batches[7] if all(r not in b for b in batches[:7]))
    x[row, 3] = np.nan
    with np.errstate(invalid="ignore"), \
            pytest.raises(FloatingPointError, match=rf"mini-batch 7 is nan: it holds "
                                                    rf"x_train\[{row}\], which has nan"):
        train(TwoLayerNet(8, 4, 2, rng=0), x, t, xt, tt, iters_num=50, batch_size=10,
              verbose=False)


def test_weights_that_start_out_not_finite_are_named_at_the_first_mini_batch():
    x, t, xt, tt = toy_data()
    net = TwoLayerNet(8, 4, 2, rng=0)
    net.params["W2"][0, 0] = np.inf
    with np.errstate(invalid="ignore", over="ignore"), \
            pytest.raises(FloatingPointError, match=r"mini-batch 0 is (nan|inf): the network's "
                                                    r"scores overflowed at the very first "
                                                    r"mini-batch, before any update: look for "
                                                    r"nan or inf in the initial weights"):
        train(net, x, t, xt, tt, iters_num=5, verbose=False)


# the measurement thread's matmul warns: np.errstate here would not reach that thread
@pytest.mark.filterwarnings("ignore:invalid value encountered in matmul:RuntimeWarning")
def test_test_data_that_is_not_finite_is_an_error_not_an_accuracy():
    x, t, xt, tt = toy_data()
    xt = xt.copy()
    xt[3, 1] = np.inf
    with pytest.raises(ValueError, match=r"^x_test\[3\] holds nan or inf, so its scores are "
                                         r"not finite and no class can be picked"):
        train(TwoLayerNet(8, 4, 2, rng=0), x, t, xt, tt, iters_num=50, verbose=False)


@pytest.mark.filterwarnings("ignore:invalid value encountered in matmul:RuntimeWarning")
def test_a_bad_training_row_measured_through_eval_indices_is_named_by_its_own_index():
    x, t, xt, tt = toy_data()
    x = x.copy()
    x[150, 2] = np.nan
    # the measurement sees x_train[100:200]: its row 50 is x_train's row 150. One
    # iteration, whose mini-batch misses row 150, so that the measurement meets it first
    assert 150 not in np.random.default_rng(0).integers(0, 300, size=(1, 2))[0]
    with np.errstate(invalid="ignore"), pytest.raises(
            ValueError, match=r"^x_train\[150\] holds nan or inf"):
        train(TwoLayerNet(8, 4, 2, rng=0), x, t, xt, tt, iters_num=1, batch_size=2,
              eval_indices=np.arange(100, 200), verbose=False)


@pytest.mark.parametrize("seed, error", [("a", TypeError), (-1, ValueError), (1.5, TypeError)])
def test_a_seed_that_is_no_seed_is_named(seed, error):
    x, t, xt, tt = toy_data()
    with pytest.raises(error, match=rf"seed must be a whole number of at least 0 \(a seed\), "
                                    rf"a numpy.random.Generator or None; got {seed!r}"):
        train(TwoLayerNet(8, 4, 2, rng=0), x, t, xt, tt, iters_num=5, seed=seed,
              verbose=False)


def test_weights_that_the_last_update_overflows_are_reported():
    x, t, xt, tt = toy_data()
    net = TwoLayerNet(8, 4, 2, rng=0, dtype=np.float32)

    def blow_up_last(i, history):  # as if the last update had overflowed
        if i == 4:
            net.params["W2"][0, 0] = np.inf

    with pytest.raises(FloatingPointError, match=r"the last update left weights that are not "
                                                 r"finite: the learning rate \(0.1\)"):
        train(net, x, t, xt, tt, iters_num=5, verbose=False, callback=blow_up_last)


class _Wrapped:
    """A layer that holds an Affine inside it, and keeps its own state in __slots__."""

    __slots__ = ("inner", "dW", "db")

    def __init__(self, W, b):
        self.inner = layers.Affine(W, b, input_grad=False)

    def forward(self, x):
        return self.inner.forward(x)

    def backward(self, dout):
        result = self.inner.backward(dout)
        self.dW, self.db = self.inner.dW, self.inner.db
        return result


def test_params_held_inside_a_wrapping_layer_are_found():
    x, t, xt, tt = toy_data()
    net = TwoLayerNet(8, 4, 2, rng=0)
    net.layers["Affine1"] = _Wrapped(net.params["W1"], net.params["b1"])
    # it was refused as "replaced", or raised TypeError from vars() on a __slots__ layer
    history = train(net, x, t, xt, tt, iters_num=50, verbose=False)
    assert history.test_acc[-1] > 0.9
    net.params["b1"] = net.params["b1"].copy()  # now it is replaced
    with pytest.raises(ValueError, match=r"network.params\['b1'\] is held by none of the "
                                         r"layers \['Affine1', 'Relu1', 'Affine2'\]: most "
                                         r"likely it was replaced"):
        train(net, x, t, xt, tt, iters_num=5, verbose=False)


@pytest.mark.parametrize("iters_num, batch_size, block_size", [
    (37, 3, 10), (37, 3, 1), (5, 100, 1000), (5, 4, 10**6), (1, 1, 1)])
def test_minibatches_drawn_in_blocks_are_those_of_one_draw(iters_num, batch_size, block_size):
    whole = np.random.default_rng(3).integers(0, 50, size=(iters_num, batch_size))
    blocks = list(_minibatches(np.random.default_rng(3), 50, iters_num, batch_size,
                               block_size=block_size))
    np.testing.assert_array_equal(np.array(blocks), whole)


def test_minibatches_of_a_very_long_run_are_drawn_as_they_are_needed():
    tracemalloc.start()  # NumPy reports its arrays to tracemalloc
    try:
        batches = _minibatches(np.random.default_rng(0), 60000, 10**9, 100)
        first = next(batches)  # all of a billion iterations' indices would be 800 GB
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert first.shape == (100,) and first.max() < 60000
    assert peak < 20e6  # one block: 10,000 rows of 100 indices, 8 MB


def test_a_gradient_with_an_extra_key_stops_training():
    # lesson 6's extension with W3 in gradient() but not in params: W3 would never learn
    x, t, xt, tt = toy_data()

    class ExtraW3(TwoLayerNet):
        def gradient(self, x, t):
            return {**super().gradient(x, t), "W3": np.zeros((2, 2))}

    with pytest.raises(ValueError, match=r"have extra \['W3'\]"):
        train(ExtraW3(8, 4, 2, rng=0), x, t, xt, tt, iters_num=5, verbose=False)
