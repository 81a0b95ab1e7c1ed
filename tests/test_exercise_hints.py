"""The exercises' hints and solutions, checked: what they give solves what they are for.

Most lessons end with exercises whose hint or solution gives code: a whole backward pass, or
the one line that replaces a placeholder. These tests take that code from the notebook's own
text, put it where the exercise says, run it, and check that it does what the hint promises,
so a change to bpcourse/ (or to a hint) that breaks a solution fails here, not in class.
Lesson 6's exercise 3 gives numbers instead (the accuracies after two epochs, and when the
ReLUs die at learning rate 5): those are checked against fresh runs on the real MNIST.
"""

import functools
import re

import numpy as np
import pytest
from notebook_settings import cell_index, notebook_cells, run_cell, source_and_output

from bpcourse import train

LESSON_6 = "06_two_layer_net.ipynb"
LOG_TEST_ACC = re.compile(r"test acc (\d\.\d{4})")


def exercise(notebook, phrase):
    """(source, stored printout) of the code cell holding ``phrase``, and the hint after it."""
    source, stored = source_and_output(notebook, phrase)
    hint = notebook_cells(notebook)[cell_index(notebook, phrase) + 1]
    return source, stored, "".join(hint["source"])


def run(notebook, *sources, namespace=None):
    """What the notebook's first code cell (its imports), then ``sources``, print."""
    imports = next("".join(c["source"]) for c in notebook_cells(notebook)
                   if c["cell_type"] == "code")
    namespace = {} if namespace is None else namespace
    return "".join(run_cell(notebook, source, namespace) for source in (imports, *sources))


def cells_before(notebook, phrase):
    """The sources of the code cells above the one holding ``phrase``, as a learner ran them.

    Widget cells (tagged nbval-ignore-output) are left out: they need a kernel to talk to
    (outside one, older ipykernels warn), and no later cell uses what they leave behind.
    """
    above = notebook_cells(notebook)[:cell_index(notebook, phrase)]
    return ["".join(c["source"]) for c in above if c["cell_type"] == "code"
            and "nbval-ignore-output" not in c.get("metadata", {}).get("tags", [])]


def last_line(text):
    return text.rstrip("\n").splitlines()[-1]


def solution(hint):
    (block,) = re.findall(r"```python\n(.*?)```", hint, flags=re.DOTALL)
    return block


def test_lesson_3_delivery_fee_solution_leaves_the_earlier_gradients_as_they_were():
    notebook = "03_simple_layers.ipynb"
    cell, _, hint = exercise(notebook, "price_with_fee = fee_layer.forward(")
    _, before = source_and_output(notebook,
                                  "print(dapple, dapple_num, dorange, dorange_num, dbasket_tax)")
    # "None of the earlier gradients change ... The fee's own gradient is 1"
    # the exercise cell reuses the lesson's price_of: run the cells above it first
    printed = run(notebook, *cells_before(notebook, "price_with_fee = fee_layer.forward("),
                  cell, solution(hint)).splitlines()
    assert printed[-1] == last_line(before) + " 1.0"
    # the numerical check the exercise cell sets up agrees with the solution's backward pass
    numerical = np.array(printed[-2].strip("[]").split(), dtype=float)
    assert np.allclose(numerical, np.array(printed[-1].split(), dtype=float), rtol=1e-6)


def test_lesson_3_coupon_solution_prints_the_number_the_hint_gives():
    notebook = "03_simple_layers.ipynb"
    cell, _, hint = exercise(notebook, "coupon_price = coupon_tax_layer.forward(")
    promised = re.search(r"print\(.*\)\s*#\s*(\S+)\s*$", solution(hint), flags=re.M).group(1)
    assert promised == f"{2 * 0.9 * 1.1:g}" and f"= {promised}" in " ".join(hint.split())
    # the backward pass, then the numerical check the exercise cell sets up
    above = cells_before(notebook, "coupon_price = coupon_tax_layer.forward(")
    assert run(notebook, *above, cell, solution(hint)).splitlines()[-2:] == [promised, promised]


@pytest.mark.parametrize("notebook, phrase", [
    ("04_activation_layers.ipynb", "class Tanh:"),
    ("05_affine_softmax.ipynb", "class IdentityWithSquaredLoss:"),
])
def test_the_hinted_backward_line_makes_the_gradient_check_pass(notebook, phrase):
    cell, stored, hint = exercise(notebook, phrase)
    (line,) = re.findall(r"`(return [^`]+)`", hint)
    (placeholder,) = [text for text in cell.splitlines() if "# placeholder" in text]
    indent = placeholder[:len(placeholder) - len(placeholder.lstrip())]
    # the placeholder fails, and check_backward says by how much: no other slip is there
    for output in (stored, run(notebook, cell)):
        verdict, reason = output.splitlines()
        assert verdict == "gradient check passes: False"
        assert reason.startswith("- backward's dx is off the numerical gradient by up to")
    solved = cell.replace(placeholder, indent + line)
    assert run(notebook, solved) == "gradient check passes: True\n"


@pytest.fixture(scope="module")
def lesson_6(mnist_arrays):
    """Lesson 6's names after its imports cell, with the data its load_mnist cell gives."""
    (x_train, t_train), (x_test, t_test) = mnist_arrays
    namespace = dict(x_train=x_train, t_train=t_train, x_test=x_test, t_test=t_test)
    run(LESSON_6, namespace=namespace)
    return namespace


def test_lesson_6_learning_rate_hint_states_what_fresh_runs_give(lesson_6):
    cell, stored, hint = exercise(LESSON_6, "trial_history = train(")
    hint = " ".join(hint.split())
    first, *rest = cell.splitlines()
    assert first == "learning_rate = 0.01", "the line a learner changes, and the stored run's rate"

    def exercise_run(rate, watch=None):
        """The exercise cell as a learner runs it with ``rate``: its network and history.

        ``watch(i, network)``, if given, is called after every step of the cell's own train
        call, with the network the cell built.
        """
        namespace = dict(lesson_6)
        if watch is not None:
            namespace["train"] = functools.partial(
                train, callback=lambda i, history: watch(i, namespace["trial"]))
        run_cell(LESSON_6, "\n".join([f"learning_rate = {rate}", *rest]), namespace)
        return namespace["trial"], namespace["trial_history"]

    # 0.01 is the stored run, which tests/test_lesson6_outputs.py compares with a fresh one
    reached = {"0.01": float(LOG_TEST_ACC.findall(stored)[-1])}
    reached.update({rate: exercise_run(rate)[1].test_acc[-1] for rate in ("0.1", "0.5")})
    for rate, accuracy in reached.items():
        stated = int(re.search(rf"(\d+)% with {re.escape(rate)}\b", hint).group(1))
        assert abs(100 * accuracy - stated) < 1, f"rate {rate}: {accuracy:.2%}, not {stated}%"

    # at 5: "it ends at about 10%, no better than guessing, with a loss near ln 10 ... After 5
    # steps only 25 of the 50 units are still on for some training image, after 100 steps 3,
    # and after a little over 400 steps none. Then no gradient reaches W1, b1 or W2; only b2
    # still learns"
    x_train, alive, frozen = lesson_6["x_train"], {}, {}

    def watch(i, network):
        if i + 1 in (5, 100, 400, 450):
            on = (x_train @ network.params["W1"] + network.params["b1"] > 0).any(axis=0)
            alive[i + 1] = int(np.count_nonzero(on))
        if i + 1 == 450:
            frozen.update({key: value.copy() for key, value in network.params.items()})

    trial, history = exercise_run("5", watch)
    chance = int(re.search(r"ends at about (\d+)%", hint).group(1))
    final_loss = float(re.search(r"loss near \$\\ln 10 \\approx (\d\.\d)\$", hint).group(1))
    assert abs(100 * history.test_acc[-1] - chance) < 1, history.test_acc[-1]
    assert abs(history.loss[-1] - final_loss) < 0.05 and final_loss == round(np.log(10), 1)
    after_5 = int(re.search(r"After 5 steps only (\d+) of the 50 units", hint).group(1))
    after_100 = int(re.search(r"after 100 steps (\d+)", hint).group(1))
    assert abs(alive[5] - after_5) <= 2 and abs(alive[100] - after_100) <= 1, alive
    assert "a little over 400 steps none" in hint and alive[400] > 0 and alive[450] == 0, alive
    for key in ("W1", "b1", "W2"):
        np.testing.assert_array_equal(trial.params[key], frozen[key], err_msg=key)
    assert not np.array_equal(trial.params["b2"], frozen["b2"])
