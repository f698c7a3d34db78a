"""Where the course's data files live, and the one error every loader raises about them."""
import os
from pathlib import Path

MAKE_DATA_HINT = "Run `make data` (or `python datasets/fetch.py {name}`) to download it"


class DatasetError(Exception):
    """A dataset file is missing, corrupt, has the wrong checksum or the wrong format."""


def data_root(root=None):
    """The datasets directory: `root` if given, else $DLSCRATCH_DATA, else <repo>/datasets."""
    if root is not None:
        return Path(root).expanduser()
    if os.environ.get("DLSCRATCH_DATA"):
        return Path(os.environ["DLSCRATCH_DATA"]).expanduser()
    return Path(__file__).resolve().parents[2] / "datasets"
