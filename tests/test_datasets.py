"""Unit tests for bpcourse.datasets and bpcourse.fileio, on a tiny MNIST made here.

No test reaches the internet: MIRRORS is emptied for every test, and the tests that
download point it at an HTTP server on 127.0.0.1 that the test itself runs.
"""

import gzip
import hashlib
import http.server
import io
import os
import re
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import warnings
import zipfile
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from bpcourse import datasets, fileio, mnist_cache, mnist_errors
from bpcourse.datasets import (
    FILES,
    MnistError,
    MnistFileError,
    MnistNotFoundError,
    MnistWarning,
    load_mnist,
)

TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS = FILES
TRAIN_T = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
TEST_T = np.array([9, 2, 6], dtype=np.uint8)


def idx_bytes(arr):
    """Encode a uint8 array as IDX, written out by hand so that it checks the parser."""
    header = bytes([0, 0, 0x08, arr.ndim]) + b"".join(d.to_bytes(4, "big") for d in arr.shape)
    return header + arr.astype(np.uint8).tobytes()


def sha(data):
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """A private cache, no BPCOURSE_DATA, and no mirrors: nothing real is touched."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("BPCOURSE_DATA", raising=False)
    monkeypatch.setattr(datasets, "MIRRORS", [])
    monkeypatch.setattr(datasets, "TIMEOUT", 5.0)
    for var in ("no_proxy", "NO_PROXY"):  # the test server is local even behind a proxy
        monkeypatch.setenv(var, "*")


@pytest.fixture
def cache(tmp_path):
    return tmp_path / "xdg" / "bpcourse" / "mnist"


@pytest.fixture
def unwritable_cache(tmp_path, monkeypatch):
    """The user cache under a file: it cannot be made, even by root."""
    blocker = tmp_path / "a-file"
    blocker.write_text("a file where the cache folder should go")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker / "cache"))


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    """5 training and 3 test images of 28x28, as the four .gz files in ``tiny.folder``.

    The checksum table is swapped for this data; ``tiny.raw`` and ``tiny.gz`` hold each
    file's decompressed and compressed bytes.
    """
    rng = np.random.default_rng(0)
    x_train = rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    x_test = rng.integers(0, 256, size=(3, 28, 28), dtype=np.uint8)
    x_train[0, 0, :2] = 0, 255  # make sure both ends of the pixel range are there
    arrays = dict(zip(FILES, (x_train, TRAIN_T, x_test, TEST_T), strict=True))
    raw = {name: idx_bytes(arr) for name, arr in arrays.items()}
    gz = {name: gzip.compress(data, mtime=0) for name, data in raw.items()}
    folder = tmp_path / "tiny"
    folder.mkdir()
    for name, data in gz.items():
        (folder / name).write_bytes(data)
    monkeypatch.setattr(datasets, "SHA256", {name: sha(data) for name, data in raw.items()})
    return SimpleNamespace(
        folder=folder, raw=raw, gz=gz, x_train=x_train, x_test=x_test, arrays=arrays
    )


def copy_files(src, dst, names=FILES):
    dst.mkdir(parents=True, exist_ok=True)
    for name in names:
        (dst / name).write_bytes((src / name).read_bytes())
    return dst


def snapshot(folder):
    """Everything about a folder's files that a write would change."""
    return sorted(
        (p.name, p.stat().st_size, p.stat().st_mtime_ns, p.read_bytes()) for p in folder.iterdir()
    )


def leftovers(folder):
    """Temp files a failed or interrupted write could have left behind."""
    if not folder.exists():
        return []
    return [p.name for p in folder.iterdir() if p.name.startswith(".") or "part" in p.name]


def set_home(monkeypatch, folder):
    """Make ``folder`` the home folder: HOME on POSIX, USERPROFILE for Windows's Path.home()
    and expanduser (which ignore HOME there)."""
    for var in ("HOME", "USERPROFILE"):
        monkeypatch.setenv(var, str(folder))


def corrupt_folder(tmp_path, name="bad"):
    """A folder whose four files are all garbage (each would be an error if read)."""
    folder = tmp_path / name
    folder.mkdir()
    for file in FILES:
        (folder / file).write_bytes(b"this is not MNIST")
    return folder


# --- a real HTTP server on 127.0.0.1 -------------------------------------------------------


class Server:
    """Serves ``routes[path] = (status, body, extra headers)`` and records each request."""

    def __init__(self):
        self.routes, self.requests, self.release = {}, [], threading.Event()
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                status, body, headers = server.routes.get(self.path, (404, b"not found", {}))
                if status == "hang":
                    server.release.wait(10)  # until the test is over: the client times out
                    return
                self.send_response(status)
                headers = {"Content-Length": str(len(body)), **headers}
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                try:
                    self.wfile.write(body)
                except OSError:
                    pass  # the client gave up; that is what some tests are about

            def log_message(self, *args):
                pass  # keep the test output clean

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def url(self, prefix):
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/{prefix}/"

    def serve(self, prefix, files, status=200, headers=None):
        for name, body in files.items():
            self.routes[f"/{prefix}/{name}"] = (status, body, headers or {})

    def close(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture
def server():
    srv = Server()
    yield srv
    srv.close()
    assert not srv.thread.is_alive()


def closed_port_url():
    """A URL on 127.0.0.1 where nothing listens: the connection is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/mnist/"


# --- flags, shapes, dtypes, values ---------------------------------------------------------


@pytest.mark.parametrize("normalize", [True, False])
@pytest.mark.parametrize("flatten", [True, False])
@pytest.mark.parametrize("one_hot", [True, False])
def test_every_flag_combination(tiny, normalize, flatten, one_hot):
    (x, t), (x_test, t_test) = load_mnist(normalize, flatten, one_hot, data_dir=tiny.folder)
    for images, labels, want_x, want_t in (
        (x, t, tiny.x_train, TRAIN_T),
        (x_test, t_test, tiny.x_test, TEST_T),
    ):
        n = len(want_t)
        assert images.shape == ((n, 784) if flatten else (n, 1, 28, 28))
        if normalize:
            assert images.dtype == np.float32
            assert images.min() >= 0.0 and images.max() <= 1.0
            pixels = np.rint(images * 255).astype(np.uint8)
        else:
            assert images.dtype == np.uint8
            pixels = images
        np.testing.assert_array_equal(pixels.reshape(n, 28, 28), want_x)
        if one_hot:
            assert labels.shape == (n, 10) and labels.dtype == np.float32
            np.testing.assert_array_equal(labels.sum(axis=1), np.ones(n))
            assert set(np.unique(labels)) == {0.0, 1.0}
            np.testing.assert_array_equal(labels.argmax(axis=1), want_t)
        else:
            assert labels.shape == (n,) and labels.dtype == np.uint8
            np.testing.assert_array_equal(labels, want_t)
    if normalize:
        assert x.max() == 1.0 and x.min() == 0.0  # 255 -> exactly 1.0, 0 -> 0.0


@pytest.mark.parametrize("flag", ["normalize", "flatten", "one_hot_label"])
@pytest.mark.parametrize("value", ["False", "True", 0, 1, None])
def test_a_flag_must_be_a_real_bool_not_a_string_that_reads_as_one(flag, value):
    # "False" is a non-empty string, so it is true: the flag would do the opposite of what
    # the learner wrote. Checked first: no data (and no mirror) is needed for the error.
    with pytest.raises(TypeError, match=re.escape(
            f"load_mnist's {flag} must be True or False, got {value!r} "
            f"({type(value).__name__})")):
        load_mnist(**{flag: value})


def test_numpy_bools_are_bools_too(tiny):
    (x, t), _ = load_mnist(np.bool_(False), np.True_, one_hot_label=np.False_,
                           data_dir=tiny.folder)
    assert x.dtype == np.uint8 and x.shape == (5, 784) and t.shape == (5,)


@pytest.mark.parametrize("warm", [False, True], ids=["cold", "warm"])
def test_arrays_are_writable_and_not_shared(tiny, warm):
    if warm:
        load_mnist(data_dir=tiny.folder)
    (x1, t1), _ = load_mnist(normalize=False, data_dir=tiny.folder)
    (x2, t2), _ = load_mnist(normalize=False, data_dir=tiny.folder)
    assert x1.flags.writeable and t1.flags.writeable
    x1[:] = 7
    t1[:] = 7
    np.testing.assert_array_equal(x2.reshape(5, 28, 28), tiny.x_train)
    np.testing.assert_array_equal(t2, TRAIN_T)


def test_normalized_values_match_division_by_255(tiny):
    (x, _), _ = load_mnist(data_dir=tiny.folder)
    # bit for bit the book's normalisation (a cast to float32, then / 255 in float32),
    # which for every byte value equals x / 255 in float64 rounded to float32
    expected = (tiny.x_train.reshape(5, -1) / 255.0).astype(np.float32)
    np.testing.assert_array_equal(x, expected)
    assert x.dtype == np.float32 and x.max() <= 1.0


# --- where it looks ------------------------------------------------------------------------


def test_data_dir_beats_bpcourse_data(tiny, tmp_path, monkeypatch):
    monkeypatch.setenv("BPCOURSE_DATA", str(corrupt_folder(tmp_path)))
    (_, t), _ = load_mnist(data_dir=tiny.folder)  # would raise if the bad folder were read
    np.testing.assert_array_equal(t, TRAIN_T)


def test_bpcourse_data_beats_cache(tiny, tmp_path, cache, monkeypatch):
    for name in FILES:  # garbage in the cache: it would be deleted if it were looked at
        cache.mkdir(parents=True, exist_ok=True)
        (cache / name).write_bytes(b"stale")
    monkeypatch.setenv("BPCOURSE_DATA", str(tiny.folder))
    (_, t), _ = load_mnist()
    np.testing.assert_array_equal(t, TRAIN_T)
    assert all((cache / name).read_bytes() == b"stale" for name in FILES)


def test_cache_beats_download(tiny, cache, server, monkeypatch):
    copy_files(tiny.folder, cache)
    server.serve("m", tiny.gz)
    monkeypatch.setattr(datasets, "MIRRORS", [server.url("m")])
    (_, t), _ = load_mnist()
    np.testing.assert_array_equal(t, TRAIN_T)
    assert server.requests == []


def test_downloads_into_the_cache_when_nothing_is_local(tiny, cache, server, monkeypatch, capsys):
    server.serve("m", tiny.gz)
    monkeypatch.setattr(datasets, "MIRRORS", [server.url("m")])
    with warnings.catch_warnings():
        # an empty cache is the normal first time, not a mistyped folder worth a warning
        warnings.simplefilter("error", MnistWarning)
        (_, t), (_, t_test) = load_mnist()
    np.testing.assert_array_equal(t_test, TEST_T)
    assert sorted(server.requests) == sorted(f"/m/{name}" for name in FILES)
    for name in FILES:
        assert (cache / name).read_bytes() == tiny.gz[name]
    assert f"Downloading {TRAIN_IMAGES} from {server.url('m')}" in capsys.readouterr().err
    assert leftovers(cache) == []
    server.requests.clear()
    load_mnist()  # the second time nothing is downloaded
    assert server.requests == []


def test_each_file_comes_from_the_first_place_that_has_it(tiny, tmp_path, monkeypatch):
    partial = copy_files(tiny.folder, tmp_path / "partial", [TRAIN_IMAGES, TRAIN_LABELS])
    monkeypatch.setenv("BPCOURSE_DATA", str(tiny.folder))
    with pytest.warns(MnistWarning, match=f"data_dir {partial} has no {TEST_IMAGES}") as seen:
        (_, t), (_, t_test) = load_mnist(data_dir=partial)
    assert seen.pop(MnistWarning).filename == __file__  # the warning names the caller's line
    np.testing.assert_array_equal(t_test, TEST_T)


def test_missing_data_dir_warns_and_falls_back(tiny, tmp_path, monkeypatch):
    monkeypatch.setenv("BPCOURSE_DATA", str(tiny.folder))
    with pytest.warns(MnistWarning, match=r"typo does not exist \(check the spelling\)"):
        (_, t), _ = load_mnist(data_dir=tmp_path / "typo")
    np.testing.assert_array_equal(t, TRAIN_T)
    for built in datasets.mnist_cache_dir().glob("*.npz"):
        built.unlink()  # else the next load reads the arrays without looking at any folder
    (tmp_path / "a-file").write_text("not a folder")
    with pytest.warns(MnistWarning, match="a-file is not a folder; looking elsewhere"):
        load_mnist(data_dir=tmp_path / "a-file")


def test_decompressed_copies_are_accepted(tiny, tmp_path):
    folder = tmp_path / "unpacked"  # what macOS Safari leaves after a download
    folder.mkdir()
    for name, data in tiny.raw.items():
        (folder / name.removesuffix(".gz")).write_bytes(data)
    (x, t), _ = load_mnist(normalize=False, data_dir=folder)
    np.testing.assert_array_equal(x.reshape(5, 28, 28), tiny.x_train)


def test_any_gzip_wrapper_is_accepted(tiny, tmp_path):
    folder = tmp_path / "rewrapped"
    folder.mkdir()
    for name, data in tiny.raw.items():
        # Another level and time stamp, and split into two gzip members as `cat a.gz b.gz`
        half = len(data) // 2
        blob = gzip.compress(data[:half], 1, mtime=12345) + gzip.compress(data[half:], 9)
        assert blob != tiny.gz[name]
        (folder / name).write_bytes(blob)
    (_, t), _ = load_mnist(data_dir=folder)
    np.testing.assert_array_equal(t, TRAIN_T)


def test_cache_dir_follows_xdg_and_ignores_relative_values(tmp_path, monkeypatch):
    assert datasets.mnist_cache_dir() == tmp_path / "xdg" / "bpcourse" / "mnist"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")
    set_home(monkeypatch, tmp_path / "home")
    assert datasets.mnist_cache_dir() == tmp_path / "home" / ".cache" / "bpcourse" / "mnist"


@pytest.mark.parametrize("platform", ["linux", "win32", "darwin"])
def test_cache_dir_is_the_systems_cache_folder_unless_xdg_says_otherwise(platform, tmp_path,
                                                                        monkeypatch):
    monkeypatch.setattr(mnist_cache.sys, "platform", platform)
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "local"))
    assert datasets.mnist_cache_dir() == tmp_path / "xdg" / "bpcourse" / "mnist"
    monkeypatch.delenv("XDG_CACHE_HOME")
    set_home(monkeypatch, tmp_path / "home")
    expected = {
        "linux": tmp_path / "home" / ".cache" / "bpcourse" / "mnist",
        # not roamed with the profile, as ~ would be
        "win32": tmp_path / "local" / "bpcourse" / "Cache" / "mnist",
        "darwin": tmp_path / "home" / "Library" / "Caches" / "bpcourse" / "mnist",
    }[platform]
    assert datasets.mnist_cache_dir() == expected
    monkeypatch.delenv("LOCALAPPDATA")  # then Windows too uses the home folder
    assert datasets.mnist_cache_dir() == (tmp_path / "home" / ".cache" / "bpcourse" / "mnist"
                                          if platform == "win32" else expected)


def test_cache_dir_falls_back_to_the_temp_folder_without_a_home(monkeypatch):
    # some containers run as a user with no home folder, where Path.home() raises: the
    # cache goes to the temp folder rather than load_mnist crashing before it looks
    def no_home(*args):
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setattr(mnist_cache.Path, "home", no_home)
    assert datasets.mnist_cache_dir() == Path(tempfile.gettempdir()) / "bpcourse" / "mnist"


# --- bad files in folders the user chose ---------------------------------------------------


def test_truncated_gz_is_an_error_naming_the_file(tiny):
    (tiny.folder / TRAIN_IMAGES).write_bytes(tiny.gz[TRAIN_IMAGES][:-20])
    with pytest.raises(MnistFileError, match="truncated") as info:
        load_mnist(data_dir=tiny.folder)
    assert info.value.path == tiny.folder / TRAIN_IMAGES
    assert str(tiny.folder / TRAIN_IMAGES) in str(info.value)


def test_wrong_checksum_says_expected_and_got(tiny, monkeypatch):
    other = idx_bytes(np.array([0, 1, 2], dtype=np.uint8))
    monkeypatch.setenv("BPCOURSE_DATA", str(tiny.folder))
    (tiny.folder / TEST_LABELS).write_bytes(gzip.compress(other))
    with pytest.raises(MnistFileError) as info:
        load_mnist()
    message = str(info.value)
    assert TEST_LABELS in message and "$BPCOURSE_DATA" in message
    assert f"expected {datasets.SHA256[TEST_LABELS]}, got {sha(other)}" in message


def test_non_gzip_file_is_an_error(tiny):
    (tiny.folder / TRAIN_LABELS).write_bytes(b"<html>Please log in to the Wi-Fi</html>")
    with pytest.raises(MnistFileError, match="not a gzip file"):
        load_mnist(data_dir=tiny.folder)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"PK\x03\x04" + bytes(100), "bad IDX magic number"),
        (bytes([0, 0, 8, 1]) + (9).to_bytes(4, "big") + bytes(5), "length does not match"),
        # a valid image file where labels belong: only the dimension check can catch it
        (idx_bytes(np.zeros((5, 28, 28), np.uint8)), "expected an IDX file with 1 dimension"),
        (bytes([0, 0, 8]), "too short"),
    ],
    ids=["magic", "length", "ndim", "short"],
)
def test_non_idx_content_is_an_error(tiny, monkeypatch, content, message):
    # The checksum matches, so only the IDX checks stand between this file and the learner.
    (tiny.folder / TRAIN_LABELS).write_bytes(gzip.compress(content))
    monkeypatch.setitem(datasets.SHA256, TRAIN_LABELS, sha(content))
    with pytest.raises(MnistFileError, match=message):
        load_mnist(data_dir=tiny.folder)


def test_files_that_do_not_fit_together_are_an_error(tiny, monkeypatch):
    labels = idx_bytes(np.array([1, 2, 3, 4], dtype=np.uint8))  # 4 labels for 5 images
    (tiny.folder / TRAIN_LABELS).write_bytes(gzip.compress(labels))
    monkeypatch.setitem(datasets.SHA256, TRAIN_LABELS, sha(labels))
    with pytest.raises(MnistError, match="5 images but 4 labels"):
        load_mnist(data_dir=tiny.folder)


def test_labels_must_be_digits(tiny, monkeypatch):
    labels = idx_bytes(np.array([9, 2, 12], dtype=np.uint8))
    (tiny.folder / TEST_LABELS).write_bytes(gzip.compress(labels))
    monkeypatch.setitem(datasets.SHA256, TEST_LABELS, sha(labels))
    with pytest.raises(MnistError, match="a label is 12"):
        load_mnist(data_dir=tiny.folder, one_hot_label=True)


def test_read_only_data_folder_is_never_written(tiny, cache, monkeypatch):
    monkeypatch.setenv("BPCOURSE_DATA", str(tiny.folder))
    for path in tiny.folder.iterdir():
        path.chmod(0o444)
    tiny.folder.chmod(0o555)
    try:
        before = snapshot(tiny.folder)
        load_mnist()
        load_mnist(data_dir=tiny.folder, flatten=False)
        assert snapshot(tiny.folder) == before  # as root, chmod alone would not stop writes
        assert list(cache.glob("mnist-*.npz"))  # the arrays went to the cache instead
    finally:
        tiny.folder.chmod(0o755)


# --- the array cache -----------------------------------------------------------------------


def npz_files(cache):
    return sorted(cache.glob("mnist-*.npz"))


def test_second_load_reuses_the_array_cache(tiny, cache, monkeypatch):
    load_mnist(data_dir=tiny.folder)
    [npz] = npz_files(cache)
    with np.load(npz, allow_pickle=False) as z:
        assert list(z["sha256"]) == [datasets.SHA256[name] for name in FILES]
    calls = []
    monkeypatch.setattr(fileio, "gunzip", lambda raw, *a: calls.append(1))
    monkeypatch.setattr(fileio, "parse_idx", lambda data, *a, **k: calls.append(1))
    for path in tiny.folder.iterdir():
        path.unlink()  # the source files are not needed any more either
    (x, t), (x_test, t_test) = load_mnist(normalize=False, flatten=False)
    assert calls == []
    np.testing.assert_array_equal(x[:, 0], tiny.x_train)
    np.testing.assert_array_equal(t_test, TEST_T)


def test_cache_name_depends_on_the_checksums(tiny, cache, monkeypatch):
    load_mnist(data_dir=tiny.folder)
    first = npz_files(cache)
    changed = idx_bytes(np.array([9, 2, 7], dtype=np.uint8))
    (tiny.folder / TEST_LABELS).write_bytes(gzip.compress(changed))
    monkeypatch.setitem(datasets.SHA256, TEST_LABELS, sha(changed))
    _, (_, t_test) = load_mnist(data_dir=tiny.folder)
    np.testing.assert_array_equal(t_test, [9, 2, 7])  # not the cached [9, 2, 6]
    assert len(npz_files(cache)) == 2 and first[0] in npz_files(cache)


def flip_a_byte(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def npy_bytes(arr):
    buffer = io.BytesIO()
    np.save(buffer, arr)
    return buffer.getvalue()


def replace_member(key, value):
    def damage(path):
        with np.load(path) as z:
            arrays = {name: z[name] for name in z.files}
        arrays[key] = value
        with open(path, "wb") as file:  # a path would get ".npz" appended
            np.savez(file, **arrays)

    return damage


@pytest.mark.parametrize(
    "damage, reason",
    [
        (lambda p: p.write_bytes(b"garbage"), "pickled"),  # np.load takes it for a pickle
        (lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]), "zip"),
        (flip_a_byte, "CRC"),
        (replace_member("sha256", np.array(["0" * 64] * 4)), "different source files"),
        (replace_member("t_train", np.array([{"evil": 1}], dtype=object)), "allow_pickle"),
        (replace_member("x_test", np.zeros((3, 28, 28), np.float64)), "not uint8"),
        (lambda p: p.write_bytes(npy_bytes(np.arange(3))), ""),
        (lambda p: p.write_bytes(b""), ""),
    ],
    ids=[
        "garbage",
        "truncated",
        "flipped-byte",
        "other-checksums",
        "pickled",
        "dtype",
        "npy",
        "empty",
    ],
)
def test_bad_array_cache_is_rebuilt(tiny, cache, damage, reason):
    load_mnist(data_dir=tiny.folder)
    [npz] = npz_files(cache)
    damage(npz)
    with pytest.warns(MnistWarning, match=f"rebuilding.*{reason}") as seen:
        (x, t), _ = load_mnist(normalize=False, data_dir=tiny.folder)
    assert seen.pop(MnistWarning).filename == __file__
    np.testing.assert_array_equal(x.reshape(5, 28, 28), tiny.x_train)
    with np.load(npz, allow_pickle=False) as z:  # a good cache is back in its place
        np.testing.assert_array_equal(z["t_train"], TRAIN_T)
    assert leftovers(cache) == []


def test_failed_cache_write_warns_and_leaves_no_temp_file(tiny, cache, monkeypatch):
    def disk_full(file, **arrays):
        file.write(b"PK half a zip")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", disk_full)
    with pytest.warns(MnistWarning, match="No space left") as seen:
        (_, t), _ = load_mnist(data_dir=tiny.folder)
    assert seen.pop(MnistWarning).filename == __file__
    np.testing.assert_array_equal(t, TRAIN_T)
    assert list(cache.iterdir()) == []


def test_unwritable_cache_still_returns_data_without_a_word_when_the_files_are_in_a_folder(
        tiny, unwritable_cache):
    # a lab with read-only homes and BPCOURSE_DATA: the folder is there next time too, so
    # a warning at every load would say nothing worth knowing
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (_, t), _ = load_mnist(data_dir=tiny.folder)
        (_, t2), _ = load_mnist(data_dir=tiny.folder)
    np.testing.assert_array_equal(t, TRAIN_T)
    np.testing.assert_array_equal(t2, TRAIN_T)


def test_unwritable_cache_still_downloads_into_memory(tiny, unwritable_cache, server,
                                                      monkeypatch):
    server.serve("m", tiny.gz)
    monkeypatch.setattr(datasets, "MIRRORS", [server.url("m")])
    with pytest.warns(MnistWarning, match="cannot write to the MNIST cache folder .*: the "
                                          "data downloaded now is not saved, so the next "
                                          "load downloads it again") as seen:
        _, (_, t_test) = load_mnist()
    assert seen.pop(MnistWarning).filename == __file__
    np.testing.assert_array_equal(t_test, TEST_T)


# --- downloads -----------------------------------------------------------------------------


def test_mirror_fallback(tiny, cache, server, monkeypatch):
    # First mirror: 404 for everything. Second: every file truncated. Third: good files.
    server.serve("cut", {name: gz[: len(gz) // 2] for name, gz in tiny.gz.items()})
    server.serve("good", tiny.gz)
    mirrors = [server.url("missing"), server.url("cut"), server.url("good")]
    monkeypatch.setattr(datasets, "MIRRORS", mirrors)
    start = time.monotonic()
    (x, t), _ = load_mnist(normalize=False)
    assert time.monotonic() - start < 10
    np.testing.assert_array_equal(x.reshape(5, 28, 28), tiny.x_train)
    assert server.requests[:3] == [f"/{m}/{TRAIN_IMAGES}" for m in ("missing", "cut", "good")]
    assert len(server.requests) == 3 * len(FILES)
    for name in FILES:
        assert (cache / name).read_bytes() == tiny.gz[name]
    assert leftovers(cache) == []


def test_a_mirror_sending_broken_http_is_skipped_like_any_other_failure(tiny, cache, tmp_path,
                                                                        server, monkeypatch):
    # a garbled chunked encoding (a bad proxy, say) makes http.client raise an
    # HTTPException, which is no OSError: it must not end the search for a good mirror
    for name in FILES:
        server.routes[f"/broken/{name}"] = (200, b"zz\r\n", {"Transfer-Encoding": "chunked"})
    server.serve("good", tiny.gz)
    monkeypatch.setattr(datasets, "MIRRORS", [server.url("broken"), server.url("good")])
    (_, t), _ = load_mnist()
    np.testing.assert_array_equal(t, TRAIN_T)
    assert server.requests[:2] == [f"/broken/{TRAIN_IMAGES}", f"/good/{TRAIN_IMAGES}"]
    assert {path for path in server.requests if path.startswith("/good/")} == {
        f"/good/{name}" for name in FILES} and leftovers(cache) == []
    # with only the broken mirror, the error names it
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "empty"))
    monkeypatch.setattr(datasets, "MIRRORS", [server.url("broken")])
    with pytest.raises(MnistNotFoundError) as info:
        load_mnist()
    [(url, _)] = info.value.failures
    assert url == server.url("broken") + TRAIN_IMAGES and f"  - {url}: " in str(info.value)


def test_bad_cached_gz_is_replaced_by_a_fresh_download(tiny, cache, server, monkeypatch):
    copy_files(tiny.folder, cache)
    (cache / TRAIN_IMAGES).write_bytes(tiny.gz[TRAIN_IMAGES][:100])  # an old interrupted copy
    server.serve("m", tiny.gz)
    monkeypatch.setattr(datasets, "MIRRORS", [server.url("m")])
    (x, _), _ = load_mnist(normalize=False)
    np.testing.assert_array_equal(x.reshape(5, 28, 28), tiny.x_train)
    assert server.requests == [f"/m/{TRAIN_IMAGES}"]
    assert (cache / TRAIN_IMAGES).read_bytes() == tiny.gz[TRAIN_IMAGES]


@pytest.mark.parametrize(
    "route, reason",
    [
        ((200, b"<html>captive portal</html>", {}), "not a gzip file"),
        ((200, b"\x1f\x8b short", {"Content-Length": "5000"}), "cut short: got 8 of 5000"),
        ((500, b"oops", {}), "HTTP error 500"),
        (("hang", b"", {}), "no answer within 0.5 s"),
    ],
    ids=["html", "connection-drops", "http-500", "timeout"],
)
def test_failed_download_leaves_nothing_behind(tiny, cache, server, monkeypatch, route, reason):
    monkeypatch.setattr(datasets, "TIMEOUT", 0.5)
    for name in FILES:
        server.routes[f"/bad/{name}"] = route
    monkeypatch.setattr(datasets, "MIRRORS", [server.url("bad")])
    start = time.monotonic()
    with pytest.raises(MnistNotFoundError) as info:
        load_mnist()
    assert time.monotonic() - start < 5
    [(url, why)] = info.value.failures
    assert url == server.url("bad") + TRAIN_IMAGES and reason in why
    assert leftovers(cache) == [] and not (cache / TRAIN_IMAGES).exists()


@pytest.mark.parametrize("cap", [1000, 100_000])  # below and above one 64 KiB read
def test_oversized_download_is_cut_off_and_leaves_nothing_behind(cache, server, monkeypatch,
                                                                 cap):
    monkeypatch.setattr(datasets, "_MAX_DOWNLOAD_BYTES", cap)  # MNIST's own cap is 64 MiB
    server.serve("big", {name: bytes(300_000) for name in FILES})
    monkeypatch.setattr(datasets, "MIRRORS", [server.url("big")])
    with pytest.raises(MnistNotFoundError) as info:
        load_mnist()
    [(url, why)] = info.value.failures
    assert url == server.url("big") + TRAIN_IMAGES and f"more than {cap} bytes" in why
    assert leftovers(cache) == [] and not (cache / TRAIN_IMAGES).exists()


def test_a_download_that_fails_midway_ends_its_progress_line_saying_so(server, monkeypatch,
                                                                       capsys):
    # else the progress line stays unfinished and the next output runs into it
    monkeypatch.setattr(datasets, "_MAX_DOWNLOAD_BYTES", 1000)
    server.serve("big", {name: bytes(300_000) for name in FILES})
    monkeypatch.setattr(datasets, "MIRRORS", [server.url("big")])
    with pytest.raises(MnistNotFoundError):
        load_mnist()
    assert capsys.readouterr().err.endswith(" (failed)\n")


def test_a_mirror_without_its_trailing_slash_still_works(tiny, server, monkeypatch):
    server.serve("m", tiny.gz)
    monkeypatch.setattr(datasets, "MIRRORS", [server.url("m").rstrip("/")])
    (_, t), _ = load_mnist()
    np.testing.assert_array_equal(t, TRAIN_T)


@pytest.mark.parametrize(
    "index, value, problem",
    [
        (0, np.zeros((5, 28, 28), np.float32), "images are float32 with 3 dimensions"),
        (1, TRAIN_T.reshape(5, 1), "labels are uint8 with 2 dimensions"),
        (1, TRAIN_T[:4], "5 images but 4 labels"),
        (3, np.array([9, 2, 12], np.uint8), "a label is 12"),
        (3, np.array([9, 2, 10], np.uint8), "a label is 10"),  # one past the last digit
        (0, np.zeros((5, 784), np.uint8), "images are uint8 with 2 dimensions"),
        (2, np.zeros((3, 27, 27), np.uint8), "training and test images differ in size"),
    ],
)
def test_files_that_do_not_fit_together_are_refused(index, value, problem):
    arrays = [np.zeros((5, 28, 28), np.uint8), TRAIN_T, np.zeros((3, 28, 28), np.uint8), TEST_T]
    mnist_cache.assemble(arrays)  # these fit
    arrays[index] = value
    with pytest.raises(MnistError, match=problem):
        mnist_cache.assemble(arrays)


def test_interrupted_download_leaves_nothing_behind(tiny, cache, server, monkeypatch):
    server.serve("m", tiny.gz)
    monkeypatch.setattr(datasets, "MIRRORS", [server.url("m")])

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt  # Ctrl+C after the bytes arrived, before they were checked

    monkeypatch.setattr(datasets, "_verify", interrupt)
    with pytest.raises(KeyboardInterrupt):
        load_mnist()
    assert list(cache.iterdir()) == []


def test_offline_error_says_where_it_looked_and_how_to_fix_it(cache, server, monkeypatch):
    mirrors = [server.url("nothing"), closed_port_url()]
    monkeypatch.setattr(datasets, "MIRRORS", mirrors)
    with pytest.raises(MnistNotFoundError) as info, pytest.warns(MnistWarning):
        load_mnist(data_dir=cache.parent / "nowhere")
    error = info.value
    assert isinstance(error, RuntimeError)
    message = str(error)
    for expected in (
        *FILES,  # which files to put there
        str(cache),  # where to put them
        str(cache.parent / "nowhere"),  # where it looked
        "BPCOURSE_DATA",  # which variable to set
        "%env BPCOURSE_DATA=",
        "python -m bpcourse.datasets",
        f"{mirrors[0]}{TRAIN_IMAGES}: HTTP error 404",
        f"{mirrors[1]}{TRAIN_IMAGES}: could not connect",
    ):
        assert expected in message
    assert [url for url, _ in error.failures] == [m + TRAIN_IMAGES for m in mirrors]
    assert leftovers(cache) == []


def test_error_says_offline_only_when_no_mirror_answered(cache, server, monkeypatch):
    hints = []
    for mirrors in ([closed_port_url()], [server.url("nothing"), closed_port_url()]):
        monkeypatch.setattr(datasets, "MIRRORS", mirrors)
        with pytest.raises(MnistNotFoundError) as info, pytest.warns(MnistWarning):
            load_mnist(data_dir=cache.parent / "nowhere")
        hints.append("this computer is offline" in str(info.value))
    assert hints == [True, False]  # a 404 means the network works


def certificate_failure(wrapped):
    """What urlopen raises on a Python without the certificates to check a site's."""
    exc = ssl.SSLCertVerificationError(
        1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local "
           "issuer certificate (_ssl.c:1000)")
    return urllib.error.URLError(exc) if wrapped else exc


@pytest.mark.parametrize("wrapped", [True, False], ids=["in-URLError", "bare"])
def test_a_failed_certificate_check_is_named_with_its_fixes_not_called_offline(
        cache, monkeypatch, wrapped):
    # macOS's python.org Python until "Install Certificates.command" has run; simulated,
    # so that no test reaches the network
    def urlopen(request, timeout):
        raise certificate_failure(wrapped)

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    mirrors = ["https://mirror-a.invalid/mnist/", "https://mirror-b.invalid/mnist/"]
    monkeypatch.setattr(datasets, "MIRRORS", mirrors)
    with pytest.raises(MnistNotFoundError) as info:
        load_mnist()
    message = str(info.value)
    assert [why for _, why in info.value.failures] == [
        "the HTTPS certificate check failed ([SSL: CERTIFICATE_VERIFY_FAILED] certificate "
        "verify failed: unable to get local issuer certificate (_ssl.c:1000))"] * 2
    assert "offline" not in message and "Connect to the internet" not in message
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    for expected in ("could not verify the sites' HTTPS certificates",
                     f"    /Applications/Python {version}\n",
                     'double-click "Install Certificates.command"',
                     "1. Fix the certificates as just said",
                     "point $BPCOURSE_DATA at it", str(cache)):
        assert expected in message
    assert leftovers(cache) == []


def test_other_failures_to_connect_say_nothing_about_certificates(cache, monkeypatch):
    def urlopen(request, timeout):
        raise urllib.error.URLError(ConnectionRefusedError(111, "Connection refused"))

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    monkeypatch.setattr(datasets, "MIRRORS", ["https://mirror-a.invalid/mnist/"])
    with pytest.raises(MnistNotFoundError) as info:
        load_mnist()
    assert "this computer is offline" in str(info.value)
    assert "certificate" not in str(info.value).lower()


def test_offline_error_with_no_mirrors_at_all():
    with pytest.raises(MnistNotFoundError, match="no mirrors listed"):
        load_mnist()


@pytest.mark.parametrize("terminal", [True, False], ids=["terminal", "log or notebook"])
def test_progress_redraws_in_place_only_on_a_terminal(terminal, tiny, server, monkeypatch):
    # elsewhere (a log file, a notebook) "\r" shows as garbage or a stray break, not as a
    # redraw: there the progress comes in whole lines
    class Stream(io.StringIO):
        def isatty(self):
            return terminal

    stream = Stream()
    monkeypatch.setattr(sys, "stderr", stream)
    server.serve("m", tiny.gz)
    monkeypatch.setattr(datasets, "MIRRORS", [server.url("m")])
    load_mnist()
    text = stream.getvalue()
    assert f"Downloading {TEST_LABELS}" in text and "100% of " in text
    if terminal:
        assert "\r  100% of " in text
    else:
        assert "\r" not in text and text.endswith("\n")


def test_progress_outside_a_terminal_prints_a_line_at_most_every_five_seconds(monkeypatch):
    # there every update is a new line: one every 0.1 s, as on a terminal, floods the log
    clock = SimpleNamespace(now=1000.0)
    monkeypatch.setattr(fileio, "time", SimpleNamespace(monotonic=lambda: clock.now))
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    progress = fileio._Progress("L", 100)
    header = stream.getvalue()
    for seconds, done in ((1.0, 10), (4.9, 20)):
        clock.now = 1000.0 + seconds
        progress.update(done)
    assert stream.getvalue() == header
    clock.now = 1005.1
    progress.update(30)
    assert stream.getvalue() == header + "   30% of 0.00 MB\n"


def test_a_download_works_without_any_stderr(tiny, server, monkeypatch):
    # pythonw on Windows runs with sys.stderr None: no progress then, but the data comes
    monkeypatch.setattr(sys, "stderr", None)
    server.serve("m", tiny.gz)
    monkeypatch.setattr(datasets, "MIRRORS", [server.url("m")])
    _, (_, t_test) = load_mnist()
    np.testing.assert_array_equal(t_test, TEST_T)


# --- the command line ----------------------------------------------------------------------


def test_cli_fetches_verifies_and_says_where(tiny, cache, capsys):
    assert datasets.main(["--data-dir", str(tiny.folder)]) == 0
    out = capsys.readouterr().out
    for name in FILES:
        assert str(tiny.folder / name) in out
    [npz] = npz_files(cache)
    assert f"Array cache: {npz}" in out and "5 training and 3 test images" in out


def test_cli_leaves_a_good_array_cache_even_over_a_broken_one(tiny, cache, capsys):
    assert datasets.main(["--data-dir", str(tiny.folder)]) == 0
    [npz] = npz_files(cache)
    npz.write_bytes(b"not a zip")
    assert datasets.main(["--data-dir", str(tiny.folder)]) == 0
    assert npz_files(cache) == [npz] and leftovers(cache) == []
    with np.load(npz, allow_pickle=False) as z:
        np.testing.assert_array_equal(z["t_train"], TRAIN_T)


def test_cli_fails_when_the_downloads_cannot_be_saved(tiny, unwritable_cache, server,
                                                       monkeypatch, capsys):
    server.serve("m", tiny.gz)
    monkeypatch.setattr(datasets, "MIRRORS", [server.url("m")])
    with pytest.warns(MnistWarning, match="not saved"):
        assert datasets.main([]) == 1  # the next load would download again: not "ready"
    captured = capsys.readouterr()
    assert "the downloads could not be saved" in captured.err
    # no array cache was written, so no path to one (that does not exist) is printed
    assert "Array cache: (none: the cache folder is not writable)" in captured.out


def test_cli_fails_when_only_some_files_were_downloaded_and_could_not_be_saved(
        tiny, tmp_path, unwritable_cache, server, monkeypatch, capsys):
    # two files from data_dir, two downloaded into memory only: the next load downloads
    # those two again, so the command must not say that all is ready
    partial = copy_files(tiny.folder, tmp_path / "partial", [TRAIN_IMAGES, TRAIN_LABELS])
    server.serve("m", {name: tiny.gz[name] for name in (TEST_IMAGES, TEST_LABELS)})
    monkeypatch.setattr(datasets, "MIRRORS", [server.url("m")])
    with pytest.warns(MnistWarning) as seen:  # "partial has no ..." and "not saved"
        assert datasets.main(["--data-dir", str(partial)]) == 1
    assert any("not saved" in str(w.message) for w in seen)
    assert "the downloads could not be saved" in capsys.readouterr().err
    assert sorted(server.requests) == [f"/m/{TEST_IMAGES}", f"/m/{TEST_LABELS}"]


def test_cli_reports_failure_without_a_traceback(capsys):
    assert datasets.main([]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: Could not find or download") and "Traceback" not in err


def test_cli_help_runs_as_a_module():
    result = subprocess.run(
        [sys.executable, "-m", "bpcourse.datasets", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    assert "usage: python -m bpcourse.datasets" in result.stdout
    assert "--data-dir" in result.stdout and "BPCOURSE_DATA" in result.stdout


def test_cli_prints_a_path_its_pipe_cannot_encode_escaped_instead_of_crashing(tmp_path):
    # a Windows pipe or file encodes in the ANSI code page; PYTHONIOENCODING does the same
    cache_home = tmp_path / "\u0141\u00f3d\u017a"
    env = dict(os.environ, PYTHONIOENCODING="cp1252", XDG_CACHE_HOME=str(cache_home))
    result = subprocess.run([sys.executable, "-m", "bpcourse.datasets", "--help"],
                            capture_output=True, text=True, encoding="cp1252", env=env,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert str(tmp_path / "\\u0141\xf3d\\u017a") in result.stdout.replace("\n", "")


def test_module_does_not_import_matplotlib():
    code = "import sys, bpcourse.datasets; print('matplotlib' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "False", result.stderr


def test_lazy_export_from_the_package():
    import bpcourse

    assert bpcourse.load_mnist is load_mnist


# --- fileio: gzip and IDX ------------------------------------------------------------------


def test_gunzip_handles_members_and_padding():
    data = bytes(range(256)) * 10
    assert fileio.gunzip(gzip.compress(data)) == data
    assert fileio.gunzip(gzip.compress(data[:100]) + gzip.compress(data[100:])) == data
    assert fileio.gunzip(gzip.compress(data) + bytes(512)) == data


@pytest.mark.parametrize(
    "raw, message",
    [
        (b"", "not a gzip file"),
        (b"BZh91AY&SY", "not a gzip file"),
        (gzip.compress(b"x" * 1000)[:-5], "truncated"),
        (gzip.compress(b"x" * 1000)[:-8] + b"\0\0\0\0" + (1000).to_bytes(4, "little"), "corrupt"),
        (gzip.compress(b"x" * 1000) + b"junk", "junk"),
    ],
    ids=["empty", "bzip2", "truncated", "bad-crc", "junk"],
)
def test_gunzip_rejects_bad_input(raw, message):
    with pytest.raises(fileio.IdxError, match=message):
        fileio.gunzip(raw)


def test_gunzip_accepts_exactly_max_bytes():
    assert fileio.gunzip(gzip.compress(bytes(1000)), max_bytes=1000) == bytes(1000)


def test_parse_idx_checks_both_zero_bytes_and_returns_native_byte_order():
    with pytest.raises(fileio.IdxError, match="bad IDX magic"):
        fileio.parse_idx(bytes([0x1F, 0x8B, 8, 1, 0, 0, 0, 0]))  # gzip's magic, not IDX's
    # IDX stores wider numbers big-endian (0x0B: int16); NumPy should get them native
    big_endian = bytes([0, 0, 0x0B, 1, 0, 0, 0, 2]) + np.array([1, -2], ">i2").tobytes()
    parsed = fileio.parse_idx(big_endian)
    assert parsed.dtype.isnative and parsed.tolist() == [1, -2]


def test_gunzip_refuses_a_decompression_bomb():
    with pytest.raises(fileio.IdxError, match="more than 1000 bytes"):
        fileio.gunzip(gzip.compress(bytes(100_000)), max_bytes=1000)


def test_parse_idx_round_trip_and_header_checks():
    arr = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    parsed = fileio.parse_idx(idx_bytes(arr), ndim=3)
    np.testing.assert_array_equal(parsed, arr)
    assert parsed.dtype == np.uint8
    big_endian = bytes([0, 0, 0x0B, 1, 0, 0, 0, 2]) + np.array([1, -2], ">i2").tobytes()
    np.testing.assert_array_equal(fileio.parse_idx(big_endian), [1, -2])
    with pytest.raises(fileio.IdxError, match="expected an IDX file with 1 dimension"):
        fileio.parse_idx(idx_bytes(arr), ndim=1)
    with pytest.raises(fileio.IdxError, match="header cut short"):
        fileio.parse_idx(bytes([0, 0, 8, 3, 0, 0, 0, 2]))
    with pytest.raises(fileio.IdxError, match="bad IDX magic"):
        fileio.parse_idx(bytes([0, 0, 0x42, 1, 0, 0, 0, 0]))
    with pytest.raises(fileio.IdxError, match="length does not match"):
        fileio.parse_idx(idx_bytes(arr) + b"\0")
    huge = bytes([0, 0, 8, 3]) + b"\xff\xff\xff\xff" * 3  # dims whose product overflows int64
    with pytest.raises(fileio.IdxError, match="length does not match"):
        fileio.parse_idx(huge)


def test_write_atomically_keeps_the_old_file_on_failure(tmp_path):
    target = tmp_path / "f.bin"
    target.write_bytes(b"old")

    def fail(file):
        file.write(b"new but incomplete")
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        fileio.write_atomically(target, fail)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]
    assert fileio.write_atomically(target, lambda file: file.write(b"new")) == 3
    assert target.read_bytes() == b"new"


def test_write_atomically_writes_its_temp_file_next_to_the_target(tmp_path):
    # os.replace is atomic only within one file system (and fails across two): the temp
    # file belongs in the target's folder, not in the system's temp folder
    seen = []

    def write(file):
        file.write(b"new")
        seen.extend(os.listdir(tmp_path))

    fileio.write_atomically(tmp_path / "f", write)
    assert len([name for name in seen if re.fullmatch(r"\.f\.\w+\.part", name)]) == 1
    assert os.listdir(tmp_path) == ["f"]


def test_write_atomically_clears_its_own_stale_temp_files_and_nothing_else(tmp_path):
    # what a kernel killed mid-download leaves: a hidden temp file nobody would delete
    target = tmp_path / "f.gz"
    files = {name: tmp_path / name for name in (
        ".f.gz.k3x_9q2a.part",  # ours, for this file, two days old: goes
        ".f.gz.z8y7w6v5.part",  # ours, but written to a minute ago: maybe a live write
        ".g.gz.k3x_9q2a.part",  # another file's: its own next write clears it
        "f.gz.part",  # not our pattern
        ".f.gz.bak",  # the learner's own hidden files: not ours however old
        ".f.gz.x.part.keep",
    )}
    for name, path in files.items():
        path.write_bytes(b"partial")
        age = 60 if name == ".f.gz.z8y7w6v5.part" else 2 * 24 * 3600
        os.utime(path, (time.time() - age, time.time() - age))
    fileio.write_atomically(target, lambda file: file.write(b"new"))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["f.gz", ".f.gz.z8y7w6v5.part", ".g.gz.k3x_9q2a.part", "f.gz.part", ".f.gz.bak",
         ".f.gz.x.part.keep"])
    assert target.read_bytes() == b"new"


def test_no_warnings_on_the_happy_path(tiny):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_mnist(data_dir=tiny.folder)
        load_mnist(data_dir=tiny.folder)


def test_npz_is_a_plain_uncompressed_zip(tiny, cache):
    load_mnist(data_dir=tiny.folder)
    [npz] = npz_files(cache)
    with zipfile.ZipFile(npz) as z:
        assert {info.compress_type for info in z.infolist()} == {zipfile.ZIP_STORED}
        assert sorted(z.namelist()) == sorted(
            f"{key}.npy" for key in ("sha256", "x_train", "t_train", "x_test", "t_test")
        )


@pytest.mark.skipif(os.name == "nt", reason="Windows has no group and other permission bits: "
                    "os.stat reports 0o666 for any file that is not read-only")
def test_the_array_cache_is_readable_by_all_like_any_cache_of_public_data(tiny, cache):
    load_mnist(data_dir=tiny.folder)
    [npz] = npz_files(cache)
    assert os.stat(npz).st_mode & 0o777 == 0o644  # not mkstemp's private 0o600


# --- the folder variable, cleaning up after failures, and what the error says ---------------


def test_a_relative_folder_is_named_in_messages_as_the_absolute_one_it_is(tmp_path,
                                                                         monkeypatch):
    # in a notebook the current folder is the notebook's, which a learner may not expect
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BPCOURSE_DATA", "typo")
    with pytest.warns(MnistWarning) as seen, pytest.raises(MnistNotFoundError) as info:
        load_mnist(data_dir="other")
    warned = [str(w.message) for w in seen]
    for desc, folder in (("data_dir", "other"), ("$BPCOURSE_DATA", "typo")):
        assert (f"{desc} {tmp_path / folder} does not exist (check the spelling); looking "
                "elsewhere") in warned
        assert (f"  - {desc}: {tmp_path / folder} (does not exist: check the spelling)"
                in str(info.value))


def test_bpcourse_data_may_start_with_a_tilde(tiny, tmp_path, monkeypatch):
    set_home(monkeypatch, tmp_path)  # tiny.folder is tmp_path / "tiny"
    monkeypatch.setenv("BPCOURSE_DATA", "~/" + tiny.folder.name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "is not a folder" warning either
        (_, t), _ = load_mnist()
    np.testing.assert_array_equal(t, TRAIN_T)


def test_an_empty_bpcourse_data_is_ignored_not_read_as_the_current_folder(
        tiny, cache, tmp_path, monkeypatch):
    copy_files(tiny.folder, cache)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BPCOURSE_DATA", "")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (_, t), _ = load_mnist()
    np.testing.assert_array_equal(t, TRAIN_T)


def test_an_unwritable_cache_folder_is_not_written_to(tiny, cache, monkeypatch):
    # as root (CI) a chmod cannot make a folder unwritable, so ask os.access to say it is
    monkeypatch.setattr(mnist_cache.os, "access", lambda *args, **kwargs: False)
    (_, t), _ = load_mnist(data_dir=tiny.folder)
    np.testing.assert_array_equal(t, TRAIN_T)
    assert list(cache.iterdir()) == []


def test_a_folder_with_some_of_the_files_is_the_first_fix_named(tiny, tmp_path, monkeypatch):
    partial = copy_files(tiny.folder, tmp_path / "partial", [TEST_IMAGES, TEST_LABELS])
    monkeypatch.setenv("BPCOURSE_DATA", str(partial))
    with pytest.warns(MnistWarning, match="has no"):
        message = not_found_message()
    assert (f"  1. Copy {TRAIN_IMAGES}, {TRAIN_LABELS} into {partial},\n"
            "     which holds the other files.\n"
            "  2. Connect to the internet") in message


def test_a_bad_cached_file_that_cannot_be_deleted_is_not_called_deleted(cache, monkeypatch):
    cache.mkdir(parents=True)
    (cache / TRAIN_IMAGES).write_bytes(b"junk")

    def refuse(self, missing_ok=False):
        raise PermissionError(13, "Read-only file system")

    monkeypatch.setattr(datasets.Path, "unlink", refuse)
    message = not_found_message()
    assert (f"({cache / TRAIN_IMAGES}: not a gzip file" in message
            and "could not delete it: [Errno 13] Read-only file system)" in message)
    assert "deleted it)" not in message


def not_found_message(**kwargs):
    with pytest.raises(MnistNotFoundError) as info:
        load_mnist(**kwargs)
    return str(info.value)


def test_a_bad_cached_file_is_deleted_and_named_even_when_nothing_replaces_it(cache):
    cache.mkdir(parents=True)
    (cache / TRAIN_IMAGES).write_bytes(b"junk")
    message = not_found_message()  # no mirrors: nothing can replace it
    assert not (cache / TRAIN_IMAGES).exists()
    assert f"({cache / TRAIN_IMAGES}: not a gzip file" in message and "deleted it)" in message


def test_a_broken_array_cache_is_removed_even_when_the_rebuild_fails(tiny, cache):
    load_mnist(data_dir=tiny.folder)
    [npz] = npz_files(cache)
    npz.write_bytes(b"garbage")
    with pytest.warns(MnistWarning, match="rebuilding"), pytest.raises(MnistNotFoundError):
        load_mnist()  # the source files are in tiny.folder, which this call does not name
    assert not npz.exists()  # else every later load would warn about it again


def test_a_broken_array_cache_that_cannot_be_deleted_says_so_not_rebuilding(tiny, cache,
                                                                            monkeypatch):
    load_mnist(data_dir=tiny.folder)
    [npz] = npz_files(cache)
    npz.write_bytes(b"garbage")

    def refuse(self, missing_ok=False):
        raise PermissionError(13, "Read-only file system")

    monkeypatch.setattr(mnist_cache.Path, "unlink", refuse)
    with pytest.warns(MnistWarning, match=r"is broken \(.*\) and cannot be deleted \(\[Errno "
                                          r"13\] Read-only file system\): every load reads the "
                                          r"source files instead until it is removed") as seen:
        (_, t), _ = load_mnist(data_dir=tiny.folder)
    assert not any("rebuilding" in str(w.message) for w in seen)
    np.testing.assert_array_equal(t, TRAIN_T)


def test_the_not_found_message_lists_files_places_and_the_fix(cache):
    message = not_found_message()
    assert f"Looked for {', '.join(FILES)} in:" in message
    assert "  - $BPCOURSE_DATA: not set" in message
    assert f"copy them into this folder:\n         {cache}\n" in message
    assert "offline" not in message  # no mirror was tried, so nothing says we are offline
    # PowerShell's `set` is an alias that makes a variable of another name and says nothing
    text = " ".join(message.split())
    assert '(Windows PowerShell: $env:BPCOURSE_DATA = "C:\\path\\to\\folder";' in text
    assert "cmd: set BPCOURSE_DATA=C:\\path\\to\\folder)" in text


def not_found_text(tmp_path, failures):
    """mnist_errors.not_found_message for a data_dir holding one .gz file and one
    decompressed copy, the two other files missing."""
    folder = tmp_path / "some"
    folder.mkdir(exist_ok=True)
    (folder / TRAIN_IMAGES).write_bytes(b"")
    (folder / TEST_LABELS.removesuffix(".gz")).write_bytes(b"")
    cache = tmp_path / "cache"
    places = [("data_dir", folder, True), ("the download cache", cache, False)]
    return folder, mnist_errors.not_found_message(
        TRAIN_LABELS, places, [TRAIN_LABELS, TEST_IMAGES], [], failures, cache=cache,
        files=FILES, env_var="BPCOURSE_DATA")


def test_the_not_found_message_says_which_files_a_folder_has_decompressed_ones_too(tmp_path):
    # a learner told "none of them there" about a folder with files in it looks for a typo
    folder, message = not_found_text(tmp_path, [])
    assert f"  - data_dir: {folder} (has only {TRAIN_IMAGES}, {TEST_LABELS})" in message


def test_the_not_found_message_gives_the_certificate_fix_when_any_mirror_failed_so(tmp_path):
    # one mirror's certificate failure is enough to show the fix: the others may just lack
    # the file, which says nothing about this computer's certificates
    failures = [("https://a.invalid/x", fileio.CERTIFICATE + " (x)"),
                ("https://b.invalid/x", "HTTP error 404 Not Found")]
    _, message = not_found_text(tmp_path, failures)
    assert 'double-click "Install Certificates.command"' in message
