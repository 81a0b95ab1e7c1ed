"""File plumbing for the data sets: gzip, IDX parsing, atomic writes and downloads.

Nothing here knows about MNIST; :mod:`bpcourse.datasets` decides what to fetch, where from
and which checksums to trust.

An IDX file is a 4-byte magic number ``00 00 <type> <ndim>``, then ``ndim`` big-endian
uint32 sizes, then the values in C order. MNIST images are type 0x08 (unsigned byte) with
3 dimensions ``(count, rows, cols)``; labels are type 0x08 with 1 dimension ``(count,)``.
:func:`gunzip` and :func:`parse_idx` work on bytes in memory, so that the caller hashes
exactly the bytes it parses.
"""

import contextlib
import math
import os
import re
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zlib

import numpy as np

try:
    from ssl import SSLCertVerificationError
except ImportError:  # a Python built without ssl; it cannot download over HTTPS at all
    SSLCertVerificationError = ()  # isinstance(x, ()) is always False

__all__ = ["IdxError", "download", "gunzip", "parse_idx", "why_failed", "write_atomically"]

# IDX type code -> big-endian NumPy dtype
_IDX_TYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

# The biggest MNIST file is 47 MB decompressed; a much bigger output means a wrong file
# (or a decompression bomb), and it should fail before it eats the learner's memory.
MAX_DECOMPRESSED_BYTES = 256 * 2**20


class IdxError(ValueError):
    """The bytes are not a valid gzip stream or not a valid IDX file."""


def gunzip(raw, max_bytes=MAX_DECOMPRESSED_BYTES):
    """Return the decompressed content of the gzip bytes ``raw``.

    Accepts any gzip wrapper (file name, time stamp and compression level vary between
    mirrors) and several concatenated members, like ``gzip -d`` does. Raises
    :class:`IdxError` if ``raw`` is not gzip, is truncated or corrupt, or inflates to more
    than ``max_bytes``.
    """
    if raw[:2] != b"\x1f\x8b":
        raise IdxError(f"not a gzip file (it starts with {bytes(raw[:8])!r})")
    parts, size, rest = [], 0, raw
    while rest:
        # wbits=31: expect the gzip header and CRC-32 trailer, which zlib then checks.
        d = zlib.decompressobj(wbits=31)
        try:
            out = d.decompress(rest, max_bytes + 1 - size)
        except zlib.error as exc:
            raise IdxError(f"corrupt gzip data ({exc})") from None
        size += len(out)
        if size > max_bytes:
            raise IdxError(f"decompresses to more than {max_bytes} bytes")
        if not d.eof:
            raise IdxError("truncated gzip data (the file ends in the middle of the stream)")
        parts.append(out)
        rest = d.unused_data
        if rest and rest[:2] != b"\x1f\x8b":
            if rest.strip(b"\0"):
                raise IdxError(f"{len(rest)} bytes of junk after the gzip data")
            break  # zero padding, as some tape and web tools add, is harmless
    return parts[0] if len(parts) == 1 else b"".join(parts)


def parse_idx(data, ndim=None):
    """Return the array stored in the IDX bytes ``data``.

    The result has the file's shape and a native dtype: ``uint8`` for MNIST, which comes
    as a read-only view of ``data`` (no copy) when ``data`` is ``bytes``. If ``ndim`` is
    given, the file must have that many dimensions. Raises :class:`IdxError` naming what
    is wrong: bad magic number, unknown type, wrong number of dimensions, or a length that
    does not match the header.
    """
    if len(data) < 4:
        raise IdxError(f"too short for an IDX file ({len(data)} bytes)")
    zero, type_code, got_ndim = int.from_bytes(data[:2], "big"), data[2], data[3]
    if zero != 0 or type_code not in _IDX_TYPES:
        raise IdxError(
            f"bad IDX magic number 0x{bytes(data[:4]).hex()} "
            f"(expected 0x0000TTNN with type TT in {sorted(_IDX_TYPES)} and NN dimensions)"
        )
    if ndim is not None and got_ndim != ndim:
        raise IdxError(f"expected an IDX file with {ndim} dimension(s), got {got_ndim}")
    header = 4 + 4 * got_ndim
    if len(data) < header:
        raise IdxError(f"header cut short: {len(data)} bytes, need {header}")
    shape = tuple(int.from_bytes(data[i : i + 4], "big") for i in range(4, header, 4))
    dtype = _IDX_TYPES[type_code]
    expected = dtype.itemsize * math.prod(shape)  # Python ints: huge dims cannot overflow
    if len(data) - header != expected:
        raise IdxError(
            f"length does not match the header: dimensions {shape} need {expected} bytes "
            f"of data, the file has {len(data) - header}"
        )
    arr = np.frombuffer(data, dtype=dtype, count=expected // dtype.itemsize, offset=header)
    return arr.reshape(shape).astype(dtype.newbyteorder("="), copy=False)


def write_atomically(path, write):
    """Call ``write(file)`` on a temp file next to ``path``, then rename it to ``path``.

    Returns what ``write`` returns. If anything fails (``write`` raising included) the
    temp file is removed, so ``path`` is always either untouched or complete: an
    interrupted run leaves nothing behind that a later run would trust.
    """
    path = os.fspath(path)
    folder, name = os.path.split(path)
    _remove_stale_parts(folder or ".", name)
    fd, tmp = tempfile.mkstemp(dir=folder or ".", prefix=f".{name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as file:
            result = write(file)
        # mkstemp makes the file private (0600); a cache of public data need not be.
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    return result


#: Seconds after which a temp file of :func:`write_atomically` counts as left behind.
STALE_AFTER = 24 * 3600


def _remove_stale_parts(folder, name):
    """Delete the temp files a killed process left for ``name`` in ``folder``.

    A kernel killed mid-download cannot clean up, and its hidden ``.NAME.xxxxxxxx.part``
    would stay for good. Only files of that pattern untouched for STALE_AFTER go: a write
    still in progress, in another kernel say, changes its file every few seconds.
    """
    pattern = re.compile(rf"\.{re.escape(name)}\.\w+\.part")
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            with contextlib.suppress(OSError):  # gone already, or not ours to delete
                if (pattern.fullmatch(entry.name) and entry.is_file(follow_symlinks=False)
                        and time.time() - entry.stat().st_mtime > STALE_AFTER):
                    os.remove(entry.path)


def download(url, sink=None, *, timeout, max_bytes, label=None, user_agent="bpcourse"):
    """Return the bytes at ``url`` (a bytearray), also writing them to file ``sink``.

    ``timeout`` bounds each wait for the server, in seconds. Raises ``OSError`` (with
    ``urllib.error.URLError`` and ``TimeoutError`` among its kinds) or
    ``http.client.HTTPException`` for network trouble, and ``ValueError`` if the server
    sends more than ``max_bytes`` or fewer bytes than it announced. Shows progress on
    stderr, headed by ``label``.
    """
    request = urllib.request.Request(url, headers={"User-Agent": user_agent})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        length = response.headers.get("Content-Length", "")
        total = int(length) if length.isdigit() else None
        data, progress = bytearray(), _Progress(label or f"Downloading {url}", total)
        try:
            while chunk := response.read(1 << 16):
                data += chunk
                if sink is not None:
                    sink.write(chunk)
                if len(data) > max_bytes:
                    raise ValueError(f"the server sent more than {max_bytes} bytes")
                progress.update(len(data))
        except BaseException:
            progress.close(len(data), " (failed)")
            raise
        progress.close(len(data))
    # http.client does not complain when a connection closes early, so check here.
    if total is not None and len(data) != total:
        raise ValueError(f"download cut short: got {len(data)} of {total} bytes")
    return data


#: How :func:`why_failed` begins a reason when no server answered at all (offline, say).
UNREACHABLE = ("could not connect", "no answer")
#: How it begins one when a server answered but Python could not verify its certificate.
CERTIFICATE = "the HTTPS certificate check failed"


def why_failed(exc, timeout):
    """A short reason for a failed :func:`download`, in words a beginner can search for."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP error {exc.code} {exc.reason}"
    # urlopen wraps what goes wrong while connecting in a URLError, a failed check too
    cause = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(cause, SSLCertVerificationError):
        return f"{CERTIFICATE} ({cause})"  # its text has CERTIFICATE_VERIFY_FAILED to search
    if isinstance(exc, urllib.error.URLError):
        return f"{UNREACHABLE[0]} ({exc.reason})"
    if isinstance(exc, TimeoutError):
        return f"{UNREACHABLE[1]} within {timeout:g} s"
    return str(exc) or type(exc).__name__


class _Progress:
    """A plain-text progress line on stderr: redrawn in place on a terminal, otherwise a
    new line at most every few seconds, so that logs and notebooks stay short."""

    def __init__(self, label, total):
        self.stream, self.total, self.start = sys.stderr, total, time.monotonic()
        self.tty = self.stream is not None and self.stream.isatty()
        self.shown = self.start
        size = f" ({total / 1e6:.1f} MB)" if total else ""
        self._write(f"{label}{size}\n")

    def update(self, done):
        now = time.monotonic()
        if now - self.shown >= (0.1 if self.tty else 5.0):
            self.shown = now
            self._line(done)

    def close(self, done, outcome=""):
        self._line(done, end=f" in {time.monotonic() - self.start:.1f} s{outcome}\n")

    def _line(self, done, end=""):
        pct = f"{100 * done / self.total:3.0f}% of " if self.total else ""
        text = f"  {pct}{(self.total or done) / 1e6:.2f} MB{end}"
        self._write(f"\r{text}" if self.tty else (text if end else text + "\n"))

    def _write(self, text):
        if self.stream is not None:
            self.stream.write(text)
            self.stream.flush()
