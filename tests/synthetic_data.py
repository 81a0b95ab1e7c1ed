"""A tiny synthetic data set for the widget and explorer tests (no MNIST needed)."""

import numpy as np


def blobs(n=240, classes=3, side=8, seed=0):
    """Tiny "digits": each class lights its own band of an 8x8 image, plus noise."""
    rng = np.random.default_rng(seed)
    t = rng.integers(0, classes, size=n)
    x = 0.3 * rng.random((n, side * side))
    for k in range(classes):
        x[t == k, 2 * k * side:(2 * k + 1) * side] += 0.7
    return x, t
