"""Shared test settings, the thread-leak guard and a tiny synthetic data set."""

import threading

import numpy as np
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


def blobs(n=240, classes=3, side=8, seed=0):
    """Tiny "digits": each class lights its own band of an 8x8 image, plus noise."""
    rng = np.random.default_rng(seed)
    t = rng.integers(0, classes, size=n)
    x = 0.3 * rng.random((n, side * side))
    for k in range(classes):
        x[t == k, 2 * k * side:(2 * k + 1) * side] += 0.7
    return x, t
