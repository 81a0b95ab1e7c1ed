"""notebooks/conftest.py as a plain module, for the tests that start kernels of their own."""

import importlib.util
from pathlib import Path

PATH = Path(__file__).resolve().parents[1] / "notebooks" / "conftest.py"


def notebook_conftest():
    """A fresh copy of that module: its hooks are not registered, so nothing runs on import."""
    spec = importlib.util.spec_from_file_location("notebook_conftest", PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
