import warnings

import numpy as np
import pytest

from bpcourse import cross_entropy_error, relu, sigmoid, softmax
from bpcourse.functions import log_softmax, softmax_cross_entropy


def test_sigmoid_values_and_extremes():
    x = np.array([-1000.0, -1.0, 0.0, 1.0, 1000.0])
    # an overflow in exp would raise here
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        y = sigmoid(x)
    np.testing.assert_allclose(y, [0.0, 1 / (1 + np.e), 0.5, 1 / (1 + np.exp(-1)), 1.0])


def test_relu():
    np.testing.assert_array_equal(relu(np.array([-2.0, 0.0, 3.0])), [0.0, 0.0, 3.0])


def test_integer_input_is_computed_in_float64():
    x = np.array([[-2, 0, 3]])
    for f in (sigmoid, relu, softmax, log_softmax):
        assert f(x).dtype == np.float64, f.__name__
    np.testing.assert_array_equal(relu(x), [[0.0, 0.0, 3.0]])


def test_log_softmax_is_the_log_of_softmax_and_stays_finite():
    x = np.array([[0.5, -1.0, 2.0], [3.0, 3.0, -4.0]])
    np.testing.assert_allclose(log_softmax(x), np.log(softmax(x)), rtol=1e-12)
    np.testing.assert_allclose(log_softmax(x[0]), np.log(softmax(x[0])), rtol=1e-12)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        np.testing.assert_allclose(log_softmax(np.array([1e4, 0.0])), [0.0, -1e4])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_functions_keep_dtype(dtype):
    x = np.linspace(-3, 3, 12, dtype=dtype).reshape(3, 4)
    for f in (sigmoid, relu, softmax, log_softmax):
        assert f(x).dtype == dtype, f.__name__
    assert cross_entropy_error(softmax(x), np.array([0, 1, 2])).dtype == dtype
    assert softmax_cross_entropy(x, np.array([0, 1, 2]))[0].dtype == dtype


def test_softmax_is_stable_for_huge_logits_1d_and_2d():
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        y1 = softmax(np.array([1e4, -1e4, 0.0]))
        y2 = softmax(np.array([[1e4, 1e4], [-1e4, 0.0]]))
    np.testing.assert_array_equal(y1, [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(y2, [[0.5, 0.5], [0.0, 1.0]])


def test_softmax_matches_definition_and_sums_to_one():
    x = np.random.default_rng(0).normal(size=(5, 7))
    y = softmax(x)
    np.testing.assert_allclose(y, np.exp(x) / np.exp(x).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(y.sum(axis=1), 1.0)
    np.testing.assert_allclose(softmax(x[0]), y[0])


def test_cross_entropy_one_hot_and_labels_agree_batched_and_single():
    y = np.array([[0.1, 0.7, 0.2], [0.5, 0.25, 0.25]])
    labels = np.array([1, 0])
    one_hot = np.eye(3)[labels]
    expected = -(np.log(0.7) + np.log(0.5)) / 2
    assert cross_entropy_error(y, labels) == pytest.approx(expected)
    assert cross_entropy_error(y, one_hot) == pytest.approx(expected)
    assert cross_entropy_error(y[0], 1) == pytest.approx(-np.log(0.7))
    assert cross_entropy_error(y[0], one_hot[0]) == pytest.approx(-np.log(0.7))


@pytest.mark.parametrize("t", [np.array([0]), np.array([[1.0, 0.0]])], ids=["label", "one-hot"])
def test_cross_entropy_of_zero_probability_is_finite(t):
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        loss = cross_entropy_error(np.array([[0.0, 1.0]]), t)
        certain = cross_entropy_error(np.array([[1.0, 0.0]]), t)
    # -log of the smallest positive float64, not the book's -log(1e-7) = 16.1
    assert np.isfinite(loss) and loss > 700
    assert certain == 0.0  # no epsilon shifts a sure answer's loss


def test_softmax_cross_entropy_from_logits_is_finite_and_right():
    loss, y = softmax_cross_entropy(np.array([[1e4, -1e4]]), np.array([1]))
    assert loss == pytest.approx(2e4)
    x = np.random.default_rng(1).normal(size=(4, 3))
    t = np.array([0, 2, 1, 1])
    loss, y = softmax_cross_entropy(x, t)
    assert loss == pytest.approx(cross_entropy_error(softmax(x), t), rel=1e-12)


@pytest.mark.parametrize(
    "t, message",
    [
        (np.array([0, 3]), "0..2"),
        (np.array([0.5, 1.0]), "integer labels"),
        (np.array([0, 1, 2]), "expected 2 targets"),
        (np.array([[0], [1]]), "shape \\(N,\\) or one-hot rows of shape \\(N, 3\\)"),
        (np.eye(4)[[0, 1]], "got dtype float64 and shape \\(2, 4\\)"),
    ],
)
def test_bad_targets_name_what_was_expected(t, message):
    with pytest.raises(ValueError, match=message):
        cross_entropy_error(np.full((2, 3), 1 / 3), t)


@pytest.mark.parametrize("loss", [cross_entropy_error, softmax_cross_entropy])
def test_scores_of_more_than_two_dimensions_are_refused_by_shape(loss):
    with pytest.raises(ValueError, match=r"\(C,\) or \(N, C\); got shape \(2, 3, 4\)"):
        loss(np.full((2, 3, 4), 0.25), np.array([0, 1]))


@pytest.mark.parametrize("loss", [cross_entropy_error, softmax_cross_entropy])
def test_a_single_number_as_scores_is_refused_by_shape(loss):
    with pytest.raises(ValueError, match=r"\(C,\) or \(N, C\); got shape \(\)"):
        loss(0.5, 0)


@pytest.mark.parametrize("dtype", [np.uint8, np.int64])
def test_as_label_indices_checks_the_range_of_signed_and_unsigned_labels(dtype):
    from bpcourse.functions import as_label_indices

    assert as_label_indices(np.array([0, 9, 3], dtype=dtype), 10).tolist() == [0, 9, 3]
    with pytest.raises(ValueError, match=r"0\.\.9; got values from 0 to 10"):
        as_label_indices(np.array([0, 10], dtype=dtype), 10)
    if dtype is np.int64:
        with pytest.raises(ValueError, match=r"0\.\.9; got values from -1 to 3"):
            as_label_indices(np.array([-1, 3], dtype=dtype), 10)
    assert as_label_indices(np.array([], dtype=dtype), 10).shape == (0,)


def test_softmax_with_loss_checks_uint8_labels_and_matches_one_hot():
    from bpcourse.layers import SoftmaxWithLoss

    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    labels = np.array([2, 0, 1, 1], dtype=np.uint8)
    a, b = SoftmaxWithLoss(), SoftmaxWithLoss()
    assert a.forward(x, labels) == pytest.approx(b.forward(x, np.eye(3)[labels]), rel=1e-6)
    np.testing.assert_allclose(a.backward(), b.backward(), rtol=1e-6)
    with pytest.raises(ValueError, match=r"labels must lie in 0\.\.2; got values from 0 to 3"):
        SoftmaxWithLoss().forward(x, np.array([0, 3, 1, 1], dtype=np.uint8))


@pytest.mark.parametrize("f", [sigmoid, relu, softmax, log_softmax])
def test_none_and_non_numbers_are_type_errors_not_nan(f):
    # a helper that forgot its return statement hands on None
    with pytest.raises(TypeError, match=rf"{f.__name__} expected numbers.*got None"):
        f(None)
    with pytest.raises(TypeError, match=r"got an array of Python objects \(dtype object\)"):
        f(np.array([1.0, None]))
    with pytest.raises(TypeError, match=r"got an array of strings \(dtype <U3\)"):
        f(np.array(["0.5"]))


def test_booleans_still_count_as_numbers():
    np.testing.assert_array_equal(relu(np.array([True, False])), [1.0, 0.0])


def test_cross_entropy_of_scores_instead_of_probabilities_is_refused():
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\].*from -3 to 2\. For "
                                         r"scores apply softmax first"):
        cross_entropy_error(np.array([[2.0, -3.0, 0.5]]), [0])


def test_probabilities_that_do_not_sum_to_one_are_refused():
    # in [0, 1] but no distribution (softmax forgotten, say): -log(0.6) came out as a loss
    with pytest.raises(ValueError, match=r"rows of y that sum to 1 as softmax's do; row 1 "
                                         r"sums to 0.75\. For scores apply softmax first, "
                                         r"cross_entropy_error\(softmax\(scores\), t\)"):
        cross_entropy_error(np.array([[0.2, 0.3, 0.5], [0.1, 0.05, 0.6]]), [2, 2])
    # the book's example sums to 1 only up to rounding, and float32 softmax rows likewise
    book = [0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0]
    assert cross_entropy_error(np.array(book), 2) == pytest.approx(-np.log(0.6))
    x = np.random.default_rng(0).normal(size=(50, 10)).astype(np.float32) * 5
    assert np.isfinite(cross_entropy_error(softmax(x), np.zeros(50, dtype=int)))


@pytest.mark.parametrize("loss", [cross_entropy_error, softmax_cross_entropy])
def test_one_hot_targets_must_be_distributions(loss):
    t = np.zeros((2, 3))
    t[[0, 1]] = 1  # every entry of both rows
    with pytest.raises(ValueError, match=r"sum to 1; row 0 is \[1\. 1\. 1\.\] \(sum 3\)"):
        loss(np.full((2, 3), 1 / 3), t)
    with pytest.raises(ValueError, match=r"row 1 is \[ 0\. -1\.  2\.\]"):
        loss(np.full((2, 3), 1 / 3), np.array([[0, 1, 0], [0, -1, 2]]))
    # (C,) scores: a (C,) array of labels would pass for a one-hot row
    with pytest.raises(ValueError, match=r"row 0 is \[0\. 1\. 2\.\]"):
        loss(np.full(3, 1 / 3), np.array([0, 1, 2]))
    soft = np.array([[0.25, 0.25, 0.5], [0.0, 1.0, 0.0]])  # soft labels are distributions
    value = loss(np.full((2, 3), 1 / 3), soft)
    value = value[0] if isinstance(value, tuple) else value  # softmax_cross_entropy: (loss, y)
    assert value == pytest.approx(np.log(3))  # every class has probability 1/3


@pytest.mark.parametrize("loss", [cross_entropy_error, softmax_cross_entropy])
@pytest.mark.parametrize("shape", [(0, 3), (2, 0), (0,)])
def test_a_loss_of_no_samples_or_no_classes_names_the_shape(loss, shape):
    with pytest.raises(ValueError, match=rf"at least one sample.*shape {shape}".replace("(", r"\(")
                       .replace(")", r"\)")):
        loss(np.zeros(shape), np.zeros(shape[0], dtype=int))


@pytest.mark.parametrize("row, shown", [
    ([1.0, 1.0, 1.0], r"\[1\. 1\. 1\.\] \(sum 3\)"),
    ([1.5, -0.5, 0.0], r"\[ 1\.5 -0\.5  0\. \] \(sum 1\)"),  # sums to 1, is no distribution
    ([np.nan, 0.0, 1.0], r"\[nan  0\.  1\.\] \(sum nan\)"),
], ids=["rows of ones", "negative", "nan"])
def test_as_label_indices_checks_one_hot_rows_and_names_the_bad_one(row, shown):
    # train checks all of t_train with it before the first step; an unchecked argmax let
    # a bad row through until a minibatch drew it
    from bpcourse.functions import as_label_indices

    t = np.eye(3)[np.arange(300) % 3]
    t[250] = row
    with pytest.raises(ValueError, match=r"sum to 1; row 250 is " + shown):
        as_label_indices(t, 3)


def test_as_label_indices_takes_integer_one_hot_and_soft_rows_and_no_rows():
    from bpcourse.functions import as_label_indices

    labels = np.array([2, 0, 1])
    assert as_label_indices(np.eye(3, dtype=np.uint8)[labels], 3).tolist() == [2, 0, 1]
    soft = np.array([[0.1, 0.2, 0.7], [0.5, 0.3, 0.2]], dtype=np.float16)
    assert as_label_indices(soft, 3).tolist() == [2, 0]
    assert as_label_indices(np.zeros((0, 3)), 3).shape == (0,)


def test_float16_soft_labels_with_float64_scores_keep_float16s_tolerance():
    # ten float16 0.1s sum to 0.99976: float16's rounding, not a wrong row
    t = np.full((2, 10), 0.1, dtype=np.float16)
    assert abs(float(t.astype(np.float64).sum(axis=1)[0]) - 1) > 1e-4
    x = np.random.default_rng(2).normal(size=(2, 10))
    loss, _ = softmax_cross_entropy(x, t)
    expected = -(t.astype(np.float64) * log_softmax(x)).sum(axis=1).mean()
    assert loss == pytest.approx(expected, rel=1e-12)
    assert cross_entropy_error(softmax(x), t) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("y", [[[0.5, np.nan]], [np.nan, 0.5]], ids=["batch", "one sample"])
@pytest.mark.parametrize("label", [0, 1])
def test_cross_entropy_refuses_nan_probabilities_whichever_class_is_true(y, label):
    # a nan from a broken softmax must not become a finite loss because the true class's
    # probability happens to be a number
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\].*from nan"):
        cross_entropy_error(np.array(y), [label])


@pytest.mark.parametrize("loss", [cross_entropy_error, softmax_cross_entropy])
def test_a_target_row_off_by_a_typo_is_refused(loss):
    # 0.5005 for 0.5: rounding explains 1e-15 here, not 5e-4
    with pytest.raises(ValueError, match=r"row 0 is \[0\.5    0\.5005\] \(sum 1\.0005\)"):
        loss(np.full((1, 2), 0.5), np.array([[0.5, 0.5005]]))


def test_float64_soft_labels_with_float16_scores_get_float16s_tolerance():
    # the labels are cast to the scores' float16, where this row sums to 0.9995
    t = np.array([[0.07, 0.531, 0.399]])
    assert abs(float(t.astype(np.float16).astype(np.float64).sum()) - 1) > 1e-4
    loss, y = softmax_cross_entropy(np.zeros((1, 3), np.float16), t)
    assert y.dtype == np.float16
    assert float(loss) == pytest.approx(np.log(3), rel=1e-3)


def test_cross_entropy_names_a_probability_just_above_one_in_full():
    y = np.array([[np.nextafter(np.float32(1), np.float32(2)), 0.0]], dtype=np.float32)
    # ":g" printed it as 1, which hid the value at fault
    with pytest.raises(ValueError, match=r"from 0 to 1\.0000001\."):
        cross_entropy_error(y, [0])


def test_float32_soft_labels_give_the_float64_loss_to_float32_precision():
    # another network's float32 probabilities as targets: rounding leaves their sums off 1
    rng = np.random.default_rng(0)
    off = 0
    for _ in range(7):
        teacher = softmax(rng.normal(size=(3, 10)).astype(np.float32))
        x = rng.normal(size=(3, 10)).astype(np.float32)
        off += np.count_nonzero(teacher.sum(axis=1, dtype=np.float32) != 1)
        loss, y = softmax_cross_entropy(x, teacher)
        t64, x64 = teacher.astype(np.float64), x.astype(np.float64)
        expected = -(t64 * (x64 - np.log(np.exp(x64).sum(axis=1, keepdims=True)))).sum() / 3
        assert loss.dtype == y.dtype == np.float32
        assert loss == pytest.approx(expected, rel=1e-6)
        assert cross_entropy_error(y, teacher) == pytest.approx(expected, rel=1e-6)
    assert off > 0  # the tolerance was needed


def test_cross_entropy_with_its_arguments_swapped_warns():
    # one-hot rows pass as probabilities and softmax rows as soft labels: a number came out
    y = softmax(np.array([[1.0, 2.0, 3.0], [0.5, 0.1, 3.0]]))
    t = np.eye(3)[[2, 0]]
    with pytest.warns(UserWarning, match=r"y is one-hot and t is not; did you swap them\?"):
        cross_entropy_error(t, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cross_entropy_error(y, t)  # the right order: no word
        cross_entropy_error(t, t)  # one-hot against itself: a loss of 0, no swap to suspect


def test_log_softmax_is_stable_row_by_row():
    x = np.array([[1e4, 0.0], [0.0, 1.0]])  # rows of very different scale
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        got = log_softmax(x)
    np.testing.assert_allclose(got[0], [0.0, -1e4])
    np.testing.assert_allclose(got[1], np.log(softmax(x[1])), rtol=1e-12)


@pytest.mark.parametrize("f", [sigmoid, relu, softmax, log_softmax])
def test_complex_input_is_a_type_error(f):
    # NumPy would compute complex values, or drop the imaginary parts, without a word
    with pytest.raises(TypeError, match=r"got an array of complex numbers"):
        f(np.array([1.0 + 1.0j, 2.0]))
