"""Showing the package's own code in a notebook (every lesson uses this).

The notebooks display a class's source from the installed package instead of a copy, so
what a learner reads is exactly what runs, and it can never drift.
"""

import inspect

__all__ = ["show_source"]


def show_source(obj):
    """Return the source of a class or function as syntax-highlighted code for Jupyter.

    Outside IPython (plain Python) the source text itself is returned.
    """
    source = inspect.getsource(obj)
    try:
        from IPython.display import Code
    except ImportError:
        return source
    return Code(source, language="python")
