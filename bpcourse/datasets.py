"""MNIST, found or downloaded, verified, parsed and cached: ``load_mnist()``.

Lesson 6 (the full network) uses this: it trains ``TwoLayerNet`` on the 60000 MNIST
training images and measures accuracy on the 10000 test images.

``load_mnist()`` works like the book's loader (same flags, same meaning), but it never
uses pickle and never loads a file it has not verified. For each of the four files in
:data:`FILES` it looks, in order, in

1. the ``data_dir`` argument,
2. the folder named by the environment variable ``BPCOURSE_DATA``,
3. the download cache (:func:`mnist_cache_dir`: ``~/.cache/bpcourse/mnist`` on Linux),

and otherwise downloads it from the first of :data:`MIRRORS` that serves a good copy,
into the cache. A file counts only if the SHA-256 of its *decompressed* content is the
one in :data:`SHA256` (so any gzip wrapper, or an already decompressed copy, is fine).
The parsed arrays are then cached as an uncompressed ``.npz`` next to the downloads,
named after those checksums, which makes every later load take a fraction of a second.

Run ``python -m bpcourse.datasets`` once while online (say, before a class) to fetch
and verify everything ahead of time.

The array cache is in :mod:`bpcourse.mnist_cache`, the errors and their messages in
:mod:`bpcourse.mnist_errors`, and the gzip, IDX and download plumbing in
:mod:`bpcourse.fileio`; import everything public from this module.
"""

import functools
import hashlib
import http.client
import os
import sys
from pathlib import Path

from bpcourse import __version__, fileio, mnist_cache, mnist_errors
from bpcourse.checks import require_bools
from bpcourse.mnist_cache import mnist_cache_dir
from bpcourse.mnist_errors import MnistError, MnistFileError, MnistNotFoundError, MnistWarning

__all__ = [
    "ENV_VAR",
    "FILES",
    "MIRRORS",
    "SHA256",
    "TIMEOUT",
    "MnistError",
    "MnistFileError",
    "MnistNotFoundError",
    "MnistWarning",
    "load_mnist",
    "mnist_cache_dir",
    "main",
]

#: The environment variable naming a folder that holds the four files.
ENV_VAR = "BPCOURSE_DATA"

#: The four standard MNIST files: training images and labels, test images and labels.
FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)

#: SHA-256 of each file's *decompressed* content. Mirrors re-wrap the gzip (name, time
#: stamp, level), which changes the .gz bytes but never the data inside.
SHA256 = {
    "train-images-idx3-ubyte.gz": (
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"
    ),
    "train-labels-idx1-ubyte.gz": (
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"
    ),
    "t10k-images-idx3-ubyte.gz": (
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"
    ),
    "t10k-labels-idx1-ubyte.gz": (
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"
    ),
}

#: Base URLs tried in turn; a file's URL is the base plus its name. Plain http is fine
#: for the original site because every download is checked against SHA256 anyway.
MIRRORS = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",  # the one PyTorch uses
    "https://storage.googleapis.com/cvdf-datasets/mnist/",  # the one TensorFlow uses
    "http://yann.lecun.com/exdb/mnist/",  # the original, often 403 these days
]

#: Seconds to wait for a mirror to connect or send the next chunk.
TIMEOUT = 20.0

_MAX_DOWNLOAD_BYTES = 64 * 2**20  # 6x the biggest file: anything larger is not MNIST
_IN_MEMORY_ONLY = " (kept in memory only)"  # how a download that could not be saved is described


def load_mnist(normalize=True, flatten=True, one_hot_label=False, *, data_dir=None):
    """Load MNIST as ``(x_train, t_train), (x_test, t_test)`` (lesson 6).

    Parameters
    ----------
    normalize : bool
        True: pixels as ``float32`` in [0, 1] (value / 255). False: ``uint8`` in 0..255.
    flatten : bool
        True: images of shape ``(N, 784)``. False: ``(N, 1, 28, 28)`` (one channel).
    one_hot_label : bool
        False: labels as ``uint8`` digits 0..9 of shape ``(N,)``, like the book.
        True: ``float32`` one-hot rows of shape ``(N, 10)``.
    data_dir : str or path-like, optional
        A folder with the four files of :data:`FILES`, looked at first (see the module
        docstring for the search order). Nothing is ever written there.

    ``N`` is 60000 for the training set and 10000 for the test set. Every call returns
    new, writable arrays. Raises :class:`MnistFileError` for a bad file in ``data_dir``
    or ``$BPCOURSE_DATA`` and :class:`MnistNotFoundError` when the data is nowhere to be
    found or downloaded; TypeError if a flag is not True or False (the string "False" is
    true). An existing array cache built from files with the expected checksums is used
    without looking at the folders at all.
    """
    require_bools("load_mnist", normalize=normalize, flatten=flatten,
                  one_hot_label=one_hot_label)
    npz, checksums = _array_cache()
    arrays = mnist_cache.read_npz(npz, checksums)
    if arrays is None:
        _, arrays = _build(data_dir, npz, checksums)
    x_train, t_train, x_test, t_test = (arrays[k] for k in mnist_cache.KEYS)
    return ((mnist_cache.as_images(x_train, normalize, flatten),
             mnist_cache.as_labels(t_train, one_hot_label)),
            (mnist_cache.as_images(x_test, normalize, flatten),
             mnist_cache.as_labels(t_test, one_hot_label)))


def _checksums():
    # Read at call time, so that a table a test swapped in takes effect.
    return [SHA256[name] for name in FILES]


def _array_cache():
    """(path of the array cache for the current checksums, those checksums)."""
    checksums = _checksums()
    return mnist_cache.npz_path(mnist_cache_dir(), checksums), checksums


def _build(data_dir, npz, checksums):
    """Find or download the four files, verify them and cache the arrays in ``npz`` if the
    cache folder is writable: (found, arrays), found[name] = (array, where it came from)."""
    # IPython and pytest leave frames that set this out of a traceback: a learner's error
    # shows load_mnist, the message, and the line that raised it, not every step between
    __tracebackhide__ = True
    cache, unwritable = mnist_cache.writable_folder(mnist_cache_dir())
    found = _gather(data_dir, cache)
    arrays = mnist_cache.assemble([found[name][0] for name in FILES])
    if cache is not None:
        mnist_cache.write_npz(npz, arrays, checksums)
    elif any(where.endswith(_IN_MEMORY_ONLY) for _, where in found.values()):
        # files read from a folder are there next time too: only a download is lost
        mnist_errors.warn_caller(
            f"cannot write to the MNIST cache folder {mnist_cache_dir()} ({unwritable}): the "
            "data downloaded now is not saved, so the next load downloads it again. Set "
            "XDG_CACHE_HOME to a writable folder, or keep the files in a folder that "
            f"${ENV_VAR} names, to fix this."
        )
    return found, arrays


# --- finding and verifying the files ---------------------------------------------------


def _places(data_dir):
    """(description, folder, user_given) for each folder to look in, in order.

    A relative folder is made absolute (from the current folder, which in a notebook is the
    notebook's), so that every message says where bpcourse really looked.
    """
    places, env = [], os.environ.get(ENV_VAR) or None  # empty: unset, not the current folder
    for desc, folder in (("data_dir", data_dir), (f"${ENV_VAR}", env)):
        if folder is not None:
            places.append((desc, Path(os.path.abspath(Path(folder).expanduser())), True))
    places.append(("the download cache", mnist_cache_dir(), False))
    return places


def _verify(raw, name, compressed=True):
    """Return the array in ``raw`` (the bytes of file ``name``) or raise ValueError."""
    data = fileio.gunzip(raw) if compressed else raw
    got, expected = hashlib.sha256(data).hexdigest(), SHA256[name]
    if got != expected:
        raise ValueError(
            f"wrong SHA-256 of the decompressed content: expected {expected}, got {got}"
        )
    # Both kinds of MNIST file say their dimension count in their name: idx3 or idx1.
    return fileio.parse_idx(data, ndim=int(name.partition("-idx")[2][0]))


def _gather(data_dir, cache):
    """Find, verify and parse every file: {name: (array, where it came from)}.

    ``cache`` is the folder downloads are saved to, or None to keep them in memory only.
    """
    __tracebackhide__ = True  # see _build
    places, found, notes = _places(data_dir), {}, []
    absent = {desc: [] for desc, _, _ in places}
    for name in FILES:
        for desc, folder, user_given in places:
            # A decompressed copy counts too: macOS Safari unpacks .gz files on download.
            for path, compressed in ((folder / name, True), (folder / name[:-3], False)):
                if name in found or not path.is_file():
                    continue
                try:
                    found[name] = (_verify(path.read_bytes(), name, compressed), str(path))
                except (OSError, ValueError) as exc:
                    if user_given:
                        raise MnistFileError(path, exc, desc) from None
                    try:
                        path.unlink()  # a bad cached copy is useless, a fresh one replaces it
                        notes.append(f"{path}: {exc}; deleted it")
                    except OSError as cannot:
                        notes.append(f"{path}: {exc}; could not delete it: {cannot}")
            if name not in found:
                absent[desc].append(name)
    for desc, folder, user_given in places:
        if user_given and absent[desc]:
            # Probably a typo in the path: say so, rather than quietly downloading.
            missing_here = ", ".join(absent[desc])
            what = (f"has no {missing_here}" if folder.is_dir() else "is not a folder"
                    if folder.exists() else "does not exist (check the spelling)")
            mnist_errors.warn_caller(f"{desc} {folder} {what}; looking elsewhere")
    missing = [name for name in FILES if name not in found]
    for name in missing:
        found[name] = _download(name, cache, places, missing, notes)
    return found


def _download(name, cache, places, missing, notes):
    """Download ``name`` from the first mirror with a good copy: (array, description)."""
    failures = []
    for base in MIRRORS:
        url = base.rstrip("/") + "/" + name
        try:
            if cache is None:
                return _fetch_verified(url, name, None), url + _IN_MEMORY_ONLY
            fetch = functools.partial(_fetch_verified, url, name)
            return fileio.write_atomically(cache / name, fetch), f"{cache / name} (from {url})"
        except (OSError, ValueError, http.client.HTTPException) as exc:
            failures.append((url, fileio.why_failed(exc, TIMEOUT)))
    where = {"cache": mnist_cache_dir(), "files": FILES, "env_var": ENV_VAR}
    message = mnist_errors.not_found_message(name, places, missing, notes, failures, **where)
    raise MnistNotFoundError(message, failures)


def _fetch_verified(url, name, sink):
    """The verified array of file ``name`` downloaded from ``url`` (also saved to ``sink``)."""
    raw = fileio.download(
        url,
        sink,
        timeout=TIMEOUT,
        max_bytes=_MAX_DOWNLOAD_BYTES,
        label=f"Downloading {name} from {url}",
        user_agent=f"bpcourse/{__version__} (+python urllib)",
    )
    return _verify(raw, name)


# --- command line ------------------------------------------------------------------------


def main(argv=None):
    """``python -m bpcourse.datasets``: fetch and verify MNIST, say where it is.

    The command itself is in :mod:`bpcourse.mnist_cli`, to keep this module to the loader.
    """
    from bpcourse.mnist_cli import main as run_command

    return run_command(argv)


if __name__ == "__main__":
    sys.exit(main())
