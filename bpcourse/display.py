"""Showing the package's own code in a notebook (lessons 2 to 6 use this).

The notebooks display a class's source from the installed package instead of a copy, so
what a learner reads is exactly what runs, and it can never drift.
"""

import inspect

__all__ = ["show_source", "SourceCode"]


class SourceCode:
    """Source text that Jupyter shows as a highlighted Python block.

    It offers Markdown (a fenced code block, which JupyterLab, Notebook and GitHub highlight)
    rather than pre-rendered HTML: the stored output is then our source text alone, the same
    with any version of the highlighter, so nbval can compare it character by character.
    """

    def __init__(self, source):
        self.source = source

    def _repr_markdown_(self):
        return f"```python\n{self.source.rstrip()}\n```"

    def __repr__(self):
        return self.source.rstrip()


def show_source(obj):
    """The source code of a class or function as a SourceCode, which a notebook displays
    highlighted (lesson 2 on: what you read is what runs).

    Given an instance, such as ``Relu()``, it shows the instance's class.
    """
    if isinstance(obj, str):  # the name, not the thing: show_source("Relu")
        raise TypeError(f"show_source takes the class or function itself, not its name: "
                        f"show_source({obj}), not show_source({obj!r})")
    if not (inspect.isclass(obj) or inspect.isroutine(obj) or inspect.ismodule(obj)):
        obj = type(obj)  # inspect.getsource would raise TypeError on an instance
    try:
        return SourceCode(inspect.getsource(obj))
    except TypeError as exc:  # e.g. int, which is written in C
        raise TypeError(f"show_source shows the Python source of a class or function (or "
                        f"the class of an instance); {exc}") from None
