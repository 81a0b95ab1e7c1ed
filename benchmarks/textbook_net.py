"""The textbook-style reference for bench_train.py: chapter 5's code, in our own words.

Plain layer objects as the book writes them: float64 weights, one-hot labels, a new
``choice`` of mini-batch every iteration, a second forward pass to record the loss, and
accuracy on the whole training set in one call. It must not use the course's code: it is
what the course is measured against.
"""

import time
from collections import OrderedDict

import numpy as np

SEED = 0
SETTINGS = {"iters_num": 10000, "batch_size": 100, "learning_rate": 0.1}


def clock():
    return time.perf_counter(), time.process_time()


def since(start):
    """(wall, CPU) seconds since ``start = clock()``."""
    return tuple(now - then for now, then in zip(clock(), start, strict=True))


class BookRelu:
    def forward(self, x):
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dout[self.mask] = 0
        return dout


class BookAffine:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x
        return np.dot(x, self.W) + self.b

    def backward(self, dout):
        self.dW = np.dot(self.x.T, dout)
        self.db = np.sum(dout, axis=0)
        return np.dot(dout, self.W.T)


class BookSoftmaxWithLoss:
    def forward(self, x, t):
        self.t = t
        shifted = x - np.max(x, axis=1, keepdims=True)
        self.y = np.exp(shifted) / np.sum(np.exp(shifted), axis=1, keepdims=True)
        n = len(x)
        return -np.sum(np.log(self.y[np.arange(n), t.argmax(axis=1)] + 1e-7)) / n

    def backward(self, dout=1):
        return (self.y - self.t) / len(self.t)


class BookTwoLayerNet:
    def __init__(self, params):
        self.params = {key: value.copy() for key, value in params.items()}  # float64
        self.layers = OrderedDict()
        self.layers["Affine1"] = BookAffine(self.params["W1"], self.params["b1"])
        self.layers["Relu1"] = BookRelu()
        self.layers["Affine2"] = BookAffine(self.params["W2"], self.params["b2"])
        self.last_layer = BookSoftmaxWithLoss()

    def predict(self, x):
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x, t):
        return self.last_layer.forward(self.predict(x), t)

    def accuracy(self, x, t):
        return np.sum(self.predict(x).argmax(axis=1) == t.argmax(axis=1)) / len(x)

    def gradient(self, x, t):
        self.loss(x, t)
        dout = self.last_layer.backward(1)
        for layer in reversed(self.layers.values()):
            dout = layer.backward(dout)
        return {"W1": self.layers["Affine1"].dW, "b1": self.layers["Affine1"].db,
                "W2": self.layers["Affine2"].dW, "b2": self.layers["Affine2"].db}


def train_reference(x_train, t_train, x_test, t_test, init):
    network = BookTwoLayerNet(init)
    t_train, t_test = np.eye(10)[t_train], np.eye(10)[t_test]  # one-hot, float64
    rng = np.random.default_rng(SEED)  # its choice() draws the same batches as train's
    iters, batch_size, lr = SETTINGS.values()
    iter_per_epoch = max(len(x_train) // batch_size, 1)
    start = clock()
    for i in range(iters):
        batch = rng.choice(len(x_train), batch_size)
        x_batch, t_batch = x_train[batch], t_train[batch]
        grad = network.gradient(x_batch, t_batch)
        for key in ("W1", "b1", "W2", "b2"):
            network.params[key] -= lr * grad[key]
        network.loss(x_batch, t_batch)  # the book records the loss with a second forward pass
        # every epoch, as the book; and after the last iteration, as the course's train does
        if i % iter_per_epoch == 0 or i == iters - 1:
            network.accuracy(x_train, t_train)
            test_acc = network.accuracy(x_test, t_test)
    return (*since(start), float(test_acc))
