"""Where each node of a computational graph goes on the page (lessons 1 to 5).

Kept apart from :mod:`bpcourse.graph`, which holds what the lessons are about: the values
and gradients. ``Graph.layout`` calls :func:`layout`.
"""


def layout(graph, dx=3.0, dy=1.6):
    """Node positions {node: (x, y)}: a node's explicit ``pos`` if given, else automatic.

    Automatic and deterministic, in the style of the book: an op's column is one right
    of its furthest input and its row that of its main input (its first op input, else
    its first input), so a chain of ops runs along one straight line. A main leaf sits
    one column left of its consumer; other leaves ("apple_num", "tax") come in steeply
    from below, so their numbers never crowd the main arrow's.
    """
    col, x, row, free = {}, {}, {}, [0]
    for node in graph.nodes:
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

    for node in graph.outputs + graph.nodes:
        visit(node)
    return {
        n: n.pos if n.pos is not None else (x.get(n, 0.0), -row[n] * dy) for n in graph.nodes
    }
