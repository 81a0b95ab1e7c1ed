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
T_AS_GIVEN = T.copy()  # to check that no check changes the caller's targets


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
    ("return (dout * (1.0 - self.out ** 2)).ravel()", "did it reshape or flatten it?"),
    ("return np.outer(dout, 1.0 - self.out ** 2)", "or build an outer product?"),
    ("return (dout * (1.0 - self.out ** 2)).tolist()", "returned a list; dx must be a NumPy"),
    ("return dout * (1.0 - self.out ** 2), None", "returned a tuple of two: return dx alone"),
    ("return {'dx': dout}", "backward returned dict {'dx'"),
    ("dout *= 1.0 - self.out ** 2\nreturn dout", "backward changed dout in place"),
    ("return dout * 1.0", "off the numerical gradient by up to"),
    ("return -dout * (1.0 - self.out ** 2)", "every entry has the wrong sign"),
    ("return dout * (1.0 - np.tanh(x_check) ** 2)", "right for this input but not for a second"),
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
    ("return (self.y - self.t) * dout",
     "every entry is 3 times the right one (a missing or extra factor, perhaps the batch "
     "size N = 3)"),
    ("return (self.y - self.t) * dout / self.y.shape[0] ** 2",
     "every entry is 0.3333 times the right one (a missing or extra factor, perhaps the "
     "batch size N = 3)"),
    ("return (self.y - self.t) * dout / self.y.size",  # one factor 1/2 too many, not 1/N
     "every entry is 0.5 times the right one (a missing or extra factor, perhaps the number "
     "of columns, 2, or 2, as in the derivative of a square)"),
    ("return 2 * (self.y - self.t) * dout / self.y.shape[0]",  # the 1/2 of the loss forgotten
     "every entry is 2 times the right one (a missing or extra factor, perhaps the number of "
     "columns, 2, or 2, as in the derivative of a square)"),
    ("return (self.t - self.y) * dout",
     "every entry is -3 times the right one (a missing or extra factor, perhaps the batch "
     "size N = 3, and the wrong sign)"),
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


def test_a_type_error_inside_a_loss_backward_given_2_is_not_blamed_on_its_signature():
    # it takes dout and works for the default 1; only a float dout trips np.ones
    source = (IDENTITY_FORWARD + "    def backward(self, dout=1):\n"
              "        return (self.y - self.t) / self.y.shape[0] * np.ones(dout)[0]\n")
    (problem,) = backward_problems(layer_from(source), A, t=T)
    assert problem.startswith("backward(2.0) raised TypeError (")
    assert "backward takes dout" not in problem


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


def layer_from(source):
    """The class that ``source`` defines, with np and the notebooks' globals at hand."""
    namespace = {"np": np, "x_check": X_CHECK, "dout": DOUT, "a": A, "t": T}
    exec(source, namespace)
    return next(value for key, value in namespace.items() if isinstance(value, type)
                and key not in ("np",))


TANH_FORWARD = ("class Tanh:\n"
                "    def __init__(self):\n        self.out = None\n"
                "    def forward(self, x):\n        self.out = np.tanh(x)\n"
                "        return self.out.copy()\n")
IDENTITY_FORWARD = ("class IdentityWithSquaredLoss:\n"
                    "    def forward(self, a, t):\n        self.y, self.t = a, t\n"
                    "        return 0.5 * np.sum((a - t) ** 2) / a.shape[0]\n")


@pytest.mark.parametrize("scale", [10, 100, 1000])
def test_right_answers_pass_at_any_scale(scale):
    # the tolerance grows with the gradient: a fixed 1e-7 failed right answers at 100 * dout
    right = tanh_layer("return dout * (1.0 - self.out ** 2)")
    assert backward_problems(right, X_CHECK, scale * DOUT) == []
    as_float32 = tanh_layer("return (dout * (1.0 - self.out ** 2)).astype(np.float32)")
    assert backward_problems(as_float32, X_CHECK, scale / 10 * DOUT) == []
    hinted = identity_layer("return (self.y - self.t) * dout / self.y.shape[0]")
    assert backward_problems(hinted, scale * A, t=scale * T) == []


@pytest.mark.parametrize("source, says", [
    # uses the notebook's t, or a batch size typed in: right for the first input only
    (IDENTITY_FORWARD + "    def backward(self, dout=1):\n"
     "        return (self.y - t) * dout / self.y.shape[0]\n", "a second one of shape (4, 2)"),
    (IDENTITY_FORWARD + "    def backward(self, dout=1):\n"
     "        return (self.y - self.t) * dout / 3\n", "a batch size typed in"),
    # the notebook's dout instead of its own argument
    (TANH_FORWARD + "    def backward(self, d):\n        return dout * (1.0 - self.out ** 2)\n",
     "and the dout it is given?"),
    # changes what forward stored, which is the caller's array
    (IDENTITY_FORWARD + "    def backward(self, dout=1):\n        self.y -= self.t\n"
     "        return self.y * dout / self.y.shape[0]\n", "changed the input x it stored"),
    (IDENTITY_FORWARD + "    def backward(self, dout=1):\n        self.t -= self.y\n"
     "        return -self.t * dout / self.y.shape[0]\n", "changed the targets t it stored"),
    ("class Tanh:\n    def forward(self, x):\n        self.out = np.tanh(x, out=x)\n"
     "        return self.out\n    def backward(self, dout):\n"
     "        return dout * (1.0 - self.out ** 2)\n", "forward changed its input x in place"),
    (TANH_FORWARD.replace("        return self.out.copy()\n", "")
     + "    def backward(self, dout):\n        return dout * (1.0 - self.out ** 2)\n",
     "forward returned None"),
    (IDENTITY_FORWARD + "    def backward(self, dout):\n"
     "        return (self.y - self.t) * dout / self.y.shape[0]\n", "needs a default"),
])
def test_slips_found_in_a_second_review_are_named(source, says):
    layer_class = layer_from(source)
    t = T if "IdentityWithSquaredLoss" in source else None
    problems = backward_problems(layer_class, A if t is not None else X_CHECK,
                                 None if t is not None else DOUT, t)
    assert says in problems[0]
    assert np.array_equal(T, T_AS_GIVEN)  # the caller's targets stay as they were



# the third review tried wrong answers one by one and read what each one was told
NO_STORE_TANH = ("class Tanh:\n    def __init__(self):\n        self.out = None\n"
                 "    def forward(self, x):\n        return np.tanh(x)\n"
                 "    def backward(self, dout):\n        return dout * (1.0 - self.out ** 2)\n")
NO_STORE_IDENTITY = ("class IdentityWithSquaredLoss:\n"
                     "    def __init__(self):\n        self.y = None\n        self.t = None\n"
                     "    def forward(self, a, t):\n"
                     "        return 0.5 * np.sum((a - t) ** 2) / a.shape[0]\n"
                     "    def backward(self, dout=1):\n"
                     "        return (self.y - self.t) * dout / self.y.shape[0]\n")


@pytest.mark.parametrize("source, says", [
    (NO_STORE_TANH, "backward(dout) raised TypeError (unsupported operand type(s) for ** or "
     "pow(): 'NoneType' and 'int'), and self.out is still None after forward: does forward "
     "store on self what backward uses?"),
    (NO_STORE_IDENTITY, "backward() raised TypeError (unsupported operand type(s) for -: "
     "'NoneType' and 'NoneType'), and self.y and self.t are still None after forward"),
    (TANH_FORWARD + "    def backward(self):\n        return 1.0 - self.out ** 2\n",
     "an activation layer's backward takes dout, def backward(self, dout)"),
    (TANH_FORWARD + "    def backward(self, dout):\n"
     "        return 2 * dout * (1.0 - self.out ** 2)\n",
     "every entry is 2 times the right one (a missing or extra factor, perhaps 2, as in the "
     "derivative of a square)"),
    # the notebook's a and t instead of what forward stored: the second input's dx has the
    # first one's shape
    (IDENTITY_FORWARD + "    def backward(self, dout=1):\n        return (a - t) * dout / 3\n",
     "backward returned shape (3, 2), but dx needs the input's shape (4, 2): one gradient for "
     "every entry of the input (the first input's shape again)"),
])
def test_slips_found_in_a_third_review_are_named(source, says):
    layer_class = layer_from(source)
    t = T if "IdentityWithSquaredLoss" in source else None
    (problem,) = backward_problems(layer_class, A if t is not None else X_CHECK,
                                   None if t is not None else DOUT, t)
    assert says in problem


@pytest.mark.parametrize("source", [
    TANH_FORWARD + "    def backward(self, dout):\n"
    "        return dout * (1.0 - len(self.out, 2))\n",
    # a placeholder forward never fills, which this error has nothing to do with
    TANH_FORWARD.replace("self.out = None", "self.out = None\n        self.dx = None")
    + "    def backward(self, dout):\n        return dout * (1.0 - len(self.out, 2))\n",
    # a call inside backward that lacks an argument, not a backward that lacks dout
    TANH_FORWARD + "    def local(self, y):\n        return 1.0 - y ** 2\n"
    "    def backward(self, dout):\n        return dout * self.local()\n",
])
def test_a_type_error_we_cannot_explain_keeps_its_traceback(source):
    # an activation layer's own TypeError: the learner needs the line it came from, which a
    # one-line problem would hide
    with pytest.raises(TypeError) as raised:
        backward_problems(layer_from(source), X_CHECK, DOUT)
    assert raised.traceback[-1].name in ("backward", "local")


def test_a_loss_backward_whose_dout_has_another_name_needs_a_default_too():
    source = (IDENTITY_FORWARD + "    def backward(self, grad):\n"
              "        return (self.y - self.t) * grad / self.y.shape[0]\n")
    (problem,) = backward_problems(layer_from(source), A, t=T)
    assert "a loss layer's backward needs a default, def backward(self, dout=1)" in problem


def test_dout_changed_in_place_is_not_also_blamed_on_forward():
    problems = backward_problems(tanh_layer("dout *= 1.0 - self.out ** 2\nreturn dout + 0"),
                                 X_CHECK, DOUT)
    assert len(problems) == 1 and "changed dout in place" in problems[0]


def test_calls_that_cannot_work_are_named():
    tanh = tanh_layer("return dout * (1.0 - self.out ** 2)")
    with pytest.raises(TypeError, match=r"a Tanh object: pass the class itself, Tanh, not "
                                        r"Tanh\(\)"):
        backward_problems(tanh(), X_CHECK, DOUT)
    with pytest.raises(TypeError, match="expects a layer class, such as Tanh; got <ufunc 'tanh'>"):
        backward_problems(np.tanh, X_CHECK, DOUT)
    identity = identity_layer("return (self.y - self.t) * dout / self.y.shape[0]")
    with pytest.raises(TypeError, match=r"forward takes targets: pass them as t, "
                                        r"check_backward\(IdentityWithSquaredLoss, x, t=t\)"):
        backward_problems(identity, A, T)  # t where dout goes
    with pytest.raises(ValueError, match=r"dout of the shape of Tanh.forward's output, "
                                         r"\(2, 3\); got \(1, 3\)"):
        backward_problems(tanh, X_CHECK, DOUT[:1])
    with pytest.raises(TypeError, match=r"Tanh.forward takes no targets: pass the upstream "
                                        r"gradient as dout instead of t"):
        backward_problems(tanh, X_CHECK, t=DOUT)
    with pytest.raises(TypeError, match=r"takes dout or t, not both: IdentityWithSquaredLoss "
                                        r"is given targets t"):
        backward_problems(identity, A, np.ones_like(A), t=T)
    needs_size = layer_from("class Scaled:\n    def __init__(self, size):\n        pass\n")
    with pytest.raises(TypeError, match=r"builds the layer as Scaled\(\), with no arguments"):
        backward_problems(needs_size, X_CHECK, DOUT)


def test_unusual_right_answers_pass():
    for body in ["return dout - dout * self.out ** 2",
                 # harmless where forward runs before every backward, as in a network
                 "self.out = 1.0 - self.out ** 2\nreturn dout * self.out",
                 "dx = dout * (1.0 - self.out ** 2)\nself.out = None  # frees memory\nreturn dx",
                 "return np.multiply(dout, 1 - np.square(self.out))",
                 "return dout * (1 - self.out) * (1 + self.out)"]:
        assert backward_problems(tanh_layer(body), X_CHECK, DOUT) == [], body
    # one sample of (C,) scores and a one-hot target: no second row to add
    assert backward_problems(SoftmaxWithLoss, A[0], t=np.array([0.0, 1.0])) == []
    assert backward_problems(Relu, X_CHECK.tolist(), DOUT.tolist()) == []


def test_the_second_input_keeps_away_from_relus_corner():
    # with seed 117 a plain normal draw put an entry within h of 0, failing a right Relu
    assert all(backward_problems(Relu, X_CHECK, DOUT, seed=seed) == [] for seed in range(200))


def test_a_single_number_is_checked_too():
    (problem,) = backward_problems(tanh_layer("return dout * 2.0"), 0.5, 1.0)
    assert problem.startswith("backward's dx is off the numerical gradient by up to 1.21: for "
                              "this x it gives 2, the numerical gradient 0.786448")
    assert backward_problems(Sigmoid, 0.5, 1.0) == []
