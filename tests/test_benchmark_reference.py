"""The benchmark's textbook-style reference does the course's maths (issue 7's yardstick).

``benchmarks/bench_train.py`` times the course against ``benchmarks/textbook_net.py``. The
ratio means something only if both train the same network on the same mini-batches: a
reference that learned something else, or drew other batches, could be faster or slower
for reasons that have nothing to do with how the course is written. The benchmark itself
only compares final accuracies (within 0.5 points); these tests compare the gradients and
the trained weights, in float64 on small data, in a fraction of a second.
"""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from bpcourse import TwoLayerNet, train

TEXTBOOK = Path(__file__).resolve().parents[1] / "benchmarks" / "textbook_net.py"


@pytest.fixture
def textbook():
    """benchmarks/textbook_net.py as a module (benchmarks/ is not a package)."""
    spec = importlib.util.spec_from_file_location("textbook_net", TEXTBOOK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def digits_like(n, features=30, seed=0):
    """x (n, features) in [0, 1) and labels (n,) of 10 classes that a network can learn."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, features))
    rule = np.random.default_rng(99).standard_normal((features, 10))
    return x, ((x - 0.5) @ rule).argmax(axis=1)


def test_the_reference_network_has_the_courses_gradients(textbook):
    x, labels = digits_like(20)
    course = TwoLayerNet(30, 8, 10, weight_init_std=0.5, rng=2)
    book = textbook.BookTwoLayerNet(course.params)  # it copies them

    expected = course.gradient(x, labels)
    got = book.gradient(x, np.eye(10)[labels])

    assert got.keys() == expected.keys()
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-10, atol=1e-15,
                                   err_msg=key)
    # the same forward pass too: the book's loss differs only by its log(y + 1e-7)
    course.loss(x, labels)
    y_true = course.last_layer.y[np.arange(len(x)), labels]
    assert book.loss(x, np.eye(10)[labels]) == pytest.approx(-np.log(y_true + 1e-7).mean(),
                                                             rel=1e-12)


def test_the_reference_trains_on_the_courses_batches_to_the_same_weights(textbook,
                                                                          monkeypatch):
    x_train, t_train = digits_like(600, seed=1)
    x_test, t_test = digits_like(200, seed=2)
    settings = {"iters_num": 300, "batch_size": 50, "learning_rate": 0.5}
    # setitem keeps the keys in place: train_reference unpacks SETTINGS.values() by position
    for key, value in settings.items():
        monkeypatch.setitem(textbook.SETTINGS, key, value)
    made = []

    class Recorded(textbook.BookTwoLayerNet):
        def __init__(self, params):
            super().__init__(params)
            made.append(self)

    monkeypatch.setattr(textbook, "BookTwoLayerNet", Recorded)
    course = TwoLayerNet(30, 16, 10, weight_init_std=0.1, rng=textbook.SEED)
    init = {key: value.copy() for key, value in course.params.items()}

    *_, reference_acc = textbook.train_reference(x_train, t_train, x_test, t_test, init)
    history = train(course, x_train, t_train, x_test, t_test, seed=textbook.SEED,
                    verbose=False, **settings)

    (book,) = made
    assert not np.array_equal(book.params["W1"], init["W1"])  # it did train
    for key, param in course.params.items():
        np.testing.assert_allclose(book.params[key], param, rtol=1e-9, atol=1e-12,
                                   err_msg=key)
    assert reference_acc == history.test_acc[-1]
