"""Checkpoint files that hold numbers and JSON only, so that loading one can never run code.

A checkpoint is an .npz archive (numpy's zip of .npy arrays, read with allow_pickle=False) with
one extra member, `__header__`: UTF-8 JSON with everything that is not an array (the model's
class, the names, shapes and dtypes of the arrays, scalars and histories) and the SHA-256 of the
arrays, so a flipped byte is caught on loading. It is written to a temporary file next to the
target, flushed to disk and renamed over it: a crash leaves the old file or the new one, never
half of one, and at most one `.partial` file, which the next save of that name replaces.
"""
import hashlib
import json
import os
import zipfile

import numpy as np

FORMAT = "dlscratch-checkpoint/1"
HEADER = "__header__"


class CheckpointError(ValueError):
    """A file that is not a readable checkpoint, or one that does not fit the model."""


def digest(arrays):
    """SHA-256 over the arrays' names, dtypes, shapes and bytes, in name order."""
    sha = hashlib.sha256()
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        sha.update(f"{name}|{array.dtype.str}|{array.shape}|".encode())
        sha.update(array.tobytes())
    return sha.hexdigest()


def write(path, header, arrays):
    """Write header (JSON-able dict) and arrays ({name: ndarray}) to path, atomically."""
    arrays = {name: np.asarray(a) for name, a in arrays.items()}
    if any(a.dtype == object for a in arrays.values()):
        raise TypeError("a checkpoint holds numeric arrays only, not Python objects")
    header = dict(header, format=FORMAT, sha256=digest(arrays),
                  arrays={name: [a.dtype.str, list(a.shape)] for name, a in arrays.items()})
    encoded = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    path = os.path.abspath(path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    partial = path + ".partial"
    try:
        with open(partial, "wb") as f:
            np.savez(f, **arrays, **{HEADER: encoded})
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, path)
    except BaseException:
        if os.path.exists(partial):
            os.unlink(partial)
        raise
    directory = os.open(os.path.dirname(path), os.O_RDONLY)
    try:
        os.fsync(directory)                    # the rename itself reaches the disk
    finally:
        os.close(directory)


def read(path):
    """(header, arrays) from a checkpoint file; CheckpointError if it is not a sound one."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
        header = json.loads(arrays.pop(HEADER).tobytes().decode())
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, UnicodeDecodeError, EOFError) as error:
        raise CheckpointError(f"{path} is not a readable Solver checkpoint "
                              f"({type(error).__name__}: {error})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a Solver checkpoint (no '{FORMAT}' header)")
    if header.get("sha256") != digest(arrays):
        raise CheckpointError(f"{path} is damaged: its arrays do not match the checksum it was "
                              "saved with")
    return header, arrays
