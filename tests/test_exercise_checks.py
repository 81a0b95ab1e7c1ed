"""check_backward: the exercises' gradient check passes right answers and names the slips
learners make in lessons 4 and 5 (each wrong answer below was seen in a review)."""

import numpy as np
import pytest

from bpcourse import Relu, Sigmoid, SoftmaxWithLoss, check_backward
from bpcourse.exercise_checks import backward_problems

RNG = np.random.default_rng(1)
X_CHECK = RNG.normal(size=(2, 3))
DOUT = RNG.normal(size=(2, 3))
A = RNG.normal(size=(3, 2))
T = RNG.normal(size=(3, 2))


def tanh_layer(backward_body):
    """A Tanh layer as lesson 4's exercise has it, with ``backward_body`` as its backward."""
    namespace = {"np": np, "x_check": X_CHECK}
    body = "".join(f"        {line}\n" for line in backward_body.splitlines())
    exec("class Tanh:\n"
         "    def __init__(self):\n        self.out = None\n"
         "    def forward(self, x):\n        self.out = np.tanh(x)\n"
         "        return self.out.copy()\n"
         f"    def backward(self, dout):\n{body}", namespace)
    return namespace["Tanh"]


def identity_layer(backward_body):
    """Lesson 5's IdentityWithSquaredLoss, with ``backward_body`` as its backward."""
    namespace = {"np": np}
    exec("class IdentityWithSquaredLoss:\n"
         "    def __init__(self):\n        self.y = None\n        self.t = None\n"
         "    def forward(self, a, t):\n        self.y, self.t = a, t\n"
         "        return 0.5 * np.sum((a - t) ** 2) / a.shape[0]\n"
         f"    def backward(self, dout=1):\n        {backward_body}\n", namespace)
    return namespace["IdentityWithSquaredLoss"]


@pytest.mark.parametrize("layer_class", [
    tanh_layer("return dout * (1.0 - self.out ** 2)"), Sigmoid, Relu,
])
def test_right_activation_layers_pass(layer_class, capsys):
    assert backward_problems(layer_class, X_CHECK, DOUT) == []
    check_backward(layer_class, X_CHECK, DOUT)
    assert capsys.readouterr().out == "gradient check passes: True\n"


@pytest.mark.parametrize("layer_class, t", [
    (identity_layer("return (self.y - self.t) * dout / self.y.shape[0]"), T),
    (SoftmaxWithLoss, np.array([0, 1, 1])),
    (SoftmaxWithLoss, np.eye(2)[[1, 0, 1]]),
])
def test_right_loss_layers_pass(layer_class, t):
    assert backward_problems(layer_class, A, t=t) == []


@pytest.mark.parametrize("body, says", [
    ("dout * (1.0 - self.out ** 2)", "returned None: it needs a `return`"),
    ("return np.sum(dout * (1.0 - self.out ** 2), axis=0)",
     "returned shape (3,), but dx needs the input's shape (2, 3)"),
    ("return (dout * (1.0 - self.out ** 2)).T", "is it transposed?"),
    ("dout *= 1.0 - self.out ** 2\nreturn dout", "backward changed dout in place"),
    ("return dout * 1.0", "off the numerical gradient by up to"),
    ("return -dout * (1.0 - self.out ** 2)", "every entry is -1 times the right one"),
    ("return dout * (1.0 - np.tanh(x_check) ** 2)", "right for this input but not for a second"),
    ("self.out = 1.0 - self.out ** 2\nreturn dout * self.out",
     "a second call of backward gave a different dx"),
])
def test_each_slip_in_the_tanh_exercise_is_named(body, says, capsys):
    (problem,) = backward_problems(tanh_layer(body), X_CHECK, DOUT)
    assert says in problem
    check_backward(tanh_layer(body), X_CHECK, DOUT)
    assert capsys.readouterr().out == f"gradient check passes: False\n- {problem}\n"


def test_dout_changed_in_place_is_named_even_when_the_numbers_are_right():
    # the slip of the book's Relu: the numbers come out right, the caller's dout does not
    (problem,) = backward_problems(tanh_layer("dout *= 1.0 - self.out ** 2\nreturn dout"),
                                   X_CHECK, DOUT)
    assert "in place" in problem and "off the numerical gradient" not in problem


@pytest.mark.parametrize("body, says", [
    ("return np.zeros_like(self.y)", "at entry [2, 1] it gives 0, the numerical gradient"),
    ("return (self.y - self.t) * dout", "every entry is 3 times the right one"),
    ("return (self.y - self.t) * dout / self.y.size", "every entry is 0.5 times the right one"),
    ("return (self.y - self.t) / self.y.shape[0]", "backward(2.0) is not twice backward()"),
    ("return np.mean(self.y - self.t)", "returned shape ()"),
])
def test_each_slip_in_the_squared_loss_exercise_is_named(body, says):
    (problem,) = backward_problems(identity_layer(body), A, t=T)
    assert says in problem


def test_a_loss_backward_without_dout_is_named():
    namespace = {"np": np}
    exec("class NoDout:\n"
         "    def forward(self, a, t):\n        self.y, self.t = a, t\n"
         "        return 0.5 * np.sum((a - t) ** 2) / a.shape[0]\n"
         "    def backward(self):\n        return (self.y - self.t) / self.y.shape[0]\n",
         namespace)
    (problem,) = backward_problems(namespace["NoDout"], A, t=T)
    assert problem.startswith("backward(2.0) raised TypeError (")
    assert "backward takes dout" in problem


def test_a_zero_placeholder_is_not_called_a_constant_factor():
    (problem,) = backward_problems(identity_layer("return np.zeros_like(self.y)"), A, t=T)
    assert "times the right one" not in problem


def test_nan_in_dx_fails_and_is_located():
    (problem,) = backward_problems(
        tanh_layer("dx = dout * (1.0 - self.out ** 2)\ndx[1, 2] = np.nan\nreturn dx"),
        X_CHECK, DOUT)
    assert "at entry [1, 2] it gives nan" in problem


def test_the_caller_arrays_are_left_alone():
    x, dout = X_CHECK.copy(), DOUT.copy()
    backward_problems(tanh_layer("dout *= 2\nreturn dout"), x, dout)
    assert np.array_equal(x, X_CHECK) and np.array_equal(dout, DOUT)


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match="needs dout"):
        backward_problems(Relu, X_CHECK)
    with pytest.raises(ValueError, match="at least one entry; got shape"):
        backward_problems(Relu, np.zeros((0, 3)), np.zeros((0, 3)))
