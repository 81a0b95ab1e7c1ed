"""What can go wrong when loading MNIST: the errors and the warning of ``load_mnist()``,
and the long "could not find or download" message that tells a learner how to fix it.

Lesson 6 (the full network) meets these through :func:`bpcourse.datasets.load_mnist`,
which re-exports them; import them from :mod:`bpcourse.datasets`.
"""

import os
import sys
import warnings
from pathlib import Path

from bpcourse.fileio import CERTIFICATE, UNREACHABLE

__all__ = [
    "MnistError",
    "MnistFileError",
    "MnistNotFoundError",
    "MnistWarning",
    "not_found_message",
    "warn_caller",
]


class MnistError(RuntimeError):
    """Base class of the errors :func:`load_mnist` raises."""


class MnistFileError(MnistError):
    """A file in a folder the user chose is not a good MNIST file.

    ``path`` is the file and ``reason`` says what is wrong with it.
    """

    def __init__(self, path, reason, via):
        self.path, self.reason = Path(path), str(reason)
        super().__init__(
            f"The MNIST file {path} (found via {via}) is not usable: {reason}.\n"
            f"Replace it with a good copy, or delete it so that bpcourse looks in the "
            f"other places (and downloads it if needed)."
        )


class MnistNotFoundError(MnistError):
    """MNIST is nowhere on this machine and no mirror could provide it.

    ``failures`` lists ``(url, reason)`` for each download that was tried.
    """

    def __init__(self, message, failures):
        self.failures = list(failures)
        super().__init__(message)


class MnistWarning(UserWarning):
    """Something worth knowing that did not stop the data from loading."""


def warn_caller(message):
    """Warn with an MnistWarning that names the first line outside bpcourse.

    That is the learner's line that called ``load_mnist``. Walking the stack, rather than
    counting its levels in each helper, keeps that true when a helper moves.
    """
    frame, level = sys._getframe(1), 2  # stacklevel 2 is warn_caller's caller
    while frame.f_back is not None and _in_bpcourse(frame):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, MnistWarning, stacklevel=level)


def _in_bpcourse(frame):
    return frame.f_globals.get("__name__", "").split(".")[0] == "bpcourse"


def not_found_message(name, places, missing, notes, failures, *, cache, files, env_var):
    """The text of the :class:`MnistNotFoundError` for file ``name``.

    ``places`` are the ``(description, folder, user_given)`` looked in, ``missing`` the
    files found nowhere, ``notes`` what happened to bad cached copies and ``failures``
    the ``(url, reason)`` of each download tried. ``cache`` is the download cache folder,
    ``files`` the four file names and ``env_var`` the variable that names a data folder.
    """
    looked, partial = [], None
    for desc, folder, user_given in places:
        have = [n for n in files if (folder / n).is_file() or (folder / n[:-3]).is_file()]
        if not folder.is_dir():
            state = ("does not exist yet" if not user_given else "not a folder"
                     if folder.exists() else "does not exist: check the spelling")
        else:
            state = f"has only {', '.join(have)}" if have else "none of them there"
            if user_given and have and partial is None:
                partial = folder  # the quickest fix: the rest of the files, into this folder
        looked.append(f"  - {desc}: {folder} ({state})")
    if not os.environ.get(env_var):
        looked.insert(len(looked) - 1, f"  - ${env_var}: not set")
    tried = "\n".join(f"  - {url}: {why}" for url, why in failures) or "  (no mirrors listed)"
    offline = all(why.startswith(UNREACHABLE) for _, why in failures)
    certificates = any(why.startswith(CERTIFICATE) for _, why in failures)
    lines = [
        f"Could not find or download the MNIST file {name}.",
        "",
        f"Looked for {', '.join(missing)} in:",
        *looked,
        *(f"  ({note})" for note in notes),
        "Then tried to download it:",
        tried,
        *(["It looks like this computer is offline."] if failures and offline else []),
        *(_certificate_advice() if certificates else []),
        "",
        "To fix this, do ONE of the following:",
    ]
    fixes = [
        [("Fix the certificates as just said and run this again, or once, from a terminal"
          if certificates else
          "Connect to the internet and run this again, or once, from a terminal"),
         "(in the course's environment):",
         "    python -m bpcourse.datasets"],
        ["Get the four files from a teacher or classmate (any copy works: each one is",
         "checked against its SHA-256) and copy them into this folder:",
         f"    {cache}",
         "The files are:",
         *(f"    {file}" for file in files)],
        [f"Or keep the four files in any folder and point ${env_var} at it: in a",
         f"notebook, run  %env {env_var}=/path/to/folder  before loading (any system);",
         f"in a shell, before starting Jupyter: export {env_var}=/path/to/folder",
         f"(Windows PowerShell: $env:{env_var} = \"C:\\path\\to\\folder\";",
         f"cmd: set {env_var}=C:\\path\\to\\folder);",
         "or pass it directly: load_mnist(data_dir='/path/to/folder')."],
    ]
    if partial is not None:  # the folder meant for the data holds some of the files
        fixes.insert(0, [f"Copy {', '.join(missing)} into {partial},",
                         "which holds the other files."])
    for number, (first, *rest) in enumerate(fixes, 1):
        lines += [f"  {number}. {first}", *(f"     {line}" for line in rest)]
    return "\n".join(lines)


def _certificate_advice():
    """What to do when the mirrors answered but Python could not verify their certificates."""
    folder = f"/Applications/Python {sys.version_info.major}.{sys.version_info.minor}"
    return [
        "The internet works, but Python could not verify the sites' HTTPS certificates,",
        "so it refused to download. With Python from python.org on macOS, that is because",
        "its certificates are installed separately: open the folder",
        f"    {folder}",
        'and double-click "Install Certificates.command". Elsewhere, update the system\'s',
        "CA certificates; on a school or company network that inspects HTTPS, the network's",
        "own certificate is missing: ask its administrators. Or use 2 or 3 below, which",
        "need no download.",
    ]
