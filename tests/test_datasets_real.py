"""load_mnist() on the real MNIST, from the folder named by BPCOURSE_DATA.

CI sets BPCOURSE_DATA to a read-only copy of the four .gz files. Without it these tests
are skipped; with it set to a folder that does not exist they error, because then CI is
misconfigured and a skip would hide it. Downloads are switched off, so a missing file is
an error here, never a trip to the internet.
"""


import numpy as np
import pytest
from real_mnist import NOT_SET, data_folder

from bpcourse import datasets, fileio
from bpcourse.datasets import FILES, load_mnist

FIRST_TEN_TRAIN_LABELS = [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
# How many of each digit 0..9 the training and test sets hold.
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture
def real_data(tmp_path, monkeypatch):
    """The BPCOURSE_DATA folder, with an empty private cache and no mirrors."""
    folder = data_folder()
    if folder is None:
        pytest.skip(NOT_SET)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(datasets, "MIRRORS", [])
    return folder


def files_in(folder):
    return sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir())


def test_cold_load_of_the_real_data(real_data):
    before = files_in(real_data)
    assert not datasets.mnist_cache_dir().exists()  # nothing cached: this is the cold path
    (x_train, t_train), (x_test, t_test) = load_mnist()
    assert x_train.shape == (60000, 784) and x_train.dtype == np.float32
    assert x_test.shape == (10000, 784) and x_test.dtype == np.float32
    assert t_train.shape == (60000,) and t_train.dtype == np.uint8
    assert t_test.shape == (10000,) and t_test.dtype == np.uint8
    assert x_train.min() == 0.0 and x_train.max() == 1.0
    assert t_train[:10].tolist() == FIRST_TEN_TRAIN_LABELS
    assert np.bincount(t_train, minlength=10).tolist() == TRAIN_COUNTS
    assert np.bincount(t_test, minlength=10).tolist() == TEST_COUNTS
    assert files_in(real_data) == before  # the data folder was only read
    assert len(list(datasets.mnist_cache_dir().glob("mnist-*.npz"))) == 1


def test_warm_load_of_the_real_data(real_data, monkeypatch):
    (x_cold, t_cold), (x_test_cold, _) = load_mnist(normalize=False)
    calls = []
    monkeypatch.setattr(fileio, "gunzip", lambda *a, **k: calls.append(a))
    (x, t), (x_test, t_test) = load_mnist(normalize=False, flatten=False, one_hot_label=True)
    assert calls == []  # came from the array cache, not from the .gz files
    assert x.shape == (60000, 1, 28, 28) and x.dtype == np.uint8
    assert x_test.shape == (10000, 1, 28, 28)
    assert t.shape == (60000, 10) and t.dtype == np.float32
    np.testing.assert_array_equal(x.reshape(60000, 784), x_cold)
    np.testing.assert_array_equal(t.argmax(axis=1), t_cold)
    np.testing.assert_array_equal(t_test.sum(axis=1), np.ones(10000))
    np.testing.assert_array_equal(x_test.reshape(10000, 784), x_test_cold)


def test_command_line_on_the_real_data(real_data, capsys):
    assert datasets.main([]) == 0
    out = capsys.readouterr().out
    for name in FILES:
        assert str(real_data / name) in out
    assert "60000 training and 10000 test images of 28x28 pixels" in out


def test_the_download_cap_leaves_room_for_the_real_files():
    folder = data_folder()
    if folder is None:
        pytest.skip(NOT_SET)
    biggest = max((folder / name).stat().st_size for name in FILES)
    assert datasets._MAX_DOWNLOAD_BYTES >= 2 * biggest
