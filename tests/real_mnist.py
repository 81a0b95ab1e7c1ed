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
