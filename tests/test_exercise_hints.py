"""The exercises' hints and solutions, checked: what they give solves what they are for.

Most lessons end with exercises whose hint or solution gives code: a whole backward pass, or
the one line that replaces a placeholder. These tests take that code from the notebook's own
text, put it where the exercise says, run it, and check that it does what the hint promises,
so a change to bpcourse/ (or to a hint) that breaks a solution fails here, not in class.
Lesson 6's exercise 3 gives numbers instead (the accuracies after two epochs, and when the
ReLUs die at learning rate 5): those are checked against fresh runs on the real MNIST.
"""

import contextlib
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
from real_mnist import load_real_mnist

from bpcourse import TwoLayerNet, train

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
LESSON_6 = "06_two_layer_net.ipynb"


def cells(notebook):
    with open(NOTEBOOKS / notebook, encoding="utf-8") as file:
        return json.load(file)["cells"]


def exercise(notebook, phrase):
    """(source, stored stdout) of the one code cell holding ``phrase``, and the hint after it."""
    all_cells = cells(notebook)
    found = [k for k, cell in enumerate(all_cells)
             if cell["cell_type"] == "code" and phrase in "".join(cell["source"])]
    assert len(found) == 1, f"{notebook}: {len(found)} code cells hold {phrase!r}"
    cell = all_cells[found[0]]
    stored = "".join("".join(out["text"]) for out in cell["outputs"] if out.get("name") == "stdout")
    return "".join(cell["source"]), stored, "".join(all_cells[found[0] + 1]["source"])


def run(notebook, *sources, namespace=None):
    """What the notebook's first code cell (its imports), then ``sources``, print."""
    imports = next("".join(c["source"]) for c in cells(notebook) if c["cell_type"] == "code")
    printed, namespace = io.StringIO(), {} if namespace is None else namespace
    # np.printoptions() puts back the print options the lessons' first cells set
    with contextlib.redirect_stdout(printed), np.printoptions():
        for source in (imports, *sources):
            exec(compile(source, notebook, "exec"), namespace)
    return printed.getvalue()


def last_line(text):
    return text.rstrip("\n").splitlines()[-1]


def solution(hint):
    (block,) = re.findall(r"```python\n(.*?)```", hint, flags=re.DOTALL)
    return block


def test_lesson_3_delivery_fee_solution_leaves_the_earlier_gradients_as_they_were():
    notebook = "03_simple_layers.ipynb"
    cell, _, hint = exercise(notebook, "price_with_fee = fee_layer.forward(")
    _, before, _ = exercise(notebook, "print(dapple, dapple_num, dorange, dorange_num, dtax)")
    # "None of the earlier gradients change ... The fee's own gradient is 1"
    assert last_line(run(notebook, cell, solution(hint))) == last_line(before) + " 1.0"


def test_lesson_3_coupon_solution_prints_the_number_the_hint_gives():
    notebook = "03_simple_layers.ipynb"
    cell, _, hint = exercise(notebook, "coupon_price = coupon_tax_layer.forward(")
    promised = re.search(r"print\(.*\)\s*#\s*(\S+)\s*$", solution(hint), flags=re.M).group(1)
    assert promised == f"{2 * 0.9 * 1.1:g}" and f"= {promised}" in " ".join(hint.split())
    assert last_line(run(notebook, cell, solution(hint))) == promised


@pytest.mark.parametrize("notebook, phrase", [
    ("04_activation_layers.ipynb", "class Tanh:"),
    ("05_affine_softmax.ipynb", "class IdentityWithSquaredLoss:"),
])
def test_the_hinted_backward_line_makes_the_gradient_check_pass(notebook, phrase):
    cell, stored, hint = exercise(notebook, phrase)
    (line,) = re.findall(r"`(return [^`]+)`", hint)
    (placeholder,) = [text for text in cell.splitlines() if "# placeholder" in text]
    indent = placeholder[:len(placeholder) - len(placeholder.lstrip())]
    assert last_line(stored) == last_line(run(notebook, cell)) == "gradient check passes: False"
    solved = cell.replace(placeholder, indent + line)
    assert last_line(run(notebook, solved)) == "gradient check passes: True"


@pytest.fixture(scope="module")
def lesson_6(tmp_path_factory):
    """Lesson 6's names after its imports cell, with the data its load_mnist cell gives.

    (The real MNIST, from BPCOURSE_DATA or the cache; never downloaded.)
    """
    (x_train, t_train), (x_test, t_test) = load_real_mnist(tmp_path_factory.mktemp("xdg"))
    namespace = dict(x_train=x_train, t_train=t_train, x_test=x_test, t_test=t_test)
    run(LESSON_6, namespace=namespace)
    return namespace


def test_lesson_6_learning_rate_hint_states_what_fresh_runs_give(lesson_6):
    cell, _, hint = exercise(LESSON_6, "trial_history = train(")
    hint = " ".join(hint.split())
    first, *rest = cell.splitlines()
    assert first.startswith("learning_rate = "), "the line a learner changes"
    for pattern in (r"about (\d+)% with (0\.01)", r"(\d+)% with (0\.1)\b", r"(\d+)% with (0\.5)\b"):
        stated, rate = re.search(pattern, hint).groups()
        namespace = dict(lesson_6)
        with contextlib.redirect_stdout(io.StringIO()):
            exec("\n".join([f"learning_rate = {rate}", *rest]), namespace)
        reached = 100 * namespace["trial_history"].test_acc[-1]
        assert abs(reached - int(stated)) < 1, f"rate {rate}: {reached:.2f}%, not {stated}%"

    # at 5, the same settings: "it ends at about 10%, no better than guessing, with a loss
    # near ln 10 ... After 5 steps only 25 of the 50 units are still on for some training
    # image, after 100 steps 3, and after a little over 400 steps none. Then no gradient
    # reaches W1, b1 or W2; only b2 still learns"
    assert "rng=SEED, dtype=np.float32" in cell and re.search(
        r"iters_num=1200, batch_size=100, learning_rate=learning_rate, seed=SEED\)",
        " ".join(cell.split())), "the exercise's settings changed: change them here too"
    seed, x_train = lesson_6["SEED"], lesson_6["x_train"]
    net = TwoLayerNet(784, 50, 10, rng=seed, dtype=np.float32)
    alive, frozen = {}, {}

    def watch(i, history):
        if i + 1 in (5, 100, 400, 450):
            on = (x_train @ net.params["W1"] + net.params["b1"] > 0).any(axis=0)
            alive[i + 1] = int(np.count_nonzero(on))
        if i + 1 == 450:
            frozen.update({key: value.copy() for key, value in net.params.items()})

    history = train(net, x_train, lesson_6["t_train"], lesson_6["x_test"], lesson_6["t_test"],
                    iters_num=1200, batch_size=100, learning_rate=5, seed=seed, verbose=False,
                    callback=watch)
    chance = int(re.search(r"ends at about (\d+)%", hint).group(1))
    final_loss = float(re.search(r"loss near \$\\ln 10 \\approx (\d\.\d)\$", hint).group(1))
    assert abs(100 * history.test_acc[-1] - chance) < 1, history.test_acc[-1]
    assert abs(history.loss[-1] - final_loss) < 0.05 and final_loss == round(np.log(10), 1)
    after_5 = int(re.search(r"After 5 steps only (\d+) of the 50 units", hint).group(1))
    after_100 = int(re.search(r"after 100 steps (\d+)", hint).group(1))
    assert abs(alive[5] - after_5) <= 2 and abs(alive[100] - after_100) <= 1, alive
    assert "a little over 400 steps none" in hint and alive[400] > 0 and alive[450] == 0, alive
    for key in ("W1", "b1", "W2"):
        np.testing.assert_array_equal(net.params[key], frozen[key], err_msg=key)
    assert not np.array_equal(net.params["b2"], frozen["b2"])
