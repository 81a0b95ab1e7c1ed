import numpy as np
import pytest

from bpcourse import Affine, Relu, TwoLayerNet, train, widgets
from bpcourse.explorers import look_inside_values, mistakes
from bpcourse.gradient import gradient_check


def small_batch(seed=0, n=3, d=12, c=4):
    rng = np.random.default_rng(seed)
    return rng.random((n, d)), rng.integers(0, c, size=n)


def test_book_api_shapes_and_layers():
    net = TwoLayerNet(784, 50, 10, rng=0)
    assert {k: v.shape for k, v in net.params.items()} == {
        "W1": (784, 50), "b1": (50,), "W2": (50, 10), "b2": (10,)}
    assert list(net.layers) == ["Affine1", "Relu1", "Affine2"]
    assert net.layers["Affine1"].W is net.params["W1"]
    assert net.predict(np.zeros((2, 784))).shape == (2, 10)
    assert not np.any(net.params["b1"]) and net.params["W1"].std() == pytest.approx(0.01, rel=0.05)
    assert not np.any(net.params["b2"])


def test_seed_makes_weights_reproducible_and_dtype_is_chosen():
    a, b = TwoLayerNet(5, 4, 3, rng=7), TwoLayerNet(5, 4, 3, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a.params["W1"], b.params["W1"])
    c = TwoLayerNet(5, 4, 3, rng=8)
    assert not np.array_equal(a.params["W1"], c.params["W1"])
    f32 = TwoLayerNet(5, 4, 3, rng=7, dtype=np.float32)
    assert all(p.dtype == np.float32 for p in f32.params.values())
    assert f32.dtype == np.float32 and a.dtype == np.float64  # lesson 6 prints it
    with pytest.raises(ValueError, match="floating.*int64"):
        TwoLayerNet(5, 4, 3, dtype=np.int64)


@pytest.mark.parametrize("args, error, message", [
    ((784, 0, 10), ValueError, "hidden_size must be a whole number of at least 1, got 0"),
    ((784, -5, 10), ValueError, "hidden_size .* got -5"),
    ((784.5, 50, 10), ValueError, "input_size .* got 784.5"),
    (("784", 50, 10), TypeError, "input_size must be a whole number, got '784'"),
    ((784, 50, 1), ValueError, "output_size must be a whole number of at least 2, got 1"),
    ((784, 50, 10, -1), ValueError, "weight_init_std .* at least 0, got -1"),
    ((784, 50, 10, float("nan")), ValueError, "weight_init_std .* got nan"),
])
def test_constructor_names_the_setting_that_is_wrong(args, error, message):
    with pytest.raises(error, match=message):
        TwoLayerNet(*args)


def test_constructor_takes_whole_floats_numpy_ints_and_a_zero_scale():
    net = TwoLayerNet(5.0, np.int64(4), 3, weight_init_std=0)
    assert net.params["W1"].shape == (5, 4) and not np.any(net.params["W1"])


@pytest.mark.parametrize("one_hot", [False, True])
def test_backprop_matches_numerical_gradient_for_every_parameter(one_hot):
    x, labels = small_batch()
    t = np.eye(4)[labels] if one_hot else labels
    net = TwoLayerNet(12, 6, 4, weight_init_std=0.5, rng=1)
    diffs = gradient_check(net, x, t)
    assert set(diffs) == {"W1", "b1", "W2", "b2"}
    for key, d in diffs.items():
        assert d.mean_abs < 1e-9, key
        assert d.max_rel < 1e-6, key


def test_gradient_check_catches_a_wrong_backward():
    x, t = small_batch()
    net = TwoLayerNet(12, 6, 4, weight_init_std=0.5, rng=1)
    relu = net.layers["Relu1"]
    relu.backward = lambda dout: dout  # "forgets" the mask
    diffs = gradient_check(net, x, t)
    assert diffs["W1"].max_rel > 1e-3


def test_float32_network_stays_float32_end_to_end():
    x, t = small_batch()
    net = TwoLayerNet(12, 6, 4, rng=1, dtype=np.float32)
    grads = net.gradient(x.astype(np.float32), t)
    assert all(g.dtype == np.float32 for g in grads.values())
    assert net.predict(x).dtype == np.float32  # float64 data does not upcast the network
    assert net.loss(x, t).dtype == np.float32


def test_accuracy_chunked_equals_unchunked_and_accepts_one_hot():
    rng = np.random.default_rng(2)
    x, t = rng.random((25, 12)), rng.integers(0, 4, size=25)
    net = TwoLayerNet(12, 6, 4, weight_init_std=1.0, rng=3)
    whole = float(np.mean(net.predict(x).argmax(axis=1) == t))
    assert net.accuracy(x, t, chunk_size=7) == pytest.approx(whole)
    assert net.accuracy(x, np.eye(4)[t]) == pytest.approx(whole)
    with pytest.raises(ValueError, match="25 targets.*24"):
        net.accuracy(x, t[:24])
    labels = net.predict_labels(x, chunk_size=7)
    assert labels.shape == (25,)
    np.testing.assert_array_equal(labels, net.predict(x).argmax(axis=1))
    assert net.predict_labels(x[:0]).shape == (0,)
    with pytest.raises(ValueError, match=r"accuracy needs at least one sample in x; got x of "
                                         r"shape \(0, 12\)"):
        net.accuracy(x[:0], t[:0])


def test_gradient_leaves_the_batch_loss_and_input_gradient_matches_numerical():
    from bpcourse import numerical_gradient

    x, t = small_batch()
    net = TwoLayerNet(12, 6, 4, weight_init_std=0.5, rng=1)
    net.gradient(x, t)
    assert net.last_layer.loss == pytest.approx(net.loss(x, t))
    dx = net.input_gradient(x, t)
    num = numerical_gradient(lambda v: float(net.loss(v, t)), x.copy())
    assert dx.shape == x.shape
    np.testing.assert_allclose(dx, num, atol=1e-9)
    assert net.layers["Affine1"].input_grad is False  # restored for fast training
    with pytest.raises(ValueError):
        net.input_gradient(x, t[:-1])  # one target short
    assert net.layers["Affine1"].input_grad is False  # restored after an error too
    # restored means put back as it was: a learner's own True stays True
    net.layers["Affine1"].input_grad = True
    net.input_gradient(x, t)
    assert net.layers["Affine1"].input_grad is True


def test_accuracy_refuses_targets_that_do_not_match_the_inputs():
    x, t = small_batch()
    net = TwoLayerNet(12, 6, 4, rng=1)
    for wrong in (t[:-1], np.r_[t, 0]):
        with pytest.raises(ValueError, match=f"expected {len(x)} targets"):
            net.accuracy(x, wrong)


def test_scores_that_are_not_finite_are_an_error_that_says_where_not_an_accuracy():
    # argmax picks class 0 for a row of nan: accuracy came out as a plausible fraction
    net = TwoLayerNet(4, 3, 2, rng=0)
    x = np.ones((5, 4))
    x[3, 2] = np.nan
    with pytest.raises(ValueError, match=r"x\[3\] holds nan or inf, so its scores are not "
                                         r"finite and no class can be picked: look for nan"):
        net.accuracy(x, [0, 1, 0, 1, 0], chunk_size=2)
    net.params["W2"][0, 1] = np.nan
    with pytest.raises(ValueError, match=r"the network's parameters \['W2'\] hold nan or "
                                         r"inf \(a training run that diverged leaves them "
                                         r"so\), so no class can be picked for x\[0\]"):
        net.predict_labels(np.ones((2, 4)))
    net = TwoLayerNet(4, 3, 2, rng=0)
    net.params["W1"][...] = 1e300  # every score -inf: no class is larger than another
    with np.errstate(over="ignore", invalid="ignore"), \
            pytest.raises(ValueError, match=r"the scores of x\[0\] overflowed to inf or nan"):
        net.predict_labels(np.full((2, 4), 1e10))


def test_a_single_infinite_score_still_picks_its_class():
    # float16 overflows easily, and one +inf (or a -inf beside finite scores) is still clear
    net = TwoLayerNet(2, 2, 3, rng=0)
    scores = np.array([[np.inf, 0.0, 1.0], [-np.inf, 0.0, 1.0], [np.inf, np.inf, 0.0]])
    net.predict = lambda x: scores[:len(x)]
    assert net.predict_labels(np.ones((2, 2))).tolist() == [0, 2]
    with pytest.raises(ValueError, match=r"the scores of x\[2\] overflowed"):
        net.predict_labels(np.ones((3, 2)))  # two +inf: which one?


@pytest.mark.parametrize("chunk_size", [0, -1, 2.5])
def test_a_chunk_size_that_is_not_a_whole_number_of_at_least_1_is_named(chunk_size):
    with pytest.raises(ValueError, match=rf"chunk_size must be a whole number of at least 1, "
                                         rf"got {chunk_size}"):
        TwoLayerNet(4, 3, 2, rng=0).accuracy(np.ones((2, 4)), [0, 1], chunk_size=chunk_size)


def test_a_seed_that_is_no_seed_is_named():
    with pytest.raises(TypeError, match=r"rng must be a whole number of at least 0 \(a seed\), "
                                        r"a numpy.random.Generator or None; got 'a' \(str\)"):
        TwoLayerNet(4, 3, 2, rng="a")


def test_accuracy_names_the_shape_of_x_as_passed():
    x, t = small_batch()
    net = TwoLayerNet(12, 6, 4, rng=1)
    # one image without its batch axis was taken for 12 one-pixel inputs, and the error
    # blamed the targets ("expected 12 targets for 12 inputs; got 1")
    with pytest.raises(ValueError, match=r"Affine expected input of shape \(N, 12\) .*, or \(N, "
                                         r"\.\.\.\) with 12 values per sample; got shape "
                                         r"\(12,\) \(for one sample, pass x\[np.newaxis\]\)"):
        net.accuracy(x[0], t[:1])
    with pytest.raises(ValueError, match=r"got shape \(3, 11\)$"):
        net.accuracy(x[:, :11], t)
    assert net.accuracy(x[:1], t[:1]) == net.accuracy(x.reshape(3, 3, 4)[:1], t[:1])


class ThreeLayerNet(TwoLayerNet):
    """Lesson 6's suggested extension: a second hidden layer, Relu2 and Affine3."""

    def __init__(self, sizes, rng):
        d, h1, h2, c = sizes
        super().__init__(d, h1, h2, weight_init_std=0.5, rng=rng)
        rng = np.random.default_rng(rng)
        self.params["W3"], self.params["b3"] = 0.5 * rng.standard_normal((h2, c)), np.zeros(c)
        self.layers["Relu2"] = Relu()
        self.layers["Affine3"] = Affine(self.params["W3"], self.params["b3"])

    def gradient(self, x, t):
        grads = super().gradient(x, t)
        grads["W3"], grads["b3"] = self.layers["Affine3"].dW, self.layers["Affine3"].db
        return grads


@pytest.mark.parametrize("h2", [3, 7])  # fewer and more hidden units than the 4 classes
def test_a_second_hidden_layer_needs_only_the_changes_lesson_6_lists(h2):
    # lesson 6: add Relu2 and Affine3, W3 and b3, and their gradients; nothing else. The
    # number of classes used to be read from W2, which then holds the hidden width
    x, labels = small_batch(n=30)
    net = ThreeLayerNet((12, 6, h2, 4), rng=1)
    assert net.output_size == 4 and net.predict(x).shape == (30, 4)
    for key, d in gradient_check(net, x[:3], labels[:3]).items():
        assert d.max_rel < 1e-6, key
    for t in (labels, np.eye(4)[labels]):
        assert net.accuracy(x, t) == np.mean(net.predict(x).argmax(axis=1) == labels)
    history = train(net, x, labels, x, labels, iters_num=20, batch_size=10, verbose=False)
    assert len(history.train_acc) == len(history.measured_at) > 1
    wrong, _, true = mistakes(net, x, labels)
    np.testing.assert_array_equal(true, labels[wrong])
    assert look_inside_values(net, x, labels, 0).probs.shape == (4,)
    inside = widgets.look_inside(net, x, labels)
    assert inside.view.probs.shape == (4,)
    assert ("through SoftmaxWithLoss, Affine3, Relu2, Affine2, Relu1 and Affine1 down to the "
            "pixels") in inside.readout.value


def test_parameters_holding_inf_are_named():
    net = TwoLayerNet(4, 3, 2, rng=0)
    net.params["W2"][0, 1] = np.inf
    net.params["W2"][1, 1] = -np.inf
    with np.errstate(invalid="ignore"), pytest.raises(
            ValueError, match=r"the network's parameters \['W2'\] hold nan or inf"):
        net.predict_labels(np.ones((2, 4)))
