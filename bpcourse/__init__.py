"""bpcourse: backpropagation from scratch with NumPy.

The helpers a learner meets in the chapter notebooks. Names are imported lazily, so
``import bpcourse`` stays fast and matplotlib or ipywidgets load only when a drawing or a
widget is asked for.
"""

from importlib import import_module

__version__ = "0.1.0"

# name -> submodule that defines it
_EXPORTS = {
    # lesson 4 and 5: activation, softmax and loss functions
    "sigmoid": "functions",
    "relu": "functions",
    "softmax": "functions",
    "cross_entropy_error": "functions",
    # lessons 3 to 5: layers with forward/backward
    "MulLayer": "layers",
    "AddLayer": "layers",
    "Relu": "layers",
    "Sigmoid": "layers",
    "Affine": "layers",
    "SoftmaxWithLoss": "layers",
    # lesson 2 and 6: numerical gradients and gradient checks
    "numerical_gradient": "gradient",
    "gradient_check": "gradient",
    # lessons 4 and 5: the exercises' gradient check, which says what is wrong
    "check_backward": "exercise_checks",
    # lesson 6: the network and its training loop
    "TwoLayerNet": "network",
    "train": "training",
    "TrainingHistory": "training",
    # lesson 6: the data
    "load_mnist": "datasets",
    # lessons 2 to 6: show the package's own source
    "show_source": "display",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'bpcourse' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
