"""Shared test settings and the thread-leak guard."""

import threading

import pytest
from hypothesis import settings

# Deterministic: CI and a developer see the same examples; no database written to disk.
settings.register_profile("course", derandomize=True, database=None, deadline=None,
                          max_examples=40)
settings.load_profile("course")


@pytest.fixture(autouse=True)
def no_training_thread_outlives_a_test():
    """Every test joins the training threads it starts: none may leak into the next test."""
    yield
    alive = [t for t in threading.enumerate() if t.name == "bpcourse-training" and t.is_alive()]
    assert not alive, f"a test left {len(alive)} training thread(s) running"
