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


def test_compare_gradients_reports_mean_abs_and_relative_error():
    a = {"W": np.array([1.0, 2.0, -4.0])}
    n = {"W": np.array([1.0, 2.5, -4.0])}
    diff = compare_gradients(a, n)["W"]
    assert diff.mean_abs == pytest.approx(0.5 / 3)
    assert diff.max_rel == pytest.approx(0.5 / 4)
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        compare_gradients(a, {"W": np.zeros(2)})
    # shapes that broadcast would give numbers, wrong ones: refused all the same
    with pytest.raises(ValueError, match="analytic has shape"):
        compare_gradients({"W": np.zeros((3, 1))}, {"W": np.zeros(3)})


def test_an_all_zero_backprop_gradient_has_relative_error_one():
    # a forgotten backward returns zeros: the error is scaled by the numerical gradient too
    diff = compare_gradients({"W": np.zeros(3)}, {"W": np.array([0.0, 1.0, -2.0])})["W"]
    assert diff.max_rel == pytest.approx(1.0)
