import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from bpcourse import (
    AddLayer,
    Affine,
    MulLayer,
    Relu,
    Sigmoid,
    SoftmaxWithLoss,
    numerical_gradient,
    softmax,
)

finite = st.floats(-3, 3, allow_nan=False, allow_infinity=False)


def max_rel_error(a, n):
    # the worst entry's error against the gradient's largest entry: an entry-by-entry ratio
    # would blow up rounding noise on entries near zero
    return float(np.max(np.abs(a - n)) / max(np.max(np.abs(a)), np.max(np.abs(n)), 1e-300))


def check_against_numerical(forward, backward, x, rng):
    """Loss = sum(forward(x) * R) for a random R, so dL/d(out) = R."""
    upstream = rng.normal(size=np.shape(forward(x.copy())))
    analytic = backward(upstream)
    numerical = numerical_gradient(lambda v: float(np.sum(forward(v) * upstream)), x)
    assert max_rel_error(analytic, numerical) < 1e-6


# --- the shopping example: the numbers the source prints ----------------------------------

def test_apple_example_reproduces_the_source_exactly():
    apple, apple_num, tax = 100, 2, 1.1
    mul_apple, mul_tax = MulLayer(), MulLayer()
    price = mul_tax.forward(mul_apple.forward(apple, apple_num), tax)
    dapple_price, dtax = mul_tax.backward(1)
    dapple, dapple_num = mul_apple.backward(dapple_price)
    assert repr(price) == "220.00000000000003"
    assert [repr(v) for v in (dapple, dapple_num, dtax)] == ["2.2", "110.00000000000001", "200"]


def test_apple_orange_example_reproduces_the_source_exactly():
    apple, apple_num, orange, orange_num, tax = 100, 2, 150, 3, 1.1
    mul_apple, mul_orange, add, mul_tax = MulLayer(), MulLayer(), AddLayer(), MulLayer()
    all_price = add.forward(mul_apple.forward(apple, apple_num),
                            mul_orange.forward(orange, orange_num))
    price = mul_tax.forward(all_price, tax)
    dall_price, dtax = mul_tax.backward(1.0)  # the source starts this one from 1.0
    dapple_price, dorange_price = add.backward(dall_price)
    dorange, dorange_num = mul_orange.backward(dorange_price)
    dapple, dapple_num = mul_apple.backward(dapple_price)
    assert repr(price) == "715.0000000000001"
    got = [repr(v) for v in (dapple, dapple_num, dorange, dorange_num, dtax)]
    assert got == ["2.2", "110.00000000000001", "3.3000000000000003", "165.0", "650.0"]


# --- every backward against numerical gradients (float64) ---------------------------------

@given(arrays(np.float64, array_shapes(max_dims=3, max_side=4), elements=finite),
       arrays(np.float64, array_shapes(max_dims=3, max_side=4), elements=finite),
       st.integers(0, 2**32 - 1))
def test_mul_and_add_backward_match_numerical(x, y_source, seed):
    rng = np.random.default_rng(seed)
    y = np.resize(y_source, x.shape)
    for layer_type in (MulLayer, AddLayer):
        layer = layer_type()
        layer.forward(x, y)
        dout = rng.normal(size=x.shape)
        dx, dy = layer.backward(dout)

        def loss(a, b, layer_type=layer_type, dout=dout):
            return float(np.sum(layer_type().forward(a, b) * dout))

        num_dx = numerical_gradient(lambda v: loss(v, y), x.copy())
        num_dy = numerical_gradient(lambda v: loss(x, v), y.copy())
        assert max_rel_error(dx, num_dx) < 1e-6
        assert max_rel_error(dy, num_dy) < 1e-6


@given(arrays(np.float64, array_shapes(max_dims=3, max_side=5),
              elements=finite.filter(lambda v: abs(v) > 1e-3)),
       st.integers(0, 2**32 - 1))
def test_relu_backward_matches_numerical(x, seed):
    # entries within h of the kink at 0 are left out: there the difference quotient
    # straddles the kink and is wrong by design (lesson 6 shows this)
    layer = Relu()
    layer.forward(x)
    check_against_numerical(lambda v: Relu().forward(v), layer.backward, x,
                            np.random.default_rng(seed))


@given(arrays(np.float64, array_shapes(max_dims=3, max_side=5), elements=finite),
       st.integers(0, 2**32 - 1))
def test_sigmoid_backward_matches_numerical(x, seed):
    layer = Sigmoid()
    layer.forward(x)
    check_against_numerical(lambda v: Sigmoid().forward(v), layer.backward, x,
                            np.random.default_rng(seed))


@given(st.integers(1, 4), st.integers(1, 5), st.integers(1, 4), st.integers(0, 2**32 - 1),
       st.booleans())
def test_affine_backward_matches_numerical(n, d, m, seed, as_images):
    rng = np.random.default_rng(seed)
    shape = (n, 1, 1, d) if as_images else (n, d)
    x, W, b = rng.normal(size=shape), rng.normal(size=(d, m)), rng.normal(size=m)
    layer = Affine(W, b)
    out = layer.forward(x)
    dout = rng.normal(size=out.shape)
    dx = layer.backward(dout)
    assert dx.shape == x.shape

    def loss(_):
        return float(np.sum(Affine(W, b).forward(x) * dout))

    assert max_rel_error(dx, numerical_gradient(loss, x)) < 1e-6
    assert max_rel_error(layer.dW, numerical_gradient(loss, W)) < 1e-6
    assert max_rel_error(layer.db, numerical_gradient(loss, b)) < 1e-6


@given(st.integers(1, 5), st.integers(2, 6), st.integers(0, 2**32 - 1), st.booleans())
def test_softmax_with_loss_backward_matches_numerical(n, c, seed, one_hot):
    rng = np.random.default_rng(seed)
    x = rng.normal(scale=3, size=(n, c))
    labels = rng.integers(0, c, size=n)
    t = np.eye(c)[labels] if one_hot else labels
    layer = SoftmaxWithLoss()
    layer.forward(x, t)
    dx = layer.backward(1)
    num = numerical_gradient(lambda v: float(SoftmaxWithLoss().forward(v, t)), x)
    assert max_rel_error(dx, num) < 1e-6


def test_softmax_with_loss_one_hot_and_labels_agree_and_scale_with_dout():
    x = np.random.default_rng(3).normal(size=(4, 3))
    labels = np.array([2, 0, 1, 1])
    a, b = SoftmaxWithLoss(), SoftmaxWithLoss()
    assert a.forward(x, labels) == pytest.approx(b.forward(x, np.eye(3)[labels]), rel=1e-15)
    np.testing.assert_allclose(a.backward(2.0), 2 * b.backward(1))
    single = SoftmaxWithLoss()
    single.forward(x[0], 2)
    np.testing.assert_allclose(single.backward(), a.backward() [0] * 4)


def test_softmax_with_loss_huge_logits_stay_finite():
    layer = SoftmaxWithLoss()
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        loss = layer.forward(np.array([[1e4, -1e4, 0.0]]), np.array([1]))
        dx = layer.backward()
    assert loss == pytest.approx(2e4)
    np.testing.assert_allclose(dx, [[1.0, -1.0, 0.0]])


# --- nothing is mutated -------------------------------------------------------------------

def _all_layers(rng):
    W, b = rng.normal(size=(4, 3)), rng.normal(size=3)
    yield Relu(), (rng.normal(size=(5, 4)),)
    yield Sigmoid(), (rng.normal(size=(5, 4)),)
    yield Affine(W, b), (rng.normal(size=(5, 4)),)
    yield Affine(np.arange(12).reshape(4, 3), np.arange(3)), (rng.normal(size=(5, 4)),)
    yield MulLayer(), (rng.normal(size=(5, 4)), rng.normal(size=(5, 4)))
    yield AddLayer(), (rng.normal(size=(5, 4)), rng.normal(size=(5, 4)))


def test_no_layer_mutates_inputs_or_upstream_gradient():
    rng = np.random.default_rng(0)
    for layer, inputs in _all_layers(rng):
        before = [a.copy() for a in inputs]
        out = layer.forward(*inputs)
        out_before = out.copy()
        dout = rng.normal(size=out.shape)
        dout[0, 0] = 5.0
        dout_before = dout.copy()
        grads = layer.backward(dout)
        grads = grads if isinstance(grads, tuple) else (grads,)
        for g in grads:  # writing into a returned gradient must not reach the caller's arrays
            g[...] = 123.0
        for a, a0 in zip(inputs, before, strict=True):
            np.testing.assert_array_equal(a, a0, err_msg=type(layer).__name__)
        np.testing.assert_array_equal(dout, dout_before, err_msg=type(layer).__name__)
        np.testing.assert_array_equal(out, out_before, err_msg=type(layer).__name__)


def test_relu_mask_and_output_are_not_views_of_the_input():
    x = np.array([[1.0, -0.5], [-2.0, 3.0]])
    layer = Relu()
    out = layer.forward(x)
    np.testing.assert_array_equal(layer.mask, [[False, True], [True, False]])
    np.testing.assert_array_equal(out, [[1.0, 0.0], [0.0, 3.0]])
    np.testing.assert_array_equal(x, [[1.0, -0.5], [-2.0, 3.0]])


def test_softmax_with_loss_does_not_mutate_targets():
    x = np.random.default_rng(0).normal(size=(3, 4))
    t = np.eye(4)[[0, 1, 2]]
    t_before, x_before = t.copy(), x.copy()
    layer = SoftmaxWithLoss()
    layer.forward(x, t)
    layer.backward()
    np.testing.assert_array_equal(t, t_before)
    np.testing.assert_array_equal(x, x_before)


# --- clear errors -------------------------------------------------------------------------

@pytest.mark.parametrize("layer", [MulLayer(), AddLayer(), Relu(), Sigmoid(),
                                   Affine(np.zeros((2, 2)), np.zeros(2)), SoftmaxWithLoss()])
def test_backward_before_forward_is_a_clear_error(layer):
    with pytest.raises(RuntimeError, match="before .*forward"):
        layer.backward(np.ones((1, 2)) if not isinstance(layer, SoftmaxWithLoss) else 1)


def test_affine_wrong_feature_count_names_both_shapes():
    layer = Affine(np.zeros((784, 50)), np.zeros(50))
    with pytest.raises(ValueError, match=r"\(N, 784\).*\(784, 50\).*\(2, 783\)"):
        layer.forward(np.zeros((2, 783)))


@pytest.mark.parametrize("layer, inputs, bad", [
    (Affine(np.zeros((3, 2)), np.zeros(2)), (np.zeros((4, 3)),), (4, 3)),
    (Relu(), (np.zeros((4, 3)),), (3, 4)),
    (Sigmoid(), (np.zeros((4, 3)),), (4,)),
    (MulLayer(), (np.zeros(3), np.zeros(3)), (2,)),
    (AddLayer(), (np.zeros(3), np.zeros(3)), (3, 1)),
])
def test_dout_of_wrong_shape_names_expected_and_received(layer, inputs, bad):
    out = layer.forward(*inputs)
    with pytest.raises(ValueError, match=rf"expected dout of shape {tuple(out.shape)}.*"
                                         rf"got shape {bad}".replace("(", r"\(")
                                         .replace(")", r"\)")):
        layer.backward(np.zeros(bad))


def test_softmax_with_loss_rejects_non_scalar_dout():
    layer = SoftmaxWithLoss()
    layer.forward(np.zeros((2, 3)), np.array([0, 1]))
    with pytest.raises(ValueError, match="scalar dout"):
        layer.backward(np.ones(2))


# --- float32 stays float32 ----------------------------------------------------------------

def test_float32_layers_stay_float32():
    rng = np.random.default_rng(0)
    f32 = np.float32
    x = rng.normal(size=(5, 4)).astype(f32)
    affine = Affine(rng.normal(size=(4, 3)).astype(f32), np.zeros(3, f32))
    relu, sigmoid, loss = Relu(), Sigmoid(), SoftmaxWithLoss()
    out = sigmoid.forward(relu.forward(affine.forward(x)))
    value = loss.forward(out, np.eye(3, dtype=np.int64)[[0, 1, 2, 0, 1]])
    assert out.dtype == f32 and value.dtype == f32
    dx = affine.backward(relu.backward(sigmoid.backward(loss.backward(1))))
    assert dx.dtype == f32 and affine.dW.dtype == f32 and affine.db.dtype == f32
    # a NumPy float64 dout scales the gradient; it must not promote it
    assert loss.backward(np.float64(1.0)).dtype == f32
    # float64 data fed to a float32 layer is computed in float32, not upcast
    assert affine.forward(x.astype(np.float64)).dtype == f32


# --- edge cases: broadcasting, the kink at 0, lists, one sample ----------------------------

def test_mul_and_add_sum_a_broadcast_input_back_to_its_shape():
    x = np.arange(6.0).reshape(2, 3)
    y = np.array([10.0, 20.0, 30.0])  # broadcast over x's two rows
    dout = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    mul = MulLayer()
    mul.forward(x, y)
    dx, dy = mul.backward(dout)
    np.testing.assert_array_equal(dx, dout * y)
    np.testing.assert_array_equal(dy, (dout * x).sum(axis=0))  # each y[k] fed two products
    add = AddLayer()
    add.forward(x, y)
    dx, dy = add.backward(dout)
    assert dx.shape == (2, 3) and dy.shape == (3,)
    np.testing.assert_array_equal(dy, dout.sum(axis=0))
    # a scalar times an array: dout has the array's shape, the scalar's gradient is a sum
    mul.forward(2.0, y)
    dx, dy = mul.backward(np.ones(3))
    assert np.shape(dx) == () and dx == y.sum()
    np.testing.assert_array_equal(dy, [2.0, 2.0, 2.0])


def test_relu_stops_the_gradient_at_exactly_zero_as_the_book_does():
    relu = Relu()
    np.testing.assert_array_equal(relu.forward([0.0, 1.0, -1.0]), [0.0, 1.0, 0.0])  # a list
    np.testing.assert_array_equal(relu.mask, [True, False, True])
    np.testing.assert_array_equal(relu.backward(np.ones(3)), [0.0, 1.0, 0.0])


def test_affine_refuses_a_single_sample_without_its_batch_axis():
    # with D = 1 a (N,) vector could pass for N samples; it must come as (N, 1)
    with pytest.raises(ValueError, match=r"shape \(N, 1\).*got shape \(3,\)"):
        Affine(np.ones((1, 2)), np.zeros(2)).forward(np.arange(3.0))


def test_softmax_with_loss_takes_one_sample_with_one_label():
    loss = SoftmaxWithLoss()
    scores = np.array([1.0, 2.0, 3.0])
    value = loss.forward(scores, np.array([2]))
    assert value == pytest.approx(np.log(np.exp(scores).sum()) - 3.0, rel=1e-12)
    assert loss.backward().shape == (3,)


# --- SoftmaxWithLoss checks its targets and its batch --------------------------------------

def _rows_of_ones():
    t = np.zeros((2, 3))
    t[[0, 1]] = 1  # meant t[[0, 1], labels] = 1: every entry of both rows is set
    return t


@pytest.mark.parametrize("t", [
    _rows_of_ones(),
    np.array([[2, 2, 2], [0, 0, 0]]),  # label values typed into the rows
    np.array([[1.5, -0.5, 0.0], [0.0, 0.0, 1.0]]),  # sums to 1 but is not a distribution
    np.array([[np.nan, 0.0, 1.0], [0.0, 0.0, 1.0]]),
], ids=["rows of ones", "labels in rows", "negative", "nan"])
def test_softmax_with_loss_refuses_rows_that_are_not_distributions(t):
    with pytest.raises(ValueError, match=r"non-negative numbers that sum to 1; row 0 is"):
        SoftmaxWithLoss().forward(np.zeros((2, 3)), t)


def test_softmax_with_loss_accepts_soft_labels_and_float32_rounding():
    x = np.array([[1.0, 2.0, 3.0]])
    soft = np.array([[0.2, 0.3, 0.5]])
    expected = -np.sum(soft * np.log(np.exp(x) / np.exp(x).sum()))
    assert SoftmaxWithLoss().forward(x, soft) == pytest.approx(expected, rel=1e-12)
    # another network's float32 probabilities as targets: rounding leaves their sum off 1
    rng = np.random.default_rng(0)
    for _ in range(7):
        teacher = softmax(rng.normal(size=(1, 10)).astype(np.float32))
    assert teacher.sum(dtype=np.float32) != 1
    SoftmaxWithLoss().forward(np.zeros((1, 10), dtype=np.float32), teacher)


def test_softmax_with_loss_of_an_empty_batch_names_its_shape():
    with pytest.raises(ValueError, match=r"at least one sample.*shape \(0, 3\)"):
        SoftmaxWithLoss().forward(np.zeros((0, 3)), np.zeros(0, int))


def test_softmax_with_loss_reports_the_shapes_as_passed():
    # one sample's scores (10,) with a batch-of-one target (1, 10): say (1, 10), not (10,)
    with pytest.raises(ValueError, match=r"scores of shape \(10,\).*targets of shape \(1, 10\)"):
        SoftmaxWithLoss().forward(np.zeros(10), np.eye(10)[[3]])
    with pytest.raises(ValueError, match=r"scores of shape \(3,\).*targets of shape \(2,\)"):
        SoftmaxWithLoss().forward(np.zeros(3), np.array([0, 1]))


# --- what a learner types by hand: integer weights, lists, None ----------------------------

def test_affine_with_integer_weights_computes_in_float64():
    W, b = np.array([[1, 2, 3], [4, 5, 6]]), np.array([1, 2, 3])
    layer = Affine(W, b)
    out = layer.forward(np.array([[0.5, 1.0]]))
    np.testing.assert_array_equal(out, [[5.5, 8.0, 10.5]])  # not truncated to [[5, 7, 9]]
    assert out.dtype == np.float64
    layer.backward(np.ones((1, 3)))
    np.testing.assert_array_equal(layer.dW, [[0.5, 0.5, 0.5], [1.0, 1.0, 1.0]])
    assert layer.W is W and layer.b is b  # the very arrays: in-place updates reach the layer


def test_affine_takes_lists_for_weights_input_and_dout():
    layer = Affine([[1, 2, 3], [4, 5, 6]], [1, 2, 3])
    np.testing.assert_array_equal(layer.forward([[0.5, 1.0]]), [[5.5, 8.0, 10.5]])
    dx = layer.backward([[1.0, 0.0, 2.0]])
    np.testing.assert_array_equal(dx, [[7.0, 16.0]])  # dout @ W.T
    np.testing.assert_array_equal(layer.db, [1.0, 0.0, 2.0])


def test_mul_and_add_layers_compute_on_lists_elementwise():
    add, mul = AddLayer(), MulLayer()
    np.testing.assert_array_equal(add.forward([100, 150], [200, 450]), [300, 600])  # not joined
    np.testing.assert_array_equal(mul.forward([100, 150], 2), [200, 300])  # not repeated
    dx, dy = add.backward([1.0, 2.0])
    np.testing.assert_array_equal(dx, [1.0, 2.0])
    assert dx is not dy  # two arrays, not one list handed out twice
    dx, dy = mul.backward((1.0, 1.0))
    np.testing.assert_array_equal(dx, [2.0, 2.0])
    assert dy == 250.0
    # Python numbers stay Python numbers: lesson 3 prints 650, not np.int64(650)
    assert type(add.forward(200, 450)) is int and type(mul.forward(100, 1.1)) is float


@pytest.mark.parametrize("layer, inputs", [
    (Relu(), (np.zeros((2, 6)),)),
    (Sigmoid(), (np.zeros((2, 6)),)),
    (Affine(np.zeros((6, 3)), np.zeros(3)), (np.zeros((2, 6)),)),
    (MulLayer(), (np.zeros(3), 2.0)),
    (AddLayer(), (np.zeros(3), 2.0)),
    # lesson 3's shopping bill: scalars, whose expected dout shape () is None's shape too
    (MulLayer(), (100, 2)),
    (AddLayer(), (200.0, 450.0)),
])
def test_a_none_dout_is_named_with_its_likely_cause(layer, inputs):
    layer.forward(*inputs)
    with pytest.raises(TypeError, match=r"got None\. Did the layer after it return None from "
                                        r"backward: a backward without `return`, or an Affine "
                                        r"with input_grad=False"):
        layer.backward(None)


def test_a_layer_in_front_of_affine_without_input_grad_is_told_why():
    # the mistake: a Relu placed before the network's first Affine, whose backward gives None
    relu, first = Relu(), Affine(np.ones((6, 3)), np.zeros(3), input_grad=False)
    first.forward(relu.forward(np.ones((2, 6))))
    with pytest.raises(TypeError, match=r"Relu.backward\(\) expected dout of shape \(2, 6\)"):
        relu.backward(first.backward(np.ones((2, 3))))


@pytest.mark.parametrize("x, came", [
    (np.array([[1, None]]), r"an array of Python objects \(dtype object\)"),  # nan, silently
    (np.array([[1 + 1j, 2]]), r"an array of complex numbers"),  # imaginary part dropped
    (np.array([["1", "2"]]), r"an array of strings"),  # read as the numbers they spell
    (None, r"None \(a function without a return statement gives None\)"),
])
@pytest.mark.parametrize("layer", [Relu(), Affine(np.ones((2, 3)), np.zeros(3))],
                         ids=["Relu", "Affine"])
def test_relu_and_affine_refuse_what_is_not_numbers(layer, x, came):
    with pytest.raises(TypeError, match=rf"{type(layer).__name__}.forward\(\) expected "
                                        rf"numbers .*; got {came}"):
        layer.forward(x)


def test_writing_into_a_forward_output_leaves_the_backward_pass_alone():
    # the book's Sigmoid returns the array it keeps for backward: y -= 0.5 changed dx
    rng = np.random.default_rng(1)
    for layer, inputs in _all_layers(rng):
        out = layer.forward(*inputs)
        dout = rng.normal(size=out.shape)
        expected = layer.backward(dout)
        out[...] = 123.0
        got = layer.backward(dout)
        for e, g in zip(*((e,) if not isinstance(e, tuple) else e for e in (expected, got)),
                        strict=True):
            np.testing.assert_array_equal(g, e, err_msg=type(layer).__name__)


@pytest.mark.parametrize("dout", [None, "2", True])
def test_softmax_with_loss_refuses_a_dout_that_is_not_a_number(dout):
    layer = SoftmaxWithLoss()
    layer.forward(np.zeros((2, 3)), np.array([0, 1]))
    with pytest.raises(TypeError, match=rf"SoftmaxWithLoss.backward\(\)'s dout must be a "
                                        rf"finite number, got {re.escape(repr(dout))}"):
        layer.backward(dout)


def test_sigmoid_of_none_is_a_type_error_not_nan():
    with pytest.raises(TypeError, match="got None"):
        Sigmoid().forward(None)


@pytest.mark.parametrize("W, b", [
    (np.ones((2, 3)), np.zeros(2)),  # b sized like W's rows: a broadcast error in forward
    (np.ones(3), np.zeros(3)),  # a 1-D W: forward returned (N,), backward IndexError
    (np.ones((2, 3)), np.float64(0.0)),  # a scalar b: db came back (3,) for a () b
    (np.ones((2, 3)), np.zeros((1, 3))),
])
def test_affine_names_wrongly_shaped_weights_when_it_is_built(W, b):
    with pytest.raises(ValueError, match=rf"Affine expected W of shape \(D, M\) and b of shape "
                                         rf"\(M,\); got W of shape {re.escape(str(W.shape))} "
                                         rf"and b of shape {re.escape(str(np.shape(b)))}"):
        Affine(W, b)


def test_mul_and_add_sum_a_broadcast_column_back_to_its_shape():
    x = np.arange(6.0).reshape(2, 3)
    y = np.array([[10.0], [20.0]])  # (2, 1): broadcast along axis 1, not a leading axis
    dout = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    mul = MulLayer()
    mul.forward(x, y)
    dx, dy = mul.backward(dout)
    np.testing.assert_array_equal(dx, dout * y)
    np.testing.assert_array_equal(dy, (dout * x).sum(axis=1, keepdims=True))
    add = AddLayer()
    add.forward(x, y)
    _, dy = add.backward(dout)
    np.testing.assert_array_equal(dy, [[6.0], [15.0]])


@pytest.mark.parametrize("layer", [Relu, Sigmoid])
def test_relu_and_sigmoid_take_a_single_number(layer):
    layer = layer()
    assert np.shape(layer.forward(np.float64(2.0))) == ()
    assert np.shape(layer.backward(1.0)) == ()


def test_a_single_string_is_named_as_a_string_not_none():
    with pytest.raises(TypeError, match=r"got an array of strings"):
        Relu().forward("1.5")


def test_a_pair_passed_on_whole_is_named():
    # lesson 3's slip: add_layer.backward(mul_layer.backward(d)), not unpacking (dx, dy)
    mul, add = MulLayer(), AddLayer()
    add.forward(mul.forward(100.0, 2.0), 450.0)
    with pytest.raises(ValueError, match=r"shape \(\) \(the shape of its forward output: one "
                                         r"number\); got shape \(2,\); it is a pair.*unpack"):
        add.backward(mul.backward(1.1))
    # an array of the wrong shape is not a pair: no such hint
    with pytest.raises(ValueError, match=r"got shape \(2,\)$"):
        add.backward(np.array([1.1, 1.1]))
    # nor is a tuple that is not two gradients of the expected shape
    relu = Relu()
    relu.forward(np.array([1.0, -1.0, 2.0]))
    with pytest.raises(ValueError, match=r"got shape \(2,\)$"):
        relu.backward((5.0, 6.0))
