"""Where the tests find the real MNIST: the folder BPCOURSE_DATA names (CI sets it)."""

import os
from pathlib import Path

import pytest

NOT_SET = ("BPCOURSE_DATA is not set: point it at a folder with the four MNIST .gz files "
           "to run the real-data tests")


def data_folder():
    """The folder BPCOURSE_DATA names, or None if it is not set.

    A folder that does not exist stops the tests red (as ERRORs: fixtures call this): then
    CI is misconfigured, and a skip would hide it.
    """
    value = os.environ.get("BPCOURSE_DATA")
    if not value:
        return None
    if not Path(value).is_dir():
        pytest.fail(f"BPCOURSE_DATA={value!r} is set, but there is no such folder")
    return Path(value)


def cache_settings(cache):
    """The environment a run reading the real MNIST gets: with BPCOURSE_DATA set, the empty
    folder ``cache`` as XDG_CACHE_HOME (read the folder itself, leave no cache behind);
    without it, nothing, so the user cache that `python -m bpcourse.datasets` fills is used.
    """
    return {} if data_folder() is None else {"XDG_CACHE_HOME": str(cache)}


def load_real_mnist(cache):
    """The real MNIST for a test, never downloaded: ((x_train, t_train), (x_test, t_test)).

    From the folder BPCOURSE_DATA names or else the user cache (see ``cache_settings``);
    if it is in neither, the test is skipped, saying why. Bad files in the folder fail the
    test.
    """
    from bpcourse import datasets

    folder = data_folder()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(datasets, "MIRRORS", [])  # a test never downloads
        for variable, value in cache_settings(cache).items():
            patch.setenv(variable, value)
        try:
            return datasets.load_mnist(data_dir=folder)
        except datasets.MnistError as error:
            if folder is not None:
                raise
            pytest.skip(f"{NOT_SET}, and MNIST is not in the cache either: "
                        f"{str(error).splitlines()[0]}")
