"""Computational graphs that compute their own numbers (lessons 1 to 5).

A :class:`Graph` holds input leaves, operation nodes and output sinks. ``forward()`` computes
the value on every edge from left to right, ``backward()`` the gradient on every edge from
right to left, so the numbers on a picture (``bpcourse.drawing``) are computed, never typed.

Each operation keeps its forward and its backward side by side, micrograd-style. The ×
and + nodes delegate to :class:`bpcourse.layers.MulLayer` and :class:`~bpcourse.layers.AddLayer`:
the shopping pictures show exactly what the learner's layers compute. No matplotlib here, so
``import bpcourse.graph`` stays fast.
"""

import numpy as np

from bpcourse import layers


class Op:
    """One operation. ``forward(*inputs) -> value``; ``backward(dout) -> one grad per input``.

    A gradient of ``None`` means "not drawn" (e.g. the labels t of Softmax-with-Loss).
    ``shape`` is "circle" (a symbol in a circle, as in the book) or "box" (a named layer).
    """

    symbol = "?"
    shape = "circle"

    def forward(self, *xs):
        raise NotImplementedError

    def backward(self, dout):
        raise NotImplementedError


class Mul(Op):
    symbol = "×"

    def forward(self, x, y):
        self.layer = layers.MulLayer()  # looked up at call time, so tests can spy on it
        return self.layer.forward(x, y)

    def backward(self, dout):
        return self.layer.backward(dout)  # (dout * y, dout * x): the inputs swapped


class Add(Op):
    symbol = "+"

    def forward(self, x, y):
        self.layer = layers.AddLayer()
        return self.layer.forward(x, y)

    def backward(self, dout):
        return self.layer.backward(dout)  # dout unchanged to both (summed where broadcast)


class Square(Op):
    symbol = "**2"

    def forward(self, x):
        self.x = x
        return x**2

    def backward(self, dout):
        return (dout * 2 * self.x,)


class Exp(Op):
    symbol = "exp"

    def forward(self, x):
        self.out = np.exp(x)
        return self.out

    def backward(self, dout):
        return (dout * self.out,)  # exp is its own derivative


class Reciprocal(Op):
    symbol = "/"  # the book's name for y = 1/x

    def forward(self, x):
        self.out = 1 / x
        return self.out

    def backward(self, dout):
        return (-dout * self.out**2,)  # d(1/x)/dx = -1/x**2 = -y**2


class Scale(Op):
    """y = c·x for a constant c, drawn as "×c" (the sigmoid's ×(−1))."""

    def __init__(self, c):
        self.c = c
        text = _num(c)
        self.symbol = f"×({text})" if c < 0 else f"×{text}"

    def forward(self, x):
        return self.c * x

    def backward(self, dout):
        return (self.c * dout,)


class AddConst(Op):
    """y = x + c for a constant c, drawn as "+c" (the sigmoid's +1)."""

    def __init__(self, c):
        self.c = c
        self.symbol = f"+{_num(c)}" if c >= 0 else f"−{_num(-c)}"

    def forward(self, x):
        return x + self.c

    def backward(self, dout):
        return (dout,)


class Sum(Op):
    symbol = "sum"

    def __init__(self, axis=0):
        self.axis = axis

    def forward(self, x):
        self.shape_in = np.shape(x)
        return np.sum(x, axis=self.axis)

    def backward(self, dout):
        # every summed element contributed with weight 1, so each gets dout back
        return (np.broadcast_to(np.expand_dims(dout, self.axis), self.shape_in).copy(),)


class Dot(Op):
    """Matrix product X·W, the first half of the Affine layer (lesson 5)."""

    symbol = "dot"

    def forward(self, x, w):
        self.x, self.w = np.asarray(x), np.asarray(w)
        return self.x @ self.w

    def backward(self, dout):
        dx = dout @ self.w.T
        dw = self.x.T @ dout if self.x.ndim == 2 else np.outer(self.x, dout)
        return dx, dw


class SoftmaxWithLossOp(Op):
    """Scores a1..aC and one-hot labels t1..tC in, the loss L out; backward gives y − t.

    Delegates to :class:`bpcourse.layers.SoftmaxWithLoss`; ``self.y`` keeps softmax(a) for
    captions. The labels are data, not parameters, so their gradients are ``None``.
    """

    symbol = "Softmax-\nwith-Loss"
    shape = "box"

    def forward(self, *xs):
        half = len(xs) // 2
        self.layer = layers.SoftmaxWithLoss()
        loss = self.layer.forward(np.array(xs[:half], float), np.array(xs[half:], float))
        self.y = self.layer.y.reshape(-1)
        return float(loss)

    def backward(self, dout):
        dx = self.layer.backward(dout)
        return tuple(float(d) for d in dx) + (None,) * len(dx)


def _num(c):
    return f"{c:g}".replace("-", "−")


class Node:
    """A leaf ("input"), an operation ("op") or an output sink ("output").

    ``value`` is the node's output, ``grad`` the gradient of the final output with respect to
    it. ``label`` is drawn next to the node ("apple", "tax"); ``pos`` is an (x, y) position
    or None for the automatic layout; ``size`` is the (width, height) of a box node.
    """

    def __init__(self, kind, op=None, inputs=(), value=None, label=None, pos=None, size=None):
        self.kind, self.op, self.inputs = kind, op, list(inputs)
        self.value, self.grad = value, None
        self.label, self.pos, self.size = label, pos, size
        self.edges_in, self.edges_out = [], []

    def __repr__(self):
        what = self.op.symbol if self.op else self.kind
        return f"Node({what!r}, label={self.label!r}, value={self.value!r})"


class Edge:
    """An arrow src → dst (into input ``slot`` of dst), carrying ``value`` and ``grad``.

    ``fwd_label`` / ``bwd_label`` override the text drawn for the value / gradient: None for
    the formatted number, a string (a "{}" in it is replaced by the formatted number; mathtext
    such as r"$\\frac{\\partial L}{\\partial z}$" works) or a callable number -> string.
    """

    def __init__(self, src, dst, slot):
        self.src, self.dst, self.slot = src, dst, slot
        self.value = self.grad = None
        self.fwd_label = self.bwd_label = None

    def __repr__(self):
        return f"Edge({self.src!r} -> {self.dst!r}, value={self.value!r}, grad={self.grad!r})"


class Graph:
    """A computational graph: build it with the methods below, then ``run()`` it.

    Lesson 1 (computational graphs) onwards. Nodes are kept in creation order, which is a
    topological order because a node's inputs must exist before it does.
    """

    def __init__(self):
        self.nodes, self.edges, self.seed = [], [], 1.0

    def input(self, value, label=None, *, pos=None):
        """Add an input leaf holding ``value``; change ``node.value`` and re-run to update."""
        return self._add(Node("input", value=value, label=label, pos=pos))

    def op(self, op, *inputs, label=None, pos=None, size=None):
        """Add an operation node computing ``op`` of the ``inputs`` nodes."""
        node = self._add(Node("op", op, inputs, label=label, pos=pos, size=size))
        for slot, src in enumerate(inputs):
            edge = Edge(src, node, slot)
            src.edges_out.append(edge)
            node.edges_in.append(edge)
            self.edges.append(edge)
        return node

    def output(self, src, label=None, *, pos=None):
        """Mark ``src`` as an output: an arrow out of it to ``label`` (e.g. "price")."""
        node = self.op(Op(), src, label=label, pos=pos)
        node.kind = "output"
        return node

    def _add(self, node):
        self.nodes.append(node)
        return node

    def mul(self, x, y, **kw):
        return self.op(Mul(), x, y, **kw)

    def add(self, x, y, **kw):
        return self.op(Add(), x, y, **kw)

    def square(self, x, **kw):
        return self.op(Square(), x, **kw)

    def exp(self, x, **kw):
        return self.op(Exp(), x, **kw)

    def reciprocal(self, x, **kw):
        return self.op(Reciprocal(), x, **kw)

    def scale(self, x, c, **kw):
        return self.op(Scale(c), x, **kw)

    def add_const(self, x, c, **kw):
        return self.op(AddConst(c), x, **kw)

    def sum(self, x, axis=0, **kw):
        return self.op(Sum(axis), x, **kw)

    def dot(self, x, w, **kw):
        return self.op(Dot(), x, w, **kw)

    def softmax_with_loss(self, scores, labels, **kw):
        return self.op(SoftmaxWithLossOp(), *scores, *labels, **kw)

    def __getitem__(self, label):
        """The node with this label, e.g. ``g["apple"].value = 150``."""
        for node in self.nodes:
            if node.label == label:
                return node
        raise KeyError(f"no node labelled {label!r}; labels: {[n.label for n in self.nodes]}")

    @property
    def outputs(self):
        return [n for n in self.nodes if n.kind == "output"]

    def forward(self):
        """Compute every node's value and edge value, inputs first. Returns the first output."""
        for node in self.nodes:
            if node.kind == "output":
                node.value = node.inputs[0].value
            elif node.kind == "op":
                node.value = node.op.forward(*(src.value for src in node.inputs))
            for edge in node.edges_out:
                edge.value = node.value
        return self.outputs[0].value if self.outputs else None

    def backward(self, seed=None):
        """Compute every gradient, outputs first. ``seed`` is d(output)/d(output), default 1.

        Each edge gets its own gradient (the consumer's backward for that input); a node's
        grad is the sum over its outgoing edges, as when one value feeds two nodes.
        """
        if seed is not None:
            self.seed = seed
        for node in reversed(self.nodes):
            if node.kind == "output":
                shape = np.shape(node.value)
                node.grad = self.seed if shape == () else self.seed * np.ones(shape)
                grads = (node.grad,)
            else:
                grads = [e.grad for e in node.edges_out if e.grad is not None]
                node.grad = sum(grads[1:], grads[0]) if grads else None
                if node.kind == "input" or node.grad is None:
                    continue
                grads = node.op.backward(node.grad)
            for edge, grad in zip(node.edges_in, grads, strict=True):
                edge.grad = grad
        return [n.grad for n in self.nodes if n.kind == "input"]

    def run(self, seed=None):
        """``forward()`` then ``backward(seed)``; returns the first output's value."""
        out = self.forward()
        self.backward(seed)
        return out

    def edge(self, src, dst):
        """The edge from node ``src`` to node ``dst`` (to set its labels)."""
        return next(e for e in src.edges_out if e.dst is dst)

    def layout(self, dx=3.0, dy=1.6):
        """Node positions {node: (x, y)}: a node's explicit ``pos`` if given, else automatic.

        Automatic and deterministic, in the style of the book: an op's column is one right
        of its furthest input and its row that of its main input (its first op input, else
        its first input), so a chain of ops runs along one straight line. A main leaf sits
        one column left of its consumer; other leaves ("apple_num", "tax") come in steeply
        from below, so their numbers never crowd the main arrow's.
        """
        col, x, row, free = {}, {}, {}, [0]
        for node in self.nodes:
            if node.kind != "input":
                col[node] = 1 + max((col.get(s, 0) for s in node.inputs), default=0)
                x[node] = col[node] * dx

        def visit(node):
            if node in row:
                return
            if node.kind == "input" or not node.inputs:
                row[node], free[0] = free[0], free[0] + 1
                return
            main = next((s for s in node.inputs if s.kind != "input"), node.inputs[0])
            if main.kind == "input" and main not in row:
                x[main] = x[node] - dx
            visit(main)
            row[node] = row[main]
            for src in node.inputs:
                if src.kind != "input":
                    visit(src)
            sides = [s for s in node.inputs if s.kind == "input" and s not in row]
            for k, src in enumerate(sides, 1):
                row[src], x[src] = row[node] + k, x[node] - 0.3 * dx
            free[0] = max(free[0], row[node] + len(sides) + 1)

        for node in self.outputs + self.nodes:
            visit(node)
        return {
            n: n.pos if n.pos is not None else (x.get(n, 0.0), -row[n] * dy) for n in self.nodes
        }


def apple_graph(apple=100, apple_num=2, tax=1.1):
    """The shopping graph of lesson 1/3: 2 apples at 100 each, tax 1.1 -> price 220."""
    g = Graph()
    a, n = g.input(apple, "apple"), g.input(apple_num, "apple_num")
    t = g.input(tax, "tax")
    g.output(g.mul(g.mul(a, n), t), "price")
    return g


def apple_orange_graph(apple=100, apple_num=2, orange=150, orange_num=3, tax=1.1):
    """Apples and oranges (lesson 3): (100·2 + 150·3) · 1.1 -> price 715."""
    g = Graph()
    a, n = g.input(apple, "apple"), g.input(apple_num, "apple_num")
    o, m = g.input(orange, "orange"), g.input(orange_num, "orange_num")
    t = g.input(tax, "tax")
    total = g.add(g.mul(a, n), g.mul(o, m))
    g.output(g.mul(total, t), "price")
    return g


def sigmoid_graph(x=0.5):
    """The sigmoid as a chain (lesson 4): x -> ×(−1) -> exp -> +1 -> / -> y."""
    g = Graph()
    g.output(g.reciprocal(g.add_const(g.exp(g.scale(g.input(x, "x"), -1)), 1)), "y")
    return g


def affine_graph(X, W, B):
    """The Affine layer (lesson 5): Y = X·W + B, the + broadcasting B over the batch."""
    g = Graph()
    xw = g.dot(g.input(X, "X"), g.input(W, "W"))
    g.output(g.add(xw, g.input(B, "B")), "Y")
    return g


def softmax_with_loss_graph(a=(0.3, 2.9, 4.0), t=(0, 0, 1)):
    """Softmax-with-Loss as one node (lesson 5): scores a1..aC and labels t1..tC -> L."""
    g = Graph()
    scores = [g.input(v, f"a{i}") for i, v in enumerate(a, 1)]
    labels = [g.input(v, f"t{i}") for i, v in enumerate(t, 1)]
    g.output(g.softmax_with_loss(scores, labels), "L")
    return g
