"""The command ``python -m bpcourse.datasets``: fetch and verify MNIST, say where it is."""

import argparse
import contextlib
import sys

from bpcourse import datasets


def main(argv=None):
    """``python -m bpcourse.datasets``: fetch and verify MNIST, say where it is."""
    # Piped or redirected on Windows, stdout encodes in the ANSI code page: a path with a
    # letter outside it is printed escaped rather than crash the command after its work.
    with contextlib.suppress(AttributeError):  # a stream without it, e.g. in a notebook
        sys.stdout.reconfigure(errors="backslashreplace")
    parser = argparse.ArgumentParser(
        prog="python -m bpcourse.datasets",
        description="Find or download the four MNIST files, verify their SHA-256, build "
        "the array cache that makes load_mnist() fast, and print where everything is. "
        "Run it once while online, e.g. before a class.",
        epilog=f"Search order: --data-dir, ${datasets.ENV_VAR}, the cache "
        f"({datasets.mnist_cache_dir()}), then the mirrors {', '.join(datasets.MIRRORS)}.",
    )
    parser.add_argument("--data-dir", help="a folder with the four .gz files (never written)")
    args = parser.parse_args(argv)
    npz, checksums = datasets._array_cache()
    try:
        # always from the files: the command's job is to verify them, and the arrays just
        # verified are written to the cache rather than an old cache read back and checked
        found, arrays = datasets._build(args.data_dir, npz, checksums)
    except datasets.MnistError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print("MNIST is ready; every file matches its SHA-256:")
    for name in datasets.FILES:
        print(f"  {name:28} {found[name][1]}")
    print(f"Array cache: {npz if npz.is_file() else '(none: the cache folder is not writable)'}")
    x, x_test = arrays["x_train"], arrays["x_test"]
    print(f"{len(x)} training and {len(x_test)} test images of {x.shape[1]}x{x.shape[2]} pixels.")
    if any(where.endswith(datasets._IN_MEMORY_ONLY) for _, where in found.values()):
        print(
            "error: the downloads could not be saved (see the warning above), so the next "
            "load would download again.",
            file=sys.stderr,
        )
        return 1
    return 0
