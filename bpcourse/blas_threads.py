"""How many threads NumPy's linear-algebra library (BLAS) uses while ``train`` runs (lesson 6).

A mini-batch's matrix products are too small to share between cores: threads would spend
more time waiting for each other than multiplying. So ``train`` asks for one thread, for the
length of the run only, through ``threadpoolctl``.
"""

import threading
from contextlib import contextmanager

from threadpoolctl import OpenBLASController, threadpool_limits

__all__ = ["blas_thread_limit"]

_blas_lock = threading.Lock()
_blas_runs = 0  # train() calls under way that set a BLAS thread count
_blas_first = None  # the first one's limiter: it holds the setting from before any of them


@contextmanager
def blas_thread_limit(threads):
    """Give BLAS ``threads`` threads while any train() call runs (None: leave it alone).

    The limit is process-wide, and the dashboard trains in a background thread while a
    notebook cell may call train() too. If each call put back what it found on entry, the
    one that ends last would put back the other's 1 for good; so only the last call to end
    restores the setting from before the first began. (Overlapping calls that ask for
    different counts share the one the latest of them set.)
    """
    global _blas_runs, _blas_first
    if threads is None:
        yield
        return
    with _blas_lock:
        limiter = _change_blas(lambda: threadpool_limits(int(threads), user_api="blas"))
        if _blas_runs == 0:
            _blas_first = limiter
        _blas_runs += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_runs -= 1
            if _blas_runs == 0:
                _change_blas(_blas_first.restore_original_limits)
                _blas_first = None


def _change_blas(change):
    # threadpoolctl 3.8 lets one thread at a time change a pthreads OpenBLAS and silently
    # ignores the others; train() runs in whatever thread calls it (the dashboard's is a
    # background one) and _blas_lock already orders our changes, so take control for the
    # change and hand it back at once (before 3.8 no thread holds control: nothing to do)
    release = getattr(OpenBLASController, "clear_controlling_thread", lambda force: None)
    release(force=True)
    try:
        return change()
    finally:
        release(force=True)
