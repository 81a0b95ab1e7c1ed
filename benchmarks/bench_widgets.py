"""How responsive are the widgets, and what does the dashboard cost training?

    python benchmarks/bench_widgets.py [--data-dir DIR] [--iters 10000] [--repeats 3]
                                       [--no-kernel]

Prints two tables.

1. Time per redraw of every widget after one control change (median of several), the
   PNG it sends included. The goal: well under a second for a slider move.
2. Training time of the dashboard against plain ``bpcourse.train`` with the same settings
   (MNIST, hidden 50, learning rate 0.1, batch 100, float32, seed 0). Plain ``train``
   measures accuracy on all 60000 training images every epoch; the dashboard on a fixed
   10000-image subset. So the fair baseline for the widget's own overhead (progress bar,
   status text, live plot) is ``train`` with that same subset; the goal is < 10% over it.
   The dashboard runs headless here and, unless --no-kernel, also inside a real ipykernel
   (via jupyter_client), where every widget update becomes a message to the front end.

Uses MNIST from --data-dir, $BPCOURSE_DATA or the cache, never downloading it; without it,
random data of MNIST's shape (and no kernel rows, since the kernel would need MNIST).
Every training run uses one BLAS thread: ``train`` sets that itself.
"""

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

from bpcourse import TwoLayerNet, datasets, train
from bpcourse import widgets as W
from bpcourse.training_run import evaluation_subset


def load_data(data_dir):
    datasets.MIRRORS = []  # a benchmark that downloads would measure the network
    try:
        (x, t), (xt, tt) = datasets.load_mnist(data_dir=data_dir)
        return x, t, xt, tt, "MNIST"
    except Exception as exc:  # no data here: the timings are about shapes, not digits
        rng = np.random.default_rng(0)
        print(f"(MNIST not available: {exc!r}; using random data of the same shape)")
        x = rng.random((60000, 784), dtype=np.float32)
        xt = rng.random((10000, 784), dtype=np.float32)
        return x, rng.integers(0, 10, 60000), xt, rng.integers(0, 10, 10000), "random"


def per_redraw(change, values, repeats=3):
    """Median seconds of ``change(v)`` over values (each one control change + redraw)."""
    times = []
    for _ in range(repeats):
        for v in values:
            start = time.perf_counter()
            change(v)
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def redraw_table(x_train, t_train, x_test, t_test):
    net = TwoLayerNet(784, 50, 10, rng=0)
    train(net, x_train, t_train, x_test, t_test, iters_num=600, verbose=False)
    shop, act = W.shopping_explorer(), W.activation_explorer()
    num, look = W.numerical_gradient_explorer(), W.look_inside(net, x_test, t_test)
    dash = W.training_dashboard(x_train, t_train, x_test, t_test)
    history = train(TwoLayerNet(784, 50, 10, rng=0), x_train[:6000], t_train[:6000],
                    x_test, t_test, iters_num=10000, verbose=False)

    def set_value(control):
        return lambda v: setattr(control, "value", v)

    full_loss = list(history.loss)

    def dash_frame(n):
        history.loss = full_loss[:n]  # the run as seen at iteration n
        dash.plot.update(history, 10000, 10000)
        dash.plot.render_png(W.DPI)

    rows = [
        ("shopping: apple price slider", per_redraw(set_value(shop.apple), [110, 120, 130])),
        ("shopping: tax slider", per_redraw(set_value(shop.tax), [1.2, 1.3, 1.05])),
        ("activation: x slider", per_redraw(set_value(act.x), [-1.0, 0.5, 2.0])),
        ("activation: ReLU <-> Sigmoid", per_redraw(set_value(act.kind), ["Sigmoid", "ReLU"])),
        ("numerical gradient: h slider", per_redraw(set_value(num.h), [1e-8, 1e-2, 1e-11])),
        ("numerical gradient: function", per_redraw(set_value(num.function),
                                                    ["sin", "exp", "book"])),
        ("look inside: test digit slider", per_redraw(set_value(look.index), [1, 2, 3])),
        ("dashboard: live frame (blit)", per_redraw(dash_frame, [4000, 7000, 10000])),
        ("dashboard: full frame", per_redraw(lambda _: W.png_bytes(dash.plot.fig, W.DPI),
                                             [0, 1, 2])),
    ]
    print("\nTime per redraw (one control change, PNG included; median)\n")
    print(f"| {'widget and control':34} | {'ms':>6} |")
    print(f"|{'-' * 36}|{'-' * 8}|")
    for name, seconds in rows:
        print(f"| {name:34} | {1000 * seconds:6.1f} |")


SETTINGS = dict(hidden_size=50, learning_rate=0.1, batch_size=100, seed=0)


def plain_train(data, iters, subset):
    """The dashboard's run (SETTINGS) without the dashboard."""
    x, t, xt, tt = data
    hidden, lr, batch, seed = (SETTINGS[key] for key in
                               ("hidden_size", "learning_rate", "batch_size", "seed"))
    net = TwoLayerNet(784, hidden, 10, rng=seed, dtype=x.dtype)
    cpu = time.process_time()
    h = train(net, x, t, xt, tt, iters_num=iters, batch_size=batch, learning_rate=lr,
              seed=seed, verbose=False,
              eval_indices=evaluation_subset(len(x)) if subset else None)
    return h.seconds, time.process_time() - cpu, h.test_acc[-1], 0.0


def dashboard_train(data, iters):
    dash = W.training_dashboard(*data, iters_num=iters, **SETTINGS)
    dash.start()
    dash.wait()
    # cpu_seconds: every thread of the process while train() ran, the drawing included
    return (dash.history.seconds, dash.training.cpu_seconds, dash.history.test_acc[-1],
            dash.training.plot_seconds)


KERNEL_CODE = """
import json, time
from bpcourse import TwoLayerNet, datasets, train, widgets
from bpcourse.training_run import evaluation_subset
datasets.MIRRORS = []
(x, t), (xt, tt) = datasets.load_mnist(data_dir={data_dir!r})
plain, dashboard = [], []
for _ in range({repeats}):
    net = TwoLayerNet(784, {hidden_size}, 10, rng={seed}, dtype=x.dtype)
    cpu = time.process_time()
    h = train(net, x, t, xt, tt, eval_indices=evaluation_subset(len(x)), iters_num={iters},
              batch_size={batch_size}, learning_rate={learning_rate}, seed={seed},
              verbose=False)
    plain.append([h.seconds, time.process_time() - cpu, h.test_acc[-1], 0.0])
    dash = widgets.training_dashboard(x, t, xt, tt, iters_num={iters}, {settings})
    display(dash)
    dash.train_button.click()  # the button's own handler, as a click from the browser runs
    dash.wait()
    # cpu_seconds counts all the kernel's threads, the one sending the messages too
    dashboard.append([dash.history.seconds, dash.training.cpu_seconds,
                      dash.history.test_acc[-1], dash.training.plot_seconds])
print("RESULT" + json.dumps([plain, dashboard]))
"""


def dashboard_in_kernel(iters, repeats, data_dir):
    """The dashboard inside a real ipykernel, its widget messages really sent."""
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3", env=dict(os.environ))
    try:
        settings = ", ".join(f"{k}={v!r}" for k, v in SETTINGS.items())
        msg_id = kc.execute(KERNEL_CODE.format(iters=iters, repeats=repeats, settings=settings,
                                               data_dir=data_dir, **SETTINGS))
        messages = 0
        while True:
            msg = kc.get_iopub_msg(timeout=600)
            messages += msg["msg_type"] == "comm_msg"
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "error":
                raise RuntimeError(msg["content"]["evalue"])
            if msg["msg_type"] == "stream" and "RESULT" in msg["content"]["text"]:
                text = msg["content"]["text"]
                return json.loads(text[text.index("RESULT") + 6:].strip()), messages
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def training_table(data, iters, repeats, kernel, data_dir):
    runs = {"full": [], "subset": [], "dash": []}
    for _ in range(repeats):  # interleaved, so a busy moment hits every variant alike
        runs["full"].append(plain_train(data, iters, subset=False))
        runs["subset"].append(plain_train(data, iters, subset=True))
        runs["dash"].append(dashboard_train(data, iters))
    kernel_runs = None
    if kernel:
        try:
            kernel_runs, messages = dashboard_in_kernel(iters, repeats, data_dir)
        except Exception as exc:
            print(f"(dashboard in a kernel skipped: {exc!r})")
    base = [min(r[k] for r in runs["subset"]) for k in (0, 1)]
    print(f"\nTraining {iters} iterations, hidden 50, lr 0.1, batch 100, float32 "
          f"(best of {repeats}). Wall time counts other processes' load too; CPU time is\n"
          f"this process's own work in all its threads, the steadier measure on a shared "
          f"machine.\n")
    print(f"| {'run':56} | {'wall s':>6} | {'vs base':>7} | {'CPU s':>6} | {'vs base':>7} "
          f"| {'test acc':>8} |")
    print(f"|{'-' * 58}|{'-' * 8}|{'-' * 9}|{'-' * 8}|{'-' * 9}|{'-' * 10}|")

    def row(name, results, base=base):
        wall, cpu = (min(r[k] for r in results) for k in (0, 1))
        print(f"| {name:56} | {wall:6.2f} | {100 * (wall / base[0] - 1):+6.1f}% | {cpu:6.2f} "
              f"| {100 * (cpu / base[1] - 1):+6.1f}% | {results[0][2]:8.4f} |")

    row("plain train, accuracy on all 60000 train images", runs["full"])
    row("plain train, accuracy on 10000-image subset: BASE", runs["subset"])
    row("dashboard, headless", runs["dash"])
    if kernel_runs:
        plain_k, dash_k = kernel_runs
        kernel_base = [min(r[k] for r in plain_k) for k in (0, 1)]
        row("in an ipykernel: plain train, subset: KERNEL BASE", plain_k)
        row("in an ipykernel: dashboard (vs KERNEL BASE)", dash_k, kernel_base)
    plot = min(r[3] for r in runs["dash"])
    print(f"\nThe headless dashboard spent {plot:.2f} s drawing its live plot"
          + (f"; {messages} widget messages went out in the kernel." if kernel_runs else "."))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("BPCOURSE_DATA"),
                        help="folder with the four MNIST .gz files (default: $BPCOURSE_DATA)")
    parser.add_argument("--iters", type=int, default=10000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-kernel", action="store_true")
    args = parser.parse_args(argv)
    *data, source = load_data(args.data_dir)
    print(f"data: {source}; python {sys.version.split()[0]}, numpy {np.__version__}, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    redraw_table(*data)
    kernel = not args.no_kernel and source == "MNIST"
    if not kernel:
        print("(dashboard in a kernel skipped: " + ("--no-kernel)" if args.no_kernel else
                                                     "the kernel would need MNIST)"))
    training_table(data, args.iters, args.repeats, kernel, args.data_dir)


if __name__ == "__main__":
    main()
