import inspect

import pytest

from bpcourse import MulLayer, Relu, TwoLayerNet, show_source


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


def test_show_source_of_an_instance_is_the_source_of_its_class():
    assert repr(show_source(Relu())) == repr(show_source(Relu))
    net = TwoLayerNet(4, 3, 2)
    # a bound method and a function are shown as themselves, not as their type
    assert repr(show_source(net.gradient)) == inspect.getsource(TwoLayerNet.gradient).rstrip()
    assert repr(show_source(show_source)).startswith("def show_source(obj):")


def test_show_source_of_something_without_python_source_says_what_it_shows():
    with pytest.raises(TypeError, match="Python source of a class or function.*built-in"):
        show_source(3)


def test_show_source_of_a_name_says_to_pass_the_thing_itself():
    with pytest.raises(TypeError, match=r"not its name: show_source\(Relu\), not "
                                        r"show_source\('Relu'\)"):
        show_source("Relu")
