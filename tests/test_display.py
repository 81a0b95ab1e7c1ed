import inspect

from bpcourse import MulLayer, show_source


def test_show_source_is_the_installed_source_as_markdown_and_text():
    shown = show_source(MulLayer)
    markdown = shown._repr_markdown_()
    assert markdown.startswith("```python\nclass MulLayer:")
    assert markdown.endswith("\n```")
    assert "def backward(self, dout):" in repr(shown)
    assert "<" not in markdown.split("\n", 1)[0]  # no HTML: stable under any highlighter
    # exactly the source, with no blank line before the closing fence
    source = inspect.getsource(MulLayer).rstrip()
    assert markdown == f"```python\n{source}\n```" and repr(shown) == source
