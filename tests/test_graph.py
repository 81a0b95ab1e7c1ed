"""The graph engine computes the same numbers as the layers the learner writes."""

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpcourse import graph as G
from bpcourse import layers, ops
from bpcourse.ops import AddConst


def test_apple_graph_matches_book_and_layers():
    g = G.apple_graph()
    assert g.run() == 220.00000000000003
    assert (g["apple"].grad, g["apple_num"].grad, g["tax"].grad) == (2.2, 110.00000000000001, 200)

    mul_apple, mul_tax = layers.MulLayer(), layers.MulLayer()
    price = mul_tax.forward(mul_apple.forward(100, 2), 1.1)
    dapple_price, dtax = mul_tax.backward(1)
    dapple, dapple_num = mul_apple.backward(dapple_price)
    assert g["price"].value == price
    assert [g["apple"].grad, g["apple_num"].grad, g["tax"].grad] == [dapple, dapple_num, dtax]


def test_apple_orange_graph_matches_book():
    g = G.apple_orange_graph()
    assert g.run() == 715.0000000000001
    grads = [g[k].grad for k in ("apple", "apple_num", "orange", "orange_num", "tax")]
    assert grads == [2.2, 110.00000000000001, 3.3000000000000003, 165.0, 650.0]
    # the + node hands the same 1.1 to both × nodes, and the edge out of it carries 650
    add = g["tax"].edges_out[0].dst.inputs[0]
    assert [e.grad for e in add.edges_in] == [1.1, 1.1]
    assert add.value == 650


def test_mul_and_add_nodes_delegate_to_the_lesson_layers(layer_calls):
    G.apple_orange_graph().run()
    backward = [c.removesuffix(".backward") for c in layer_calls if c.endswith(".backward")]
    assert sorted(backward) == ["add", "mul", "mul", "mul"]


def test_changing_an_input_and_rerunning_updates_every_number():
    g = G.apple_graph()
    g.run()
    g["apple"].value = 150
    assert g.run() == pytest.approx(330)
    assert g["tax"].grad == 300
    assert g.edges[-1].value == pytest.approx(330)


@settings(max_examples=60)
@given(st.floats(-30, 30), st.floats(-5, 5))
def test_sigmoid_graph_matches_sigmoid_layer(x, dout):
    g = G.sigmoid_graph(x)
    y = g.run(seed=dout)
    layer = layers.Sigmoid()
    assert y == pytest.approx(float(layer.forward(np.array(x))), rel=1e-12, abs=1e-300)
    expected = float(layer.backward(np.array(dout)))
    assert g["x"].grad == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_sigmoid_graph_works_on_arrays():
    x = np.linspace(-4, 4, 7)
    g = G.sigmoid_graph(x)
    dout = np.arange(7.0)
    y = g.run(seed=dout)
    layer = layers.Sigmoid()
    np.testing.assert_allclose(y, layer.forward(x))
    np.testing.assert_allclose(g["x"].grad, layer.backward(dout))


@settings(max_examples=25)
@given(st.integers(1, 6), st.integers(0, 2**32 - 1))
def test_affine_graph_matches_affine_layer(n, seed):
    rng = np.random.default_rng(seed)
    X, W, b = rng.normal(size=(n, 2)), rng.normal(size=(2, 3)), rng.normal(size=3)
    dY = rng.normal(size=(n, 3))
    g = G.affine_graph(X, W, b)
    Y = g.run(seed=dY)
    layer = layers.Affine(W, b)
    np.testing.assert_allclose(Y, layer.forward(X))
    dX = layer.backward(dY)
    assert g["X"].grad.shape == (n, 2) and g["W"].grad.shape == (2, 3)
    assert g["B"].grad.shape == (3,)  # the + node summed the broadcast B's gradient
    np.testing.assert_allclose(g["X"].grad, dX)
    np.testing.assert_allclose(g["W"].grad, layer.dW)
    np.testing.assert_allclose(g["B"].grad, layer.db)


def test_softmax_with_loss_graph_matches_layer():
    a, t = (0.3, 2.9, 4.0), (0, 0, 1)
    g = G.softmax_with_loss_graph(a, t)
    loss = g.run()
    layer = layers.SoftmaxWithLoss()
    assert loss == pytest.approx(layer.forward(np.array([a]), np.array([t])))
    dx = layer.backward(1)[0]
    np.testing.assert_allclose([g[f"a{k}"].grad for k in (1, 2, 3)], dx)
    np.testing.assert_allclose(dx, np.round([0.018, 0.245, -0.263], 3), atol=6e-4)
    assert all(g[f"t{k}"].grad is None for k in (1, 2, 3))  # labels get no gradient


def test_softmax_with_loss_graph_gives_plain_floats():
    # a notebook shows np.float64(0.3057...) for a NumPy scalar; the lesson's loss and
    # gradients should print as the plain numbers on the slides
    g = G.softmax_with_loss_graph()
    assert type(g.run()) is float
    assert all(type(g[f"a{k}"].grad) is float for k in (1, 2, 3))


@pytest.mark.parametrize(
    "build",
    [
        lambda g, x: g.square(x),
        lambda g, x: g.exp(x),
        lambda g, x: g.reciprocal(x),
        lambda g, x: g.scale(x, -2.5),
        lambda g, x: g.add_const(x, 1),
        lambda g, x: g.sum(x, axis=0),
        lambda g, x: g.sum(x, axis=1),  # on a square x, a transposed gradient would pass axis 0
        lambda g, x: g.mul(x, x),  # one value feeding two inputs: the gradients add up
        lambda g, x: g.dot(x, g.input(np.array([[1.0, -2.0], [0.5, 3.0]]))),
    ],
)
def test_every_op_backward_matches_a_numerical_gradient(build):
    def make(x):
        g = G.Graph()
        g.output(build(g, g.input(x, "x")), "y")
        return g

    x0 = np.array([[0.7, -1.3], [2.1, 0.4]])
    g = make(x0)
    y = g.forward()
    # seeding with fixed weights w gives the gradient of sum(w * y), which every element feeds
    w = np.random.default_rng(1).normal(size=np.shape(y))
    g.backward(seed=w)
    numeric = np.zeros_like(x0)
    for idx in np.ndindex(x0.shape):
        step = np.zeros_like(x0)
        step[idx] = 1e-6
        up, down = make(x0 + step).forward(), make(x0 - step).forward()
        numeric[idx] = np.sum(w * (up - down)) / 2e-6
    np.testing.assert_allclose(g["x"].grad, numeric, rtol=1e-5, atol=1e-6)


def test_affine_graph_of_one_sample_gives_dw_as_an_outer_product():
    rng = np.random.default_rng(0)
    x, b, dy = rng.normal(size=(3, 3))
    w = rng.normal(size=(3, 3))
    g = G.affine_graph(x, w, b)
    g.run(seed=dy)
    np.testing.assert_allclose(g["W"].grad, np.outer(x, dy))  # dW[i, k] = x[i] * dy[k]
    np.testing.assert_allclose(g["X"].grad, w @ dy)


def test_affine_graph_takes_nested_lists():
    # a learner typing X and W as lists of lists gets the same Y and dW as with arrays
    g = G.affine_graph([[1.0, 2.0]], [[1, 0], [0, 1]], [0.5, 0.5])
    np.testing.assert_allclose(g.run(), [[1.5, 2.5]])
    np.testing.assert_allclose(g["W"].grad, [[1, 1], [2, 2]])  # X.T @ dY, dY all ones


def test_the_seed_scales_every_gradient_and_is_kept_for_later_runs():
    g = G.apple_graph()
    g.run(seed=2.0)
    assert g["tax"].grad == 400  # 2 * the subtotal, 200
    g.run()  # no seed given: the last one still holds
    assert g["tax"].grad == 400
    loss = G.softmax_with_loss_graph()
    loss.run()
    once = loss["a1"].grad
    loss.run(seed=2.0)
    assert loss["a1"].grad == pytest.approx(2 * once)


def test_a_node_that_does_not_reach_the_output_gets_no_gradient():
    g = G.Graph()
    x = g.input(3.0, "x")
    g.square(x, label="unused")
    g.output(g.scale(x, 2), "y")
    g.run()
    assert x.grad == 2 and g["unused"].grad is None


def test_forward_returns_the_first_output_of_a_graph_with_two():
    g = G.Graph()
    x = g.input(3.0, "x")
    g.output(g.square(x), "a")
    g.output(g.scale(x, 2), "b")
    assert g.forward() == 9


def test_forward_of_a_graph_with_no_output_returns_none():
    # a graph still being built has no output yet; forward() should compute its values,
    # not fail with an IndexError about an empty list
    g = G.Graph()
    sq = g.square(g.input(3.0))
    assert g.forward() is None and sq.value == 9


def test_adding_zero_is_drawn_as_plus_zero():
    assert AddConst(0).symbol == "+0" and AddConst(-1).symbol == "\u22121"


def test_each_edge_keeps_its_own_gradient_when_a_value_fans_out():
    g = G.Graph()
    x = g.input(3.0, "x")
    out = g.output(g.add(g.square(x), g.scale(x, 4)), "z")  # z = x**2 + 4x
    g.run()
    assert out.value == 21
    assert sorted(e.grad for e in x.edges_out) == [4, 6]
    assert x.grad == 10  # dz/dx = 2x + 4


def test_layout_is_deterministic_book_style_and_respects_given_positions():
    first, second = G.apple_orange_graph().layout(), G.apple_orange_graph().layout()
    assert list(first.values()) == list(second.values())
    positions = [tuple(np.round(p, 6)) for p in first.values()]
    assert len(set(positions)) == len(positions)  # no two nodes on one spot
    g = G.apple_graph()
    pos = g.layout()
    chain = [g["apple"], *(n for n in g.nodes if n.kind == "op"), g["price"]]
    assert len({pos[n][1] for n in chain}) == 1  # the main chain runs on one line
    xs = [pos[n][0] for n in chain]
    assert xs == sorted(xs) and len(set(xs)) == len(xs)  # left to right
    assert pos[g["tax"]][1] < pos[g["price"]][1]  # the side input comes in from below
    g["tax"].pos = (1.0, 5.0)
    assert g.layout()[g["tax"]] == (1.0, 5.0)


def test_backward_after_an_input_changed_asks_for_forward_instead_of_using_old_values():
    g = G.apple_graph()
    g.run()
    g["apple"].value = 150  # backward alone returned the gradients of apple = 100
    with pytest.raises(RuntimeError, match=r"input 'apple' changed since the last forward\(\) "
                                           r"\(it was 100, it is 150\): call forward\(\)"):
        g.backward()
    assert g.run() == pytest.approx(330)  # forward again: fine
    a = G.affine_graph(np.ones((2, 3)), np.ones((3, 2)), np.zeros(2))
    a.run()
    a["X"].value[0, 0] = 5.0  # changed in place: the same array object
    with pytest.raises(RuntimeError, match="input 'X' changed"):
        a.backward()
    # a large input is named by its shape, not printed whole
    big = G.affine_graph(np.ones((100, 784)), np.ones((784, 2)), np.zeros(2))
    big.run()
    big["X"].value = np.zeros((100, 784))
    with pytest.raises(RuntimeError, match=r"\(an array of shape \(100, 784\), now "
                                           r"\(100, 784\)\): call forward") as caught:
        big.backward()
    assert len(str(caught.value)) < 300
    # nan is not "changed" from nan: a graph may carry one
    n = G.Graph()
    n.output(n.square(n.input(float("nan"), "x")), "z")
    n.run()
    assert np.isnan(n.backward()[0])


def test_a_seed_of_another_shape_than_the_output_is_refused_not_broadcast():
    g = G.Graph()
    g.output(g.square(g.input(2.0, "x")), "z")
    g.forward()
    with pytest.raises(ValueError, match=r"expected a seed of one number or of the shape of "
                                         r"the output 'z', \(\); got shape \(3,\)"):
        g.backward(np.ones(3))  # x is one number: its gradient cannot be three
    assert g.backward(3.0) == [12.0]
    a = G.affine_graph(np.ones((2, 3)), np.ones((3, 2)), np.zeros(2))
    a.forward()
    assert np.shape(a.backward(np.ones((2, 2)))[0]) == (2, 3)


def test_an_affine_graph_with_a_transposed_w_names_both_shapes():
    g = G.affine_graph(np.ones((2, 3)), np.ones((2, 3)), np.zeros(2))
    with pytest.raises(ValueError, match=r"dot expected x of shape \(N, D\) or \(D,\) and w "
                                         r"of shape \(D, M\); got x of shape \(2, 3\) and w of "
                                         r"shape \(2, 3\)"):
        g.run()


def test_unknown_label_names_the_known_ones():
    with pytest.raises(KeyError, match="apple_num"):
        G.apple_graph()["banana"]


def test_importing_the_graph_does_not_load_matplotlib():
    code = ("import sys, bpcourse, bpcourse.graph, bpcourse.explorers, bpcourse.training_run; "
            "print('matplotlib' in sys.modules or 'ipywidgets' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_softmax_with_loss_graph_takes_a_single_class_label():
    a = (0.3, 2.9, 4.0)
    one_hot, label = G.softmax_with_loss_graph(a, (0, 0, 1)), G.softmax_with_loss_graph(a, (2,))
    assert label.run() == pytest.approx(one_hot.run(), rel=1e-15)
    assert label.run() == pytest.approx(0.3057, abs=1e-4)  # not 10.83: the label is no score
    for k in (1, 2, 3):
        assert label[f"a{k}"].grad == pytest.approx(one_hot[f"a{k}"].grad, rel=1e-15)
    assert label["t"].grad is None
    bare = G.softmax_with_loss_graph(a, 2)  # a plain int is that same single label
    assert bare.run() == pytest.approx(one_hot.run(), rel=1e-15)
    assert bare["t"].value == 2


def test_softmax_with_loss_graph_with_the_wrong_number_of_labels_says_so():
    with pytest.raises(ValueError, match=r"3 scores takes 3 one-hot labels or a single class "
                                         r"label; got 2 labels"):
        G.softmax_with_loss_graph((0.3, 2.9, 4.0), (0, 1))
    with pytest.raises(ValueError, match="sum to 1"):  # the right count, but no one-hot row
        G.softmax_with_loss_graph((0.3, 2.9, 4.0), (0, 1, 1)).run()


def test_softmax_with_loss_op_with_the_wrong_number_of_inputs_says_so():
    # the op is where the count is known: without this check a missing input surfaces as
    # the layer's complaint about a target of shape (2,), pointing the learner elsewhere
    with pytest.raises(ValueError, match="3 scores and 3 labels, 6 inputs in all; got 5"):
        ops.SoftmaxWithLossOp(3, 3).forward(0.3, 2.9, 4.0, 0, 1)


def test_graph_backward_before_forward_is_a_clear_error():
    g = G.apple_graph()
    with pytest.raises(RuntimeError, match=r"Graph.backward\(\) was called before Graph.forward"):
        g.backward()
    g.forward()
    assert g.backward() == [2.2, 110.00000000000001, 200]
    g.output(g.square(g["tax"]), "tax squared")  # a new node has no value until forward()
    with pytest.raises(RuntimeError, match="or a node was added since"):
        g.backward()


def _ops_with_inputs(rng):
    x, y = rng.uniform(0.5, 2.0, size=(2, 3)), rng.uniform(0.5, 2.0, size=(2, 3))
    yield ops.Mul(), (x, y)
    yield ops.Add(), (x, y)
    yield ops.Square(), (x,)
    yield ops.Exp(), (x,)
    yield ops.Reciprocal(), (x,)
    yield ops.Scale(-2.0), (x,)
    yield ops.AddConst(1.0), (x,)
    yield ops.Sum(axis=1), (x,)
    yield ops.Dot(), (x, rng.normal(size=(3, 4)))


# Scale and AddConst are left out: their derivative is a constant, they need no forward
@pytest.mark.parametrize("op", [ops.Mul(), ops.Add(), ops.Square(), ops.Exp(), ops.Reciprocal(),
                                ops.Sum(), ops.Dot(), ops.SoftmaxWithLossOp(3, 3)],
                         ids=lambda op: type(op).__name__)
def test_op_backward_before_forward_is_a_clear_error(op):
    with pytest.raises(RuntimeError, match=rf"{type(op).__name__}.backward\(\) was called before"):
        op.backward(np.ones((2, 3)))


def test_no_op_mutates_its_inputs_or_dout_or_hands_them_back():
    rng = np.random.default_rng(0)
    for op, inputs in _ops_with_inputs(rng):
        name = type(op).__name__
        before = [a.copy() for a in inputs]
        out = op.forward(*inputs)
        out_before = np.copy(out)
        dout = rng.normal(size=np.shape(out))
        dout_before = dout.copy()
        grads = op.backward(dout)
        for g in grads:
            # a gradient that is dout or an input would let a write into it reach the caller
            assert g is not dout and all(g is not a for a in inputs), name
            g[...] = 123.0
        for a, a0 in zip(inputs, before, strict=True):
            np.testing.assert_array_equal(a, a0, err_msg=name)
        np.testing.assert_array_equal(dout, dout_before, err_msg=name)
        np.testing.assert_array_equal(out, out_before, err_msg=name)


def test_backward_returns_one_gradient_per_input_none_for_an_unused_one():
    g = G.Graph()
    g.input(3.0, "x")
    g.input(5.0, "unused")
    g.output(g.scale(g["x"], 2), "y")
    g.forward()
    assert g.backward() == [2.0, None]
