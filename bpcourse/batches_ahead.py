"""Mini-batches gathered in another thread while ``train`` computes with the current one
(lesson 6)."""

import itertools
from collections import deque
from concurrent.futures import ThreadPoolExecutor

import numpy as np

__all__ = ["gathered_ahead"]


def gathered_ahead(x, t, batches, per_block=20, blocks_ahead=2):
    """Yield ``(batch, x[batch], t[batch])`` for each index array in ``batches``, in order.

    x (N, ...) and t (N, ...) are indexed along their first axis; each ``batch`` is an
    integer array (batch_size,), and x[batch], t[batch] come as (batch_size, ...).

    Copying a mini-batch of random rows out of MNIST's 188 MB of training images waits on
    memory, not on arithmetic: about 30 µs of a 300 µs step on a fast machine, and 75 µs
    of 440 on a slow one. So a worker thread copies the rows of the next ``per_block``
    batches at a time, up to ``blocks_ahead`` blocks ahead (6 MB a block for the book's
    batches of 100), while the loop computes with the current batch: NumPy releases Python's
    global lock while it copies, so on two cores both go on at once. The rows are the same
    and come in the same order, so training gives the same numbers as ``x[batch]`` in the
    loop would.

    It is a generator: use it in ``contextlib.closing``, so that the worker stops as soon as
    a loop that ends early (an error, a callback) is left.
    """
    blocks = _blocks(batches, per_block)
    worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bpcourse-batches")
    try:
        ready = deque(worker.submit(_gather, x, t, block)
                      for block in itertools.islice(blocks, blocks_ahead))
        while ready:
            indices, x_block, t_block = ready.popleft().result()
            block = next(blocks, None)
            if block is not None:  # keep blocks_ahead blocks on the way
                ready.append(worker.submit(_gather, x, t, block))
            yield from zip(indices, x_block, t_block, strict=True)
    finally:
        worker.shutdown(wait=True, cancel_futures=True)


def _blocks(batches, per_block):
    """The batches, ``per_block`` at a time, as (per_block, batch_size) index arrays."""
    batches = iter(batches)
    while block := list(itertools.islice(batches, per_block)):
        yield np.stack(block)


def _gather(x, t, block):
    # one index for the whole block: one NumPy call, which releases the global lock, per
    # per_block batches
    rows = block.reshape(-1)
    return (block, x[rows].reshape(block.shape + x.shape[1:]),
            t[rows].reshape(block.shape + t.shape[1:]))
