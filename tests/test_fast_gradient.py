"""The batched numerical gradient measures what the element-by-element loop measures."""

from collections import OrderedDict

import numpy as np
import pytest

from bpcourse import TwoLayerNet, numerical_gradient
from bpcourse.functions import softmax_cross_entropy
from bpcourse.gradient import batched_numerical_gradient, compare_gradients, gradient_check
from bpcourse.layers import Affine, MulLayer, Relu, Sigmoid, SoftmaxWithLoss


def mnist_like(n=3, seed=0):
    """n images shaped like MNIST's: 784 pixels in [0, 1], most of them blank."""
    rng = np.random.default_rng(seed)
    x = np.where(rng.random((n, 784)) < 0.2, rng.random((n, 784)), 0.0)
    return x, rng.integers(0, 10, size=n)


@pytest.fixture(scope="module")
def real_shaped():
    """Notebook 6's check: TwoLayerNet(784, 50, 10), float64, 3 images; both gradients.

    The loop takes a few seconds, so the module computes it once.
    """
    x, t = mnist_like()
    net = TwoLayerNet(784, 50, 10, rng=0)
    analytic = {k: v.copy() for k, v in net.gradient(x, t).items()}
    return analytic, batched_numerical_gradient(net, x, t), net.numerical_gradient(x, t)


def test_batched_equals_loop_entry_by_entry_on_a_real_shaped_network(real_shaped):
    _, batched, loop = real_shaped
    assert list(batched) == ["W1", "b1", "W2", "b2"]
    for key in loop:
        assert batched[key].shape == loop[key].shape and batched[key].dtype == np.float64
        # both are central differences with h = 1e-4; they differ only by rounding noise
        # (about 1e-12 here), far below any real backprop error
        np.testing.assert_allclose(batched[key], loop[key], rtol=0, atol=1e-9, err_msg=key)
    assert np.count_nonzero(loop["W1"]) > 1000  # the check compared real numbers, not zeros


def test_the_mean_abs_differences_the_notebook_prints_agree(real_shaped):
    analytic, batched, loop = real_shaped
    fast, slow = compare_gradients(analytic, batched), compare_gradients(analytic, loop)
    for key in slow:
        # These means are rounding noise of about 1e-12 to 1e-10: the two methods round
        # differently, so they agree only to within about 1% (at most 0.6% over ten seeds and
        # image choices; here, with seed 0, to 0.01%), closer than they vary across BLAS builds.
        assert fast[key].mean_abs == pytest.approx(slow[key].mean_abs, rel=0.02), key
        assert fast[key].mean_abs < 1e-9 and fast[key].max_rel < 1e-6, key


def net_built_like_two_layer_net(seed=0):
    """A deeper network with Sigmoid as well: Affine-Sigmoid-Affine-Relu-Affine."""
    rng = np.random.default_rng(seed)
    net = TwoLayerNet(6, 5, 4, weight_init_std=0.5, rng=seed)
    net.params.update(W3=rng.normal(size=(4, 3)), b3=rng.normal(size=3))
    net.layers = OrderedDict([
        ("Affine1", Affine(net.params["W1"], net.params["b1"], input_grad=False)),
        ("Sigmoid1", Sigmoid()),
        ("Affine2", Affine(net.params["W2"], net.params["b2"])),
        ("Relu2", Relu()),
        ("Affine3", Affine(net.params["W3"], net.params["b3"])),
    ])
    return net


@pytest.mark.parametrize("one_hot", [False, True])
def test_any_network_built_like_two_layer_net(one_hot):
    rng = np.random.default_rng(1)
    x, labels = rng.normal(size=(4, 2, 3)), rng.integers(0, 3, size=4)  # images get flattened
    t = np.eye(3)[labels] if one_hot else labels
    net = net_built_like_two_layer_net()
    batched = batched_numerical_gradient(net, x, t)
    loop = net.numerical_gradient(x, t)
    assert set(batched) == {"W1", "b1", "W2", "b2", "W3", "b3"}
    for key in loop:
        np.testing.assert_allclose(batched[key], loop[key], rtol=0, atol=1e-9, err_msg=key)


def test_step_size_chunks_and_state():
    x, t = np.random.default_rng(2).random((3, 12)), np.array([0, 3, 1])
    net = TwoLayerNet(12, 6, 4, weight_init_std=0.5, rng=1)
    before = {k: v.copy() for k, v in net.params.items()}
    whole = batched_numerical_gradient(net, x, t, h=1e-3)
    chunked = batched_numerical_gradient(net, x, t, h=1e-3, max_rows=7)  # 1 entry a chunk
    # the layers are left holding this batch, not thousands of stacked copies
    assert net.layers["Affine2"].x.shape == (3, 6)
    assert net.last_layer.loss == net.loss(x, t)
    for key, param in net.params.items():
        loop = numerical_gradient(lambda _: float(net.loss(x, t)), param, h=1e-3)
        np.testing.assert_allclose(whole[key], loop, rtol=0, atol=1e-9, err_msg=key)
        np.testing.assert_allclose(chunked[key], whole[key], rtol=0, atol=1e-12, err_msg=key)
        assert param.tobytes() == before[key].tobytes()  # the parameters are never nudged


def test_max_rows_caps_every_chunk_and_params_order_does_not_matter():
    x, t = np.random.default_rng(2).random((3, 12)), np.array([0, 3, 1])
    net = TwoLayerNet(12, 6, 4, weight_init_std=0.5, rng=1)
    heights = []

    class Spy(Relu):
        def forward(self, x):
            heights.append(len(x))
            return super().forward(x)

    net.layers["Relu1"] = Spy()
    reference = batched_numerical_gradient(net, x, t)
    heights.clear()
    batched_numerical_gradient(net, x, t, max_rows=12)  # 2 entries of 2 x 3 rows a chunk
    assert max(heights) <= 12
    # the layers end up holding the plain batch whatever order params lists them in
    net.params = dict(reversed(list(net.params.items())))
    again = batched_numerical_gradient(net, x, t)
    assert net.layers["Affine2"].x.shape == (3, 6)
    for key in reference:
        np.testing.assert_array_equal(again[key], reference[key])


def test_a_loss_that_differs_only_by_rounding_is_accepted():
    x, t = np.random.default_rng(6).random((3, 12)), np.array([2, 0, 1])

    class Rounded(TwoLayerNet):  # as another BLAS might round the same sums
        def loss(self, x, t):
            return super().loss(x, t) * (1 + 1e-14)

    grads = batched_numerical_gradient(Rounded(12, 6, 4, weight_init_std=0.5, rng=1), x, t)
    assert set(grads) == {"W1", "b1", "W2", "b2"}


def test_float32_network_gets_float32_gradients():
    x, t = np.random.default_rng(3).random((2, 12)), np.array([0, 3])
    net = TwoLayerNet(12, 6, 4, weight_init_std=0.5, rng=1, dtype=np.float32)
    grads = batched_numerical_gradient(net, x, t)
    assert all(g.dtype == np.float32 for g in grads.values())
    # the loop too: the two methods must give the same kind of answer
    assert all(g.dtype == np.float32 for g in net.numerical_gradient(x, t).values())


def test_gradient_check_methods_and_errors():
    x, t = np.random.default_rng(4).random((3, 12)), np.array([2, 0, 1])
    net = TwoLayerNet(12, 6, 4, weight_init_std=0.5, rng=1)
    fast, slow = gradient_check(net, x, t), gradient_check(net, x, t, method="loop")
    for key in slow:
        assert fast[key].mean_abs < 1e-9 and slow[key].mean_abs < 1e-9, key
    with pytest.raises(ValueError, match="method must be 'batched' or 'loop'"):
        gradient_check(net, x, t, method="fast")

    net.layers["Mul"] = MulLayer()
    with pytest.raises(TypeError, match="not MulLayer; use method='loop'"):
        batched_numerical_gradient(net, x, t)
    del net.layers["Mul"]
    net.params["extra"] = np.zeros(3)
    with pytest.raises(TypeError, match=r"\['extra'\] are not the W or b"):
        batched_numerical_gradient(net, x, t)
    del net.params["extra"]
    net.last_layer = Relu()
    with pytest.raises(TypeError, match="SoftmaxWithLoss last_layer"):
        gradient_check(net, x, t)


def nan_weight(net):
    net.params["W2"][0, 0] = np.nan


def huge_biases(net):
    net.params["b2"][:] = [1e308, -1e308, -1e308, -1e308]  # scores 2e308 apart: loss inf


@pytest.mark.parametrize("diverge, shown", [(nan_weight, "nan"), (huge_biases, "inf")])
def test_a_loss_that_is_not_finite_is_named_not_blamed_on_the_network(diverge, shown):
    x, t = np.random.default_rng(4).random((3, 12)), np.array([2, 0, 1])
    net = TwoLayerNet(12, 6, 4, weight_init_std=0.5, rng=1)
    diverge(net)  # as if training had diverged
    for method in ("batched", "loop"):
        with pytest.raises(ValueError, match=rf"network.loss\(x, t\) is {shown}: a gradient "
                                             "check needs a finite loss"):
            with np.errstate(over="ignore"):
                gradient_check(net, x, t, method=method)


def test_networks_the_batched_method_would_get_wrong_are_refused():
    x, t = np.random.default_rng(6).random((3, 12)), np.array([2, 0, 1])

    class WeightDecayNet(TwoLayerNet):
        def loss(self, x, t):
            return super().loss(x, t) + 0.5 * 1e-3 * np.sum(self.params["W1"] ** 2)

    net = WeightDecayNet(12, 6, 4, weight_init_std=0.5, rng=1)
    with pytest.raises(TypeError, match="its loss or predict adds something"):
        gradient_check(net, x, t)
    # the loop differentiates the loss itself, so it sees the decay term: what the
    # batched method would have missed
    loop = net.numerical_gradient(x, t)
    plain = TwoLayerNet(12, 6, 4, weight_init_std=0.5, rng=1).numerical_gradient(x, t)
    np.testing.assert_allclose(loop["W1"] - plain["W1"], 1e-3 * net.params["W1"], atol=1e-8)

    net = TwoLayerNet(12, 4, 4, weight_init_std=0.5, rng=1)  # W2 is square: reusable
    net.layers["Relu2"] = Relu()
    net.layers["Affine2_again"] = net.layers["Affine2"]  # one layer used twice: tied weights
    net.loss(x, t)  # a network that runs, so only the sharing can be refused
    with pytest.raises(TypeError, match="shares one with an earlier layer"):
        batched_numerical_gradient(net, x, t)
    # a layer of its own that reuses only an earlier layer's W is refused as well
    net = TwoLayerNet(12, 4, 4, weight_init_std=0.5, rng=1)
    net.layers["Relu2"] = Relu()
    net.layers["Affine3"] = Affine(net.params["W2"], np.zeros(4))
    net.params["b3"] = net.layers["Affine3"].b
    with pytest.raises(TypeError, match="shares one with an earlier layer"):
        batched_numerical_gradient(net, x, t)
    # or only its b
    net = TwoLayerNet(12, 4, 4, weight_init_std=0.5, rng=1)
    net.layers["Relu2"] = Relu()
    net.layers["Affine3"] = Affine(np.random.default_rng(0).normal(size=(4, 4)),
                                   net.params["b2"])
    net.params["W3"] = net.layers["Affine3"].W
    with pytest.raises(TypeError, match="shares one with an earlier layer"):
        batched_numerical_gradient(net, x, t)

    # one array under two keys is no sharing between layers: both keys get its gradient
    net = TwoLayerNet(12, 6, 4, weight_init_std=0.5, rng=1)
    net.params["W1_again"] = net.params["W1"]
    batched, loop = batched_numerical_gradient(net, x, t), net.numerical_gradient(x, t)
    assert batched.keys() == loop.keys() == {"W1", "b1", "W2", "b2", "W1_again"}
    for key in loop:
        np.testing.assert_allclose(batched[key], loop[key], rtol=0, atol=1e-9)
    np.testing.assert_array_equal(batched["W1_again"], batched["W1"])


def test_softmax_cross_entropy_per_sample_losses():
    x = np.random.default_rng(5).normal(size=(4, 3))
    labels = np.array([0, 2, 1, 1])
    mean, y = softmax_cross_entropy(x, labels)
    for t in (labels, np.eye(3)[labels]):
        each, y_each = softmax_cross_entropy(x, t, reduction="none")
        assert each.shape == (4,)
        np.testing.assert_allclose(each, -np.log(y[np.arange(4), labels]), rtol=1e-12)
        assert each.mean() == pytest.approx(mean, rel=1e-15)
        np.testing.assert_array_equal(y_each, y)
    assert SoftmaxWithLoss().forward(x, labels) == mean
    with pytest.raises(ValueError, match="reduction must be 'mean' or 'none'"):
        softmax_cross_entropy(x, labels, reduction="sum")


def test_an_empty_batch_is_refused_by_both_methods():
    x, t = np.random.default_rng(4).random((3, 12)), np.array([2, 0, 1])
    net = TwoLayerNet(12, 6, 4, weight_init_std=0.5, rng=1)
    for method in ("batched", "loop"):
        with pytest.raises(ValueError, match=r"gradient_check needs at least one sample "
                                             r"in x; got x of shape \(0, 12\)"):
            gradient_check(net, x[:0], t[:0], method=method)
    with pytest.raises(ValueError, match="at least one sample"):
        batched_numerical_gradient(net, x[:0], t[:0])


def test_a_nudge_lost_to_rounding_is_refused_by_both_methods():
    # float32 is allowed (lesson 6 shows what it costs), but where w + h rounds back to w
    # the numerical gradient would be a false 0: refused, naming the parameter
    x, t = np.random.default_rng(4).random((3, 12)), np.array([2, 0, 1])
    net = TwoLayerNet(12, 6, 4, weight_init_std=0.5, rng=1, dtype=np.float32)
    assert gradient_check(net, x, t)["W1"].max_rel < 1  # float32 works, if roughly
    net.params["b2"][3] = 5000.0
    with pytest.raises(ValueError, match=r"lost in float32: params\['b2'\]\[3\] = 5000.0"
                                         r".*Use float64"):
        gradient_check(net, x, t)
    # the loop's own numerical_gradient refuses it, one parameter at a time (its "x")
    with pytest.raises(ValueError, match=r"lost in float32: x\[3\] = 5000.0.*Use float64"):
        gradient_check(net, x, t, method="loop")


def test_the_loop_method_leaves_the_step_to_the_networks_own_numerical_gradient():
    # a network whose numerical_gradient takes a larger h: 3000 + 0.01 survives in float32
    # (stored 0.1% off), 3000 + 1e-4 does not, so gradient_check must not refuse it on the
    # strength of the default h
    class CoarseStepNet(TwoLayerNet):
        def numerical_gradient(self, x, t):
            return {key: numerical_gradient(lambda _: self.loss(x, t), param, h=1e-2)
                    for key, param in self.params.items()}

    x, t = np.random.default_rng(4).random((3, 12)), np.array([2, 0, 1])
    net = CoarseStepNet(12, 6, 4, weight_init_std=0.5, rng=1, dtype=np.float32)
    net.params["b2"][3] = 3000.0
    assert set(gradient_check(net, x, t, method="loop")) == {"W1", "b1", "W2", "b2"}
    with pytest.raises(ValueError, match=r"lost in float32: params\['b2'\]\[3\] = 3000.0"):
        gradient_check(net, x, t)  # the batched check, with the default h


def test_a_gradient_that_forgets_a_key_fails_the_check():
    x, t = np.random.default_rng(4).random((3, 12)), np.array([2, 0, 1])

    class ForgetsB2(TwoLayerNet):
        def gradient(self, x, t):
            grads = super().gradient(x, t)
            del grads["b2"]
            return grads

    net = ForgetsB2(12, 6, 4, weight_init_std=0.5, rng=1)
    for method in ("batched", "loop"):
        with pytest.raises(ValueError, match=r"analytic gradients lack \['b2'\]"):
            gradient_check(net, x, t, method=method)
