"""Computational graphs that compute their own numbers (lessons 1 to 5).

A :class:`Graph` holds input leaves, operation nodes and output sinks. ``forward()`` computes
the value on every edge from left to right, ``backward()`` the gradient on every edge from
right to left, so the numbers on a picture (``bpcourse.drawing``) are computed, never typed.

The operations live in :mod:`bpcourse.ops`, each with its forward and backward side by side;
the × and + nodes delegate to the learner's MulLayer and AddLayer. No matplotlib here, so
``import bpcourse.graph`` stays fast.
"""

import numpy as np

from bpcourse import graph_layout
from bpcourse.ops import (
    Add,
    AddConst,
    Dot,
    Exp,
    Mul,
    Op,
    Reciprocal,
    Scale,
    SoftmaxWithLossOp,
    Square,
    Sum,
)


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
        self.forwarded = False  # whether every node has a value for backward() to use
        self._forwarded_inputs = []  # copies of the inputs' values that forward() used

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
        self.forwarded = False  # the new node has no value yet
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
        """Softmax-with-Loss of the ``scores`` nodes; ``labels``: one-hot nodes or one label."""
        op = SoftmaxWithLossOp(len(scores), len(labels))
        return self.op(op, *scores, *labels, **kw)

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
        self.forwarded = True
        # copies: an input changed in place (g["X"].value[0] = 5) must count as changed too
        self._forwarded_inputs = [np.copy(n.value) for n in self.nodes if n.kind == "input"]
        return self.outputs[0].value if self.outputs else None

    def backward(self, seed=None):
        """Compute every gradient, outputs first; returns the input leaves' gradients.

        ``seed`` is the gradient arriving at the output(s): 1 by default (d price/d price),
        or an upstream ∂L/∂z, or an array like the output. It is kept for later runs. Each
        edge gets its own gradient (the consumer's backward for that input); a node's grad is
        the sum over its outgoing edges, as when one value feeds two nodes.
        """
        if not self.forwarded:
            raise RuntimeError(
                "Graph.backward() was called before Graph.forward() (run() does both), or a "
                "node was added since: the backward pass needs the values forward computes"
            )
        self._require_inputs_as_forwarded()
        wrong = [o for o in self.outputs if np.ndim(seed) and np.shape(seed) != np.shape(o.value)]
        if seed is not None and wrong:  # NumPy would broadcast it: arrays for scalar inputs
            raise ValueError(f"Graph.backward() expected a seed of one number or of the shape "
                             f"of the output {wrong[0].label!r}, {np.shape(wrong[0].value)}; "
                             f"got shape {np.shape(seed)}")
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

    def _require_inputs_as_forwarded(self):
        inputs = [n for n in self.nodes if n.kind == "input"]
        for node, then in zip(inputs, self._forwarded_inputs, strict=True):
            now = np.asarray(node.value)
            if now.shape == then.shape and np.array_equal(now, then, equal_nan=True):
                continue
            # else backward would use the old values without a word
            how = (f"it was {then.tolist()!r}, it is {now.tolist()!r}" if then.size <= 6 else
                   f"an array of shape {then.shape}, now {now.shape}")
            raise RuntimeError(f"Graph.backward(): input {node.label!r} changed since the last "
                               f"forward() ({how}): call forward() again first, or run(), "
                               "which does both")

    def run(self, seed=None):
        """``forward()`` then ``backward(seed)``; returns the first output's value."""
        out = self.forward()
        self.backward(seed)
        return out

    def edge(self, src, dst):
        """The edge from node ``src`` to node ``dst`` (to set its labels)."""
        return next(e for e in src.edges_out if e.dst is dst)

    def layout(self, dx=3.0, dy=1.6):
        """Node positions {node: (x, y)} for drawing: see :func:`bpcourse.graph_layout.layout`."""
        return graph_layout.layout(self, dx, dy)


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
    """The Affine layer (lesson 5): Y = X·W + B, the + broadcasting B over the batch.

    X (N, D) or (D,), W (D, M), B (M,): the graph's output Y is (N, M) or (M,).
    """
    g = Graph()
    xw = g.dot(g.input(X, "X"), g.input(W, "W"))
    g.output(g.add(xw, g.input(B, "B")), "Y")
    return g


def softmax_with_loss_graph(a=(0.3, 2.9, 4.0), t=(0, 0, 1)):
    """Softmax-with-Loss as one node (lesson 5): scores a1..aC and labels -> L.

    ``t`` is C one-hot values (input nodes t1..tC) or one class label, 2 or (2,) (an input
    node labelled t).
    """
    g = Graph()
    scores = [g.input(v, f"a{i}") for i, v in enumerate(a, 1)]
    if np.ndim(t) == 0:
        t = (t,)
    if len(t) == 1:
        labels = [g.input(t[0], "t")]
    else:
        labels = [g.input(v, f"t{i}") for i, v in enumerate(t, 1)]
    g.output(g.softmax_with_loss(scores, labels), "L")
    return g
