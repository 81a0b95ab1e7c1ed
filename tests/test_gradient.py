import numpy as np
import pytest

from bpcourse import numerical_gradient
from bpcourse.gradient import compare_gradients


def test_numerical_gradient_of_a_known_function_any_shape():
    x = np.random.default_rng(0).normal(size=(2, 3, 4))

    def f(v):
        return float(np.sum(v**3))

    np.testing.assert_allclose(numerical_gradient(f, x), 3 * x**2, rtol=1e-7, atol=1e-8)


def test_numerical_gradient_restores_x_exactly():
    # values smaller than h = 1e-4 lose digits in x + h: (x + h) - h, (x - h) + h and
    # ((x + h) - 2h) + h all differ from x, so restoring x by arithmetic would fail here
    # (initial weights are about 0.01 * N(0, 1), and many lie this close to 0)
    x = np.array([1e-7, -3e-6, 2.5e-5, 0.1, -7.77777777777])
    h = 1e-4
    assert all((v + h) - h != v and (v - h) + h != v for v in x[:3])
    before = x.copy()
    numerical_gradient(lambda v: float(np.sum(np.sin(v))), x)
    assert x.tobytes() == before.tobytes()


def test_numerical_gradient_is_central_difference_with_h_1e_4():
    x = np.array([2.0])
    # for f = v**3 the central difference is 3x^2 + h^2 exactly (up to rounding)
    g = numerical_gradient(lambda v: float(v[0] ** 3), x)
    assert g[0] == pytest.approx(12 + 1e-8, abs=1e-9)


def test_numerical_gradient_rejects_integer_or_non_arrays():
    with pytest.raises(TypeError, match="floating-point NumPy array.*int64"):
        numerical_gradient(lambda v: 0.0, np.array([1, 2], dtype=np.int64))
    with pytest.raises(TypeError, match="got list"):
        numerical_gradient(lambda v: 0.0, [1.0, 2.0])


@pytest.mark.parametrize("h, message", [
    (0, "h must be a small positive number, such as 1e-4; got 0"),
    (-1e-4, "h must be a small positive number, such as 1e-4; got -0.0001"),
    (float("nan"), "h must be a finite number, got nan"),
])
def test_a_step_that_is_not_small_and_positive_is_refused(h, message):
    with pytest.raises(ValueError, match=message):
        numerical_gradient(lambda v: float(np.sum(v**2)), np.array([1.0]), h=h)


def test_compare_gradients_reports_mean_abs_and_relative_error():
    a = {"W": np.array([1.0, 2.0, -4.0])}
    n = {"W": np.array([1.0, 2.5, -4.0])}
    diff = compare_gradients(a, n)["W"]
    assert diff.mean_abs == pytest.approx(0.5 / 3)
    assert diff.max_rel == pytest.approx(0.5 / 4)
    # scaled by the larger of the two, whichever it is: 9 / 10, not 9 / 1
    assert compare_gradients({"W": np.array([10.0])}, {"W": np.array([1.0])})["W"].max_rel \
        == pytest.approx(0.9)
    # two zero gradients agree: 0, not 0 / 0
    assert compare_gradients({"W": np.zeros(3)}, {"W": np.zeros(3)})["W"].max_rel == 0.0
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        compare_gradients(a, {"W": np.zeros(2)})
    # shapes that broadcast would give numbers, wrong ones: refused all the same
    with pytest.raises(ValueError, match="analytic has shape"):
        compare_gradients({"W": np.zeros((3, 1))}, {"W": np.zeros(3)})


def test_an_all_zero_backprop_gradient_has_relative_error_one():
    # a forgotten backward returns zeros: the error is scaled by the numerical gradient too
    diff = compare_gradients({"W": np.zeros(3)}, {"W": np.array([0.0, 1.0, -2.0])})["W"]
    assert diff.max_rel == pytest.approx(1.0)


@pytest.mark.parametrize("error", [RuntimeError("f failed"), KeyboardInterrupt()])
def test_numerical_gradient_puts_x_back_when_f_raises_or_is_interrupted(error):
    x = np.array([3.0, 2.0])
    calls = []

    def f(v):
        calls.append(v.copy())
        if len(calls) == 3:  # while x[1] is nudged up
            raise error
        return float(np.sum(v**2))

    with pytest.raises(type(error)):
        numerical_gradient(f, x)
    assert calls[-1].tolist() == [3.0, 2.0001]
    assert x.tolist() == [3.0, 2.0]  # not left a weight off by h


@pytest.mark.parametrize("dtype, value, kept", [
    (np.float16, 3.0, 0.002), (np.float32, 5000.0, 50.0), (np.float64, 2.0**41, 2.0**30)])
def test_a_nudge_that_rounds_away_is_refused_not_measured_as_zero(dtype, value, kept):
    # x + h == x in x's dtype: the quotient would be (f(x) - f(x)) / 2h = 0, a false gradient
    x = np.array([0.0, value], dtype=dtype)
    before = x.tobytes()
    # float64 is already the fix for float32 and float16; for float64 it is the size of h
    fix = "a larger h" if dtype == np.float64 else "float64"
    with pytest.raises(ValueError, match=rf"lost in {np.dtype(dtype)}: x\[1\] = {value}.*"
                                         rf"1 of 2 entries of x.*Use {fix}"):
        numerical_gradient(lambda v: float(np.sum(v.astype(np.float64) ** 2)), x)
    assert x.tobytes() == before
    # where only one side of the nudge rounds away (2048 + 1e-4 is 2048 in float32, but
    # 2048 - 1e-4 is not), the quotient would be a fraction of the slope (about 0.6 here,
    # the float32 step below 2048 over 2h): refused too
    for lone in (2048.0, -2048.0):
        with pytest.raises(ValueError, match=rf"lost in float32: x\[0\] = {lone}"):
            numerical_gradient(lambda v: float(np.sum(v.astype(np.float64) ** 2)),
                               np.array([lone], dtype=np.float32))
    # closer to 0 the nudge survives, rounded to the dtype by less than 1%, and the slope is
    # measured to within as much
    slope = numerical_gradient(lambda v: float(v[0]), np.array([kept], dtype=dtype))[0]
    assert slope == pytest.approx(1, rel=0.01)


@pytest.mark.parametrize("dtype, value", [
    (np.float16, 0.1), (np.float32, 1000.0), (np.float64, 1e12)])
def test_a_nudge_rounded_far_from_h_is_refused_not_measured_skewed(dtype, value):
    # x + h survives but is stored 22% off: the quotient, over 2h, said 1.22 for a slope of 1
    x = np.array([0.0, value], dtype=dtype)
    with pytest.raises(ValueError, match=rf"rounded in {np.dtype(dtype)}: x\[1\] = "
                                         rf".*22% off h \(1 of 2 entries of x.*off by as much"):
        numerical_gradient(lambda v: float(v[1]), x)


def test_an_f_that_returns_no_single_number_is_named():
    x = np.array([1.0, 2.0])
    with pytest.raises(TypeError, match=r"f must return one number, such as the loss; it "
                                        r"returned ndarray of shape \(2,\) \(sum or average"):
        numerical_gradient(lambda v: v**2, x)
    with pytest.raises(TypeError, match=r"f returned None.*forgets its `return`"):
        numerical_gradient(lambda v: None, x)
    # None only from the nudge down (a return under an if) is named too, not left to NumPy
    with pytest.raises(TypeError, match=r"f returned None"):
        numerical_gradient(lambda v: float(v.sum()) if v[0] > 1.0 else None, x)
    with pytest.raises(TypeError, match=r"returned bool True"):
        numerical_gradient(lambda v: bool(v[0] > 0), x)
    with pytest.raises(TypeError, match=r"returned complex \(1\+2j\)"):  # a loss is real
        numerical_gradient(lambda v: 1 + 2j, x)
    with pytest.raises(TypeError, match=r"h must be a finite number, got '1e-4' \(str\)"):
        numerical_gradient(lambda v: float(v.sum()), x, h="1e-4")
    assert x.tolist() == [1.0, 2.0]
    # an h that is a NumPy number, or a 0-d array, is a number
    for h in (np.float32(1e-3), np.array(1e-3)):
        np.testing.assert_allclose(numerical_gradient(lambda v: float(v.sum()), x, h=h), 1)


def test_an_f_that_returns_x_itself_is_measured_not_read_after_x_moves():
    # f(x) = x for a 0-d x returns x itself: read after the next nudge it would give 0
    x = np.array(3.0)
    np.testing.assert_allclose(numerical_gradient(lambda v: v, x), 1.0, rtol=1e-9)
    np.testing.assert_allclose(numerical_gradient(lambda v: v[...], x), 1.0, rtol=1e-9)
    assert x == 3.0


def test_compare_gradients_names_a_none_and_takes_lists():
    # a backward that keeps dW in a local variable leaves the layer's None in place
    with pytest.raises(TypeError, match=r"gradient 'W': the analytic one is None: does the "
                                        r"layer's backward store its gradients on self "
                                        r"\(self.dW = ..., not a local dW = ..."):
        compare_gradients({"W": None}, {"W": np.ones(2)})
    with pytest.raises(TypeError, match=r"gradient 'W': the numerical one is None \(a function "
                                        r"that forgets its `return` gives None\)"):
        compare_gradients({"W": np.ones(2)}, {"W": None})
    (diff,) = compare_gradients({"W": [1.0, 2.0]}, {"W": [1.0, 2.5]}).values()
    assert diff.mean_abs == pytest.approx(0.25) and diff.max_rel == pytest.approx(0.2)


def test_compare_gradients_names_missing_and_extra_keys():
    grads = {key: np.ones(2) for key in ("W1", "b1", "W2", "b2")}
    forgot_b2 = {key: grads[key] for key in ("W1", "b1", "W2")}
    # else the result would hold three keys and look like a pass
    with pytest.raises(ValueError, match=r"analytic gradients lack \['b2'\], compared with "
                                         r"the numerical ones \['W1', 'b1', 'W2', 'b2'\]"):
        compare_gradients(forgot_b2, grads)
    with pytest.raises(ValueError, match=r"lack \['b2'\] and have extra \['B2'\]"):
        compare_gradients({**forgot_b2, "B2": np.ones(2)}, grads)


def test_compare_gradients_names_a_numerical_none():
    with pytest.raises(TypeError, match=r"gradient 'W': the numerical one is None"):
        compare_gradients({"W": np.ones(2)}, {"W": None})


def test_a_nudge_a_few_percent_off_h_is_refused():
    # float32 at 200: its spacing is 1.5e-5, so 1e-4 is stored as 7 steps, 7% off h
    with pytest.raises(ValueError, match=r"rounded in float32: x\[0\] = 200\.0.*7% off h"):
        numerical_gradient(lambda v: float(v[0]), np.array([200.0], dtype=np.float32))


def test_a_float64_h_does_not_hide_float32_rounding():
    # x + h with a float64 h is computed in float64, where the nudge looks whole: the check
    # must look at the nudge as the float32 x will hold it
    with pytest.raises(ValueError, match=r"lost in float32: x\[0\] = 5000\.0"):
        numerical_gradient(lambda v: float(v.astype(np.float64).sum()),
                           np.array([5000.0], dtype=np.float32), h=np.float64(1e-4))
