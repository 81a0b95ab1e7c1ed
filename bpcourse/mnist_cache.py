"""The MNIST cache: its folder (:func:`mnist_cache_dir`, where the downloads go too) and
the array cache, the four parsed arrays in one uncompressed ``.npz`` file there; and
:func:`as_images` and :func:`as_labels`, which turn those arrays into what the learner
asked ``load_mnist`` for.

Lesson 6 (the full network) uses this through :func:`bpcourse.datasets.load_mnist`:
decompressing, hashing and parsing the four .gz files takes about half a second, reading
this cache a tenth of that. The cache lives next to the downloads and is named after
the SHA-256 of the source files, so it is only ever used for the data it was built from.

Nothing here knows the file names or the checksums: :mod:`bpcourse.datasets` passes
them, and the folder, in on every call (so a test that swaps ``datasets.SHA256`` gets a
different cache, as it should).
"""

import hashlib
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from bpcourse import fileio
from bpcourse.mnist_errors import MnistError, warn_caller

__all__ = [
    "KEYS",
    "as_images",
    "as_labels",
    "assemble",
    "mnist_cache_dir",
    "npz_path",
    "read_npz",
    "writable_folder",
    "write_npz",
]

# Bumped whenever the .npz layout changes, so that old caches are never misread.
NPZ_FORMAT = 1
#: The names of the four arrays, in the order of :data:`bpcourse.datasets.FILES`.
KEYS = ("x_train", "t_train", "x_test", "t_test")


def mnist_cache_dir():
    """Return the folder for downloads and the array cache (it may not exist yet).

    ``$XDG_CACHE_HOME/bpcourse/mnist`` if that variable is an absolute path; else the
    system's folder for caches: ``%LOCALAPPDATA%\\bpcourse\\Cache\\mnist`` on Windows,
    ``~/Library/Caches/bpcourse/mnist`` on macOS, ``~/.cache/bpcourse/mnist`` elsewhere.
    (In the home folder, a school's roaming Windows profiles would copy its 53 to 64 MB at
    every logon and logoff, and macOS's backups would keep it.)
    """
    root = os.environ.get("XDG_CACHE_HOME", "")
    if os.path.isabs(root):  # the XDG spec says to ignore relative values
        return Path(root) / "bpcourse" / "mnist"
    local = os.environ.get("LOCALAPPDATA", "")
    if sys.platform == "win32" and os.path.isabs(local):
        return Path(local) / "bpcourse" / "Cache" / "mnist"
    try:
        home = Path.home()
    except RuntimeError:  # no home directory (some containers)
        return Path(tempfile.gettempdir()) / "bpcourse" / "mnist"
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / "bpcourse" / "mnist"
    return home / ".cache" / "bpcourse" / "mnist"


def writable_folder(folder):
    """(``folder``, None), created if needed, or (None, the OSError) if it is not writable."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not os.access(folder, os.W_OK | os.X_OK):
            raise PermissionError("no write permission")
    except OSError as exc:
        return None, exc
    return folder, None


def npz_path(folder, checksums):
    """The cache file in ``folder`` for source files with these ``checksums`` (in order)."""
    # Named after the checksums, so that a cache built from other files (or by a table a
    # test swapped in) can never be mistaken for this one.
    key = hashlib.sha256(f"npz{NPZ_FORMAT}:{' '.join(checksums)}".encode()).hexdigest()
    return folder / f"mnist-{key[:16]}.npz"


def read_npz(path, checksums):
    """The cached arrays, or None if there is no good cache (a bad one is deleted)."""
    if not path.is_file():
        return None
    try:
        # np.load checks each member's CRC-32, so a flipped bit fails here too. It gets an
        # open file because, given a path, it leaks the handle when the zip is broken.
        with open(path, "rb") as file, np.load(file, allow_pickle=False) as npz:
            if not np.array_equal(npz["sha256"], np.array(checksums)):
                raise ValueError("built from different source files")
            return assemble([npz[key] for key in KEYS])
    except Exception as exc:  # any failure to read our own cache just means: rebuild it
        try:
            path.unlink()
        except OSError as cannot:  # a read-only cache: say so, not "rebuilding" every time
            warn_caller(f"the MNIST array cache {path} is broken ({exc}) and cannot be "
                        f"deleted ({cannot}): every load reads the source files instead "
                        "until it is removed")
        else:
            warn_caller(f"rebuilding the MNIST array cache {path}: {exc}")
        return None


def write_npz(path, arrays, checksums):
    """Save ``arrays`` (from :func:`assemble`) to ``path``; only warn if that fails."""
    try:
        fileio.write_atomically(
            path, lambda file: np.savez(file, sha256=np.array(checksums), **arrays)
        )
    except OSError as exc:
        warn_caller(f"could not save the MNIST array cache {path}: {exc}")


def as_images(x, normalize, flatten):
    """The cached uint8 images x (N, 28, 28) as :func:`bpcourse.datasets.load_mnist` returns
    them: (N, 784) if ``flatten`` else (N, 1, 28, 28); float32 in [0, 1] if ``normalize``."""
    x = x.reshape(len(x), -1) if flatten else x[:, np.newaxis]
    if normalize:
        # Divide in float32, as the book's loader does (a cast to float32, then /= 255.0):
        # for all 256 byte values the same bits as x / 255 in float64 rounded to float32,
        # at a quarter of that divide's memory traffic (a multiply by float32(1/255) is off
        # by one unit in the last place for half the pixel values).
        return np.divide(x, np.float32(255), dtype=np.float32)
    # Freshly parsed files are read-only views of the decompressed bytes; copy only those.
    return x if x.flags.writeable else x.copy()


def as_labels(t, one_hot):
    """The cached uint8 labels t (N,), or float32 one-hot rows (N, 10) if ``one_hot``."""
    if one_hot:
        return np.eye(10, dtype=np.float32)[t]
    return t if t.flags.writeable else t.copy()


def assemble(in_order):
    """Check that the four arrays (in the order of KEYS) fit together; key them by KEYS."""
    arrays = dict(zip(KEYS, in_order, strict=True))
    for split in ("train", "test"):
        x, t = arrays[f"x_{split}"], arrays[f"t_{split}"]
        if x.dtype != np.uint8 or x.ndim != 3:
            problem = f"images are {x.dtype} with {x.ndim} dimensions, not uint8 with 3"
        elif t.dtype != np.uint8 or t.ndim != 1:
            problem = f"labels are {t.dtype} with {t.ndim} dimensions, not uint8 with 1"
        elif len(x) != len(t):
            problem = f"{len(x)} images but {len(t)} labels"
        elif t.size and t.max() > 9:
            problem = f"a label is {t.max()}, not a digit 0..9"
        else:
            continue
        raise MnistError(f"the MNIST {split} files do not fit together: {problem}")
    if arrays["x_train"].shape[1:] != arrays["x_test"].shape[1:]:
        raise MnistError("the MNIST training and test images differ in size")
    return arrays
