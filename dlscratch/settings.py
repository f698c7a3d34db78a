"""Course-wide settings read from the environment.

DLSCRATCH_QUICK=1 makes the notebooks' training runs short (fewer epochs, less data) so that CI
can execute every notebook in minutes. Every check and assertion still runs; only the sizes change.
`make test` sets it; `make notebooks` and `make lab` do not.

DLSCRATCH_PROGRESS=text draws progress bars as plain text instead of Jupyter widgets. `make notebooks`
sets it, so the committed notebooks show each bar's final state on every viewer (a widget saved by a
headless run would show as an empty bar); `make test` sets it so that nbval receives a few output
messages per training cell instead of a widget update every tenth of a second.

DLSCRATCH_MALLOC=system leaves the C library's malloc as it is; the default, keep, lets glibc keep
freed memory for the next training step (dlscratch.allocator).
"""
import os

QUICK = os.environ.get("DLSCRATCH_QUICK", "0") == "1"
TEXT_PROGRESS = os.environ.get("DLSCRATCH_PROGRESS", "auto") == "text"
MALLOC_CHOICES = ("keep", "system")
MALLOC = os.environ.get("DLSCRATCH_MALLOC", "keep")
if MALLOC not in MALLOC_CHOICES:
    raise ValueError(f"DLSCRATCH_MALLOC must be one of {', '.join(MALLOC_CHOICES)}, got {MALLOC!r}")
KEEP_FREED_MEMORY = MALLOC == "keep"


def pick(*, quick, full):
    """The value for the current mode: `quick` under DLSCRATCH_QUICK=1, otherwise `full`."""
    return quick if QUICK else full
