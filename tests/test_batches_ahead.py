"""gathered_ahead: the mini-batches train computes with, copied in another thread."""

import threading
from contextlib import closing

import numpy as np
import pytest

from bpcourse import TwoLayerNet, train
from bpcourse.batches_ahead import gathered_ahead
from bpcourse.training import _minibatches


def batch_threads():
    return [th for th in threading.enumerate() if th.name.startswith("bpcourse-batches")]


@pytest.mark.parametrize("count, per_block, blocks_ahead", [(47, 20, 2), (5, 20, 2), (7, 1, 1),
                                                            (0, 20, 2)])
def test_it_yields_each_batch_with_its_rows_in_order(count, per_block, blocks_ahead):
    rng = np.random.default_rng(0)
    x = rng.random((50, 3, 4))  # any trailing shape
    t = np.eye(5)[rng.integers(0, 5, 50)]  # one-hot rows: (50, 5)
    batches = list(rng.integers(0, 50, size=(count, 6)))
    got = list(gathered_ahead(x, t, iter(batches), per_block, blocks_ahead))
    assert len(got) == count
    for batch, (index, x_batch, t_batch) in zip(batches, got, strict=True):
        np.testing.assert_array_equal(index, batch)
        np.testing.assert_array_equal(x_batch, x[batch])  # shape (6, 3, 4)
        np.testing.assert_array_equal(t_batch, t[batch])
    assert not batch_threads()


def test_closing_it_early_stops_the_worker_at_once():
    x, t = np.zeros((100, 2)), np.zeros(100, dtype=int)
    batches = _minibatches(np.random.default_rng(0), 100, 10_000, 10)
    with closing(gathered_ahead(x, t, batches)) as gathered:
        next(gathered)
        assert len(batch_threads()) == 1
    assert not batch_threads()


def test_training_gives_the_numbers_of_gathering_in_the_loop():
    # the loop as it was before gathered_ahead, for the same seed: the same weights, bit for bit
    rng = np.random.default_rng(1)
    x, t = rng.random((300, 8)), rng.integers(0, 3, 300)
    net, twin = TwoLayerNet(8, 5, 3, rng=0), TwoLayerNet(8, 5, 3, rng=0)
    train(net, x, t, x, t, iters_num=73, batch_size=16, learning_rate=0.5, verbose=False)
    for batch in _minibatches(np.random.default_rng(0), 300, 73, 16):
        grads = twin.gradient(x[batch], t[batch])
        for key, param in twin.params.items():
            param -= 0.5 * grads[key]
    for key in net.params:
        np.testing.assert_array_equal(net.params[key], twin.params[key])


def test_an_error_in_the_loop_stops_the_worker_even_while_its_traceback_is_kept():
    # Jupyter keeps the last traceback, and with it train's frame and the generator: the
    # worker must stop when train is left, not when that traceback is dropped
    rng = np.random.default_rng(1)
    x, t = rng.random((300, 8)), rng.integers(0, 3, 300)

    def interrupt(i, history):
        if i == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt) as info:
        train(TwoLayerNet(8, 5, 3, rng=0), x, t, x, t, iters_num=500, batch_size=10,
              verbose=False, callback=interrupt)
    assert info.tb is not None
    assert not batch_threads()
