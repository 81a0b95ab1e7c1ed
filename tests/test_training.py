import numpy as np
import pytest

from bpcourse import TwoLayerNet, train


def toy_data(seed=0, n=400):
    """Two well separated blobs in 8-D: any working SGD loop learns them."""
    rng = np.random.default_rng(seed)
    t = rng.integers(0, 2, size=n)
    x = rng.normal(size=(n, 8)) + 3.0 * t[:, None]
    return x[:300], t[:300], x[300:], t[300:]


def test_train_learns_and_records_history(capsys):
    x, t, xt, tt = toy_data()
    net = TwoLayerNet(8, 10, 2, weight_init_std=0.1, rng=0)
    history = train(net, x, t, xt, tt, iters_num=200, batch_size=30, learning_rate=0.1)
    assert len(history.loss) == 200
    # 300 / 30 = 10 iterations an epoch: 0, 10, ..., 190, plus the last one (199)
    assert history.epochs == [*range(0, 200, 10), 199]
    assert len(history.train_acc) == len(history.test_acc) == 21
    assert history.test_acc[-1] > 0.95 and history.test_acc[0] < history.test_acc[-1]
    assert np.mean(history.loss[-20:]) < np.mean(history.loss[:20]) / 2
    out = capsys.readouterr().out
    assert out.count("train acc") == 21 and "iteration   199" in out


def test_train_is_reproducible_with_a_seed():
    x, t, xt, tt = toy_data()
    runs = []
    for _ in range(2):
        net = TwoLayerNet(8, 10, 2, rng=0)
        runs.append(train(net, x, t, xt, tt, iters_num=50, batch_size=20, verbose=False))
    assert runs[0].loss == runs[1].loss


def test_callback_stops_cleanly_and_the_network_keeps_its_state():
    x, t, xt, tt = toy_data()
    net = TwoLayerNet(8, 10, 2, rng=0)
    before = net.params["W1"].copy()
    history = train(net, x, t, xt, tt, iters_num=1000, batch_size=30, verbose=False,
                    callback=lambda i, h: i == 24)
    assert history.stopped and len(history.loss) == 25
    assert not np.array_equal(net.params["W1"], before)


def test_progress_bar_goes_to_stderr(capsys):
    x, t, xt, tt = toy_data()
    train(TwoLayerNet(8, 4, 2, rng=0), x, t, xt, tt, iters_num=100, batch_size=30,
          verbose=False, progress=True)
    err = capsys.readouterr().err
    assert "100/100" in err and "#" * 40 in err


def test_mismatched_lengths_are_reported():
    x, t, xt, tt = toy_data()
    with pytest.raises(ValueError, match="x_train 300, t_train 299"):
        train(TwoLayerNet(8, 4, 2), x, t[:-1], xt, tt)
