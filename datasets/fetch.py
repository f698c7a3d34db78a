"""Fetch the full public datasets into datasets/ (this is what `make data` runs).

    python datasets/fetch.py                 # CIFAR-10, MNIST and text8
    python datasets/fetch.py cifar10         # one of them
    python datasets/fetch.py mnist --root DIR

The downloads go through pooch (https://www.fatiando.org/pooch), the fetcher of SciPy and
scikit-image: each file streams into a temporary file beside its destination and gets its final
name only once its md5 matches the one pinned here, so an interrupted or corrupt download leaves
nothing behind and running the command again starts it afresh. text8.zip's publisher gives no
checksum, so it is checked by its published size instead. Files already present and correct are
not fetched again. The archives are extracted only after their checksum matched.
"""
import argparse
import os
import shutil
import sys
from pathlib import Path

import pooch
import requests

from dlscratch.data.files import data_root

CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR10_MD5 = "c58f30108f718f92721af3b95e74349a"
CIFAR10_ARCHIVE = "cifar-10-python.tar.gz"
CIFAR10_DIRNAME = "cifar-10-batches-py"
CIFAR10_FILES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch", "batches.meta")

MNIST_BASE_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"
MNIST_DIRNAME = "mnist"
MNIST_MD5 = {
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}

TEXT8_URL = "http://mattmahoney.net/dc/text8.zip"
TEXT8_SIZE = 31_344_016            # bytes; the only fingerprint the publisher gives
TEXT8_ARCHIVE, TEXT8_FILENAME = "text8.zip", "text8"
# Google's analogy questions as they ship with gensim (the word2vec release's questions-words.txt)
ANALOGY_URL = ("https://raw.githubusercontent.com/piskvorky/gensim/develop/gensim/test/test_data/"
               "questions-words.txt")
ANALOGY_MD5 = "8b7461cbf7ecc0aec9b32eb626821105"
ANALOGY_FILENAME = "questions-words.txt"


class FetchError(Exception):
    """A download failed, its checksum did not match, or an archive lacked the expected files."""


def _say(message, quiet):
    """Print a status line unless quiet."""
    if not quiet:
        print(message, flush=True)


def download(url, dest, md5, quiet=False, size=None):
    """Fetch url to dest unless it is there with the md5 (or, if md5 is None, the size in bytes)
    -> "present" or "fetched".

    Raises FetchError, keeping no partial or corrupt file, when the download or the check fails.
    """
    dest = Path(dest)
    if dest.exists():
        if _mismatch(dest, md5, size) is None:
            _say(f"  {dest.name}: already present, checksum ok", quiet)
            return "present"
        _say(f"  {dest.name}: present but its checksum is wrong, fetching it again", quiet)
        dest.unlink()
    _say(f"  {dest.name}: fetching {url}", quiet)
    _retrieve(url, dest, md5, quiet)
    mismatch = _mismatch(dest, md5, size)       # pooch checked the md5; this checks a size
    if mismatch:
        dest.unlink()
        raise FetchError(f"{dest.name}: checksum mismatch ({mismatch}); the corrupt download "
                         "was deleted, run the same command again to retry")
    _say(f"  {dest.name}: fetched, checksum ok", quiet)
    return "fetched"


def _retrieve(url, dest, md5, quiet):
    """pooch.retrieve into dest's folder under dest's name, its errors as one FetchError."""
    pooch.get_logger().setLevel("WARNING")
    try:
        pooch.retrieve(url, known_hash=None if md5 is None else f"md5:{md5}", fname=dest.name,
                       path=dest.parent, progressbar=not quiet)
    except ValueError as e:                      # pooch's wording for a hash that does not match
        raise FetchError(f"{dest.name}: checksum mismatch ({e}); the corrupt download was "
                         "deleted, run the same command again to retry") from e
    except (requests.RequestException, OSError) as e:
        raise FetchError(f"downloading {url} failed ({e}); run the same command again to "
                         "retry") from e


def _mismatch(path, md5, size):
    """None if the file has the md5 (or, with md5 None, the size); else what differs."""
    if md5 is not None:
        actual = pooch.file_hash(str(path), alg="md5")
        return None if actual == md5 else f"md5 {actual}, expected {md5}"
    actual = path.stat().st_size
    return None if actual == size else f"{actual} bytes, expected {size}"


def _extract_into_place(archive, unpack, members, target):
    """Unpack `members` (archive paths under target's name) of a checksummed archive beside it
    with pooch's `unpack` (pooch.Untar or pooch.Unzip), then move target into place whole, so that
    a half extraction never shows up there."""
    scratch = archive.parent / f".extract-{target.name}"
    shutil.rmtree(scratch, ignore_errors=True)
    try:
        unpack(members=list(members), extract_dir=str(scratch))(str(archive), "download", None)
        missing = [member for member in members if not (scratch / member).is_file()]
        if missing:
            raise FetchError(f"{archive} does not contain {', '.join(missing)}")
        if target.is_dir():
            shutil.rmtree(target)
        os.replace(scratch / target.name, target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def fetch_cifar10(root, url=None, md5=None, quiet=False):
    """Download the CIFAR-10 python archive into root and extract cifar-10-batches-py/ there."""
    url, md5 = url or CIFAR10_URL, md5 or CIFAR10_MD5
    root = Path(root)
    target = root / CIFAR10_DIRNAME
    _say(f"CIFAR-10 -> {target}", quiet)
    if all((target / name).is_file() for name in CIFAR10_FILES):
        _say("  already extracted", quiet)
        return
    archive = root / CIFAR10_ARCHIVE
    download(url, archive, md5, quiet)
    _say(f"  extracting {archive.name}", quiet)
    members = [f"{CIFAR10_DIRNAME}/{name}" for name in CIFAR10_FILES]
    _extract_into_place(archive, pooch.Untar, members, target)
    _say("  done", quiet)


def fetch_mnist(root, base_url=None, md5s=None, quiet=False):
    """Download the four MNIST IDX .gz files into root/mnist/."""
    base_url, md5s = base_url or MNIST_BASE_URL, md5s or MNIST_MD5
    target = Path(root) / MNIST_DIRNAME
    _say(f"MNIST -> {target}", quiet)
    for name, md5 in md5s.items():
        download(base_url + name, target / name, md5, quiet)


def fetch_text8(root, url=None, size=None, questions_url=None, questions_md5=None, quiet=False):
    """Download text8.zip into root and extract text8 there; fetch questions-words.txt beside it."""
    url, size = url or TEXT8_URL, size or TEXT8_SIZE
    root = Path(root)
    _say(f"text8 and the analogy questions -> {root}", quiet)
    if not (root / TEXT8_FILENAME).is_file():
        archive = root / TEXT8_ARCHIVE
        download(url, archive, None, quiet, size=size)
        _say(f"  extracting {archive.name}", quiet)
        _extract_into_place(archive, pooch.Unzip, [TEXT8_FILENAME], root / TEXT8_FILENAME)
    download(questions_url or ANALOGY_URL, root / ANALOGY_FILENAME, questions_md5 or ANALOGY_MD5,
             quiet)


FETCHERS = {"cifar10": fetch_cifar10, "mnist": fetch_mnist, "text8": fetch_text8}


def main(argv=None):
    """Command line: fetch the named datasets (all by default) into --root; -> exit status."""
    parser = argparse.ArgumentParser(description="Fetch CIFAR-10 (≈163 MB), MNIST (≈11 MB) and "
                                                 "text8 (≈31 MB) into datasets/.")
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help="cifar10, mnist and/or text8 (default: all three)")
    parser.add_argument("--root", type=Path, default=None,
                        help="where to put the files (default: $DLSCRATCH_DATA or datasets/)")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in FETCHERS]
    if unknown:
        parser.error(f"unknown dataset {', '.join(unknown)}; choose from {', '.join(FETCHERS)}")
    root = data_root(args.root)
    root.mkdir(parents=True, exist_ok=True)
    for name in args.names or sorted(FETCHERS):
        try:
            FETCHERS[name](root, quiet=args.quiet)
        except FetchError as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
