"""Shared test settings, the thread-leak guard and a spy on the lesson layers."""

import threading

import pytest
from hypothesis import settings

# Deterministic: CI and a developer see the same examples; no database written to disk.
settings.register_profile("course", derandomize=True, database=None, deadline=None,
                          max_examples=40)
settings.load_profile("course")


@pytest.fixture(autouse=True)
def no_course_thread_outlives_a_test():
    """Every test joins the threads it starts (training, accuracy): none may leak onward."""
    yield
    alive = [t.name for t in threading.enumerate()
             if t.name.startswith("bpcourse-") and t.is_alive()]
    assert not alive, f"a test left threads running: {alive}"


@pytest.fixture(scope="session")
def mnist_arrays(tmp_path_factory):
    """The real MNIST, ((x_train, t_train), (x_test, t_test)), loaded once for the tests that
    read it (never downloaded: skipped, saying why, where it is not there). Read-only."""
    from real_mnist import load_real_mnist

    return load_real_mnist(tmp_path_factory.mktemp("xdg"))


@pytest.fixture
def layer_calls(monkeypatch):
    """Record "mul.forward", "add.backward", ... each time a MulLayer or AddLayer is used.

    The graph's × and + nodes look the layers up at call time, so this shows that the
    numbers on a picture come from the learner's layers, not from a formula.
    """
    from bpcourse import layers

    calls = []

    def spy(cls, name):
        class Spy(cls):
            def forward(self, x, y):
                calls.append(f"{name}.forward")
                return super().forward(x, y)

            def backward(self, dout):
                calls.append(f"{name}.backward")
                return super().backward(dout)

        return Spy

    monkeypatch.setattr(layers, "MulLayer", spy(layers.MulLayer, "mul"))
    monkeypatch.setattr(layers, "AddLayer", spy(layers.AddLayer, "add"))
    return calls
