"""Fetch the full public datasets into datasets/ (this is what `make data` runs).

    python datasets/fetch.py                 # CIFAR-10, MNIST and text8
    python datasets/fetch.py cifar10         # one of them
    python datasets/fetch.py mnist --root DIR

Downloads go to <file>.part and resume with an HTTP Range request when interrupted; a file is
renamed to its final name only after its checksum (or, for text8.zip, whose publisher gives no
checksum, its published size) matches. Files already present and correct are skipped. Standard
library only.
"""
import argparse
import hashlib
import os
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path, PurePosixPath

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

CHUNK_SIZE = 1 << 16
TIMEOUT_SECONDS = 60


class FetchError(Exception):
    """A download failed, its checksum did not match, or an archive was unsafe to extract."""


def default_root():
    """The datasets directory: $DLSCRATCH_DATA if set, else the folder holding this script."""
    if os.environ.get("DLSCRATCH_DATA"):
        return Path(os.environ["DLSCRATCH_DATA"]).expanduser()
    return Path(__file__).resolve().parent


def file_md5(path):
    """Hex md5 of a file's bytes, read in chunks."""
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _say(message, quiet):
    """Print a status line unless quiet."""
    if not quiet:
        print(message, flush=True)


class _Progress:
    """A one-line percentage display on stderr, redrawn at most once per whole percent."""

    def __init__(self, name, done, total, quiet):
        self.name, self.done, self.total, self.quiet = name, done, total, quiet
        self.last_shown = None

    def advance(self, nbytes):
        """Count nbytes more and redraw the line when the shown value changes."""
        self.done += nbytes
        if self.quiet:
            return
        if self.total:
            shown = f"{100 * self.done // self.total:3d}% of {self.total / 2**20:.1f} MB"
        else:
            shown = f"{self.done / 2**20:.1f} MB"
        if shown != self.last_shown:
            self.last_shown = shown
            sys.stderr.write(f"\r  {self.name}: {shown}")
            sys.stderr.flush()

    def finish(self):
        """End the progress line."""
        if not self.quiet and self.last_shown is not None:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _open_from(url, offset):
    """Open url asking for bytes from `offset` on -> (response, True if the server resumed)."""
    request = urllib.request.Request(url, headers={"User-Agent": "dlscratch-fetch"})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    response = urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS)
    # file:// responses have no status; anything but 206 means the body starts at byte 0
    resumed = offset > 0 and getattr(response, "status", None) == 206
    if resumed:
        content_range = response.headers.get("Content-Range", "")
        if content_range and not content_range.startswith(f"bytes {offset}-"):
            response.close()
            raise FetchError(f"{url}: asked for bytes from {offset} but the server sent "
                             f"{content_range!r}")
    return response, resumed


def _stream_to_part(url, part, quiet):
    """Download url into `part`, resuming from its current size when the server allows it."""
    offset = part.stat().st_size if part.exists() else 0
    try:
        response, resumed = _open_from(url, offset)
    except urllib.error.HTTPError as e:
        if e.code == 416 and offset:  # range not satisfiable: the .part is already complete
            return
        raise
    with response:
        if offset and not resumed:
            _say(f"  {part.name}: server does not resume, restarting from zero", quiet)
        length = response.headers.get("Content-Length")
        start = offset if resumed else 0
        total = start + int(length) if length and length.isdigit() else None
        progress = _Progress(part.name[:-len(".part")], start, total, quiet)
        with open(part, "ab" if resumed else "wb") as out:
            for chunk in iter(lambda: response.read(CHUNK_SIZE), b""):
                out.write(chunk)
                progress.advance(len(chunk))
        progress.finish()


def download(url, dest, md5, quiet=False, size=None):
    """Fetch url to dest via dest.part (resumable), check its md5 (or, if md5 is None, its size in
    bytes), rename -> "present"/"fetched".

    Raises FetchError, deleting the partial file, when the checksum does not match.
    """
    dest = Path(dest)
    part = dest.with_name(dest.name + ".part")
    if dest.exists():
        if _mismatch(dest, md5, size) is None:
            _say(f"  {dest.name}: already present, checksum ok", quiet)
            return "present"
        _say(f"  {dest.name}: present but its checksum is wrong, fetching it again", quiet)
        dest.unlink()
    dest.parent.mkdir(parents=True, exist_ok=True)
    if part.exists():
        _say(f"  {dest.name}: resuming after {part.stat().st_size / 2**20:.1f} MB", quiet)
    try:
        _stream_to_part(url, part, quiet)
    except (urllib.error.URLError, OSError) as e:
        raise FetchError(f"downloading {url} failed ({e}); run the same command again to "
                         f"resume from {part}") from e
    mismatch = _mismatch(part, md5, size)
    if mismatch:
        part.unlink()
        raise FetchError(f"{dest.name}: checksum mismatch ({mismatch}); the corrupt download "
                         "was deleted, run the same command again to retry")
    os.replace(part, dest)
    _say(f"  {dest.name}: fetched, checksum ok", quiet)
    return "fetched"


def _mismatch(path, md5, size):
    """None if the file has the md5 (or, with md5 None, the size); else what differs."""
    if md5 is not None:
        actual = file_md5(path)
        return None if actual == md5 else f"md5 {actual}, expected {md5}"
    actual = path.stat().st_size
    return None if actual == size else f"{actual} bytes, expected {size}"


def _unsafe_member_reason(member):
    """Why a tar member must not be extracted, or None when it is a plain file or folder inside."""
    path = PurePosixPath(member.name)
    has_drive = bool(path.parts) and ":" in path.parts[0]  # e.g. "C:" on Windows
    if path.is_absolute() or member.name.startswith("\\") or has_drive:
        return "absolute path"
    if ".." in path.parts:
        return "'..' in its path"
    if not (member.isfile() or member.isdir()):
        return "not a regular file or folder"
    return None


def safe_extract(archive, dest_dir, only_under=None):
    """Extract a tar archive into dest_dir, refusing absolute paths, '..', links and devices.

    only_under (optional) keeps only the members inside that top-level folder.
    """
    dest_dir = Path(dest_dir)
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
        for member in members:
            reason = _unsafe_member_reason(member)
            if reason:
                raise FetchError(f"{archive}: refusing to extract {member.name!r} ({reason})")
        if only_under is not None:
            members = [m for m in members if PurePosixPath(m.name).parts[:1] == (only_under,)]
        extra = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        tar.extractall(dest_dir, members=members, **extra)


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
    # extract next to the target, then move it into place so a half extraction never shows up
    scratch = Path(tempfile.mkdtemp(prefix=".extract-", dir=root))
    try:
        safe_extract(archive, scratch, only_under=CIFAR10_DIRNAME)
        extracted = scratch / CIFAR10_DIRNAME
        missing = [n for n in CIFAR10_FILES if not (extracted / n).is_file()]
        if missing:
            raise FetchError(f"{archive} does not contain {CIFAR10_DIRNAME}/{', '.join(missing)}")
        if target.exists():
            shutil.rmtree(target)
        os.replace(extracted, target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
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
        with zipfile.ZipFile(archive) as z:
            if TEXT8_FILENAME not in z.namelist():
                raise FetchError(f"{archive} does not contain {TEXT8_FILENAME}")
            scratch = Path(tempfile.mkdtemp(prefix=".extract-", dir=root))
            try:
                z.extract(TEXT8_FILENAME, scratch)
                os.replace(scratch / TEXT8_FILENAME, root / TEXT8_FILENAME)
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
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
    root = args.root if args.root is not None else default_root()
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
