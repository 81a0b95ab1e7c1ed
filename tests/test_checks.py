"""bpcourse.checks: the argument checks the layers, train and the widgets share."""

import fractions
import math

import numpy as np
import pytest

from bpcourse.checks import (
    require_bools,
    require_forward,
    require_number,
    require_same_keys,
    require_samples,
)


@pytest.mark.parametrize("value, whole, expected", [
    (3, True, 3), (3.0, True, 3), (np.int64(3), True, 3), (np.array(3), True, 3),
    (0.5, False, 0.5), (np.float32(0.5), False, 0.5), (np.array(0.5), False, 0.5),
    (fractions.Fraction(1, 2), False, 0.5),
])
def test_any_kind_of_number_is_taken_and_given_back_as_int_or_float(value, whole, expected):
    got = require_number("n", value, 0, 10, whole=whole)
    assert got == expected and type(got) is (int if whole else float)


@pytest.mark.parametrize("value", [True, np.True_, np.array(True), "3", None, [3],
                                   np.array([3])])
def test_bools_strings_and_arrays_are_not_numbers(value):
    with pytest.raises(TypeError, match="n must be a finite number, got"):
        require_number("n", value)


@pytest.mark.parametrize("value, kwargs, message", [
    (11, {"low": 0, "high": 10}, "n must be a finite number from 0 to 10, got 11"),
    (-1, {"low": 0}, "n must be a finite number of at least 0, got -1"),
    (11, {"high": 10}, "n must be a finite number of at most 10, got 11"),
    (math.inf, {}, "n must be a finite number, got inf"),
    (math.nan, {"low": 0}, "n must be a finite number of at least 0, got nan"),
    (2.5, {"low": 1, "whole": True}, "n must be a whole number of at least 1, got 2.5"),
    (7, {"low": 0, "high": 5, "what": "the range of its slider"},
     "n must be a finite number from 0 to 5 (the range of its slider), got 7"),
])
def test_a_number_out_of_range_names_the_range(value, kwargs, message):
    with pytest.raises(ValueError) as caught:
        require_number("n", value, **kwargs)
    assert str(caught.value) == message


def test_the_bounds_themselves_are_in_range():
    # learning_rate 0 (a baseline run) and a slider's end values are allowed
    assert require_number("n", 0, 0, 10) == 0.0
    assert require_number("n", 10, 0, 10, whole=True) == 10


def test_a_huge_int_is_out_of_range_not_an_overflow():
    with pytest.raises(ValueError, match="of at most 10"):
        require_number("n", 10**400, high=10)
    assert require_number("n", 10**400, whole=True) == 10**400


def test_require_bools_takes_python_and_numpy_bools_only():
    require_bools("load_mnist", normalize=True, flatten=np.False_)
    with pytest.raises(TypeError, match=r"load_mnist's flatten must be True or False, got "
                                        r"'False' \(str\)"):
        require_bools("load_mnist", normalize=True, flatten="False")
    with pytest.raises(TypeError, match="got 1 "):
        require_bools("load_mnist", normalize=1)


def test_require_forward_names_the_layer():
    class Layer:
        out = None

    with pytest.raises(RuntimeError, match=r"Layer.backward\(\) was called before "
                                           r"Layer.forward\(\)"):
        require_forward(Layer(), "out")
    ran = Layer()
    ran.out = np.zeros(2)
    require_forward(ran, "out")


@pytest.mark.parametrize("x", [np.zeros((0, 3)), [], np.float64(1.0)])
def test_require_samples_refuses_nothing_and_scalars(x):
    with pytest.raises(ValueError, match=r"f needs at least one sample in x; got x of shape"):
        require_samples(x, "f")


def test_require_same_keys_names_the_missing_and_the_extra():
    require_same_keys({"a": 1, "b": 2}, {"b": 0, "a": 0}, "got", "expected")
    with pytest.raises(ValueError) as caught:
        require_same_keys({"a": 1, "c": 3}, {"a": 0, "b": 0}, "the gradients", "params",
                          "; nothing changed")
    assert str(caught.value) == ("the gradients lack ['b'] and have extra ['c'], compared "
                                 "with params ['a', 'b']; nothing changed")


def test_a_layer_holding_a_view_of_a_params_array_counts_as_holding_it():
    from bpcourse import TwoLayerNet
    from bpcourse.checks import require_params_in_layers
    net = TwoLayerNet(4, 3, 2, rng=0)
    net.layers["Affine1"].W = net.params["W1"][:]  # a view: in-place updates still reach it
    require_params_in_layers(net)  # must not raise


def test_gradients_that_are_no_dict_are_a_type_error_naming_the_type():
    with pytest.raises(TypeError, match=r"are not a dict keyed like .*: got list"):
        require_same_keys([np.ones(2)], {"W": np.ones(2)}, "the analytic gradients", "params")
