"""Keep freed memory for the next training step: glibc's malloc tuned for numpy's temporaries.

A training step makes and frees arrays of a few megabytes by the hundred (a Transformer block's
attention weights are 8 MB). By default glibc's malloc returns such blocks to the kernel when they
are freed (it serves blocks above its mmap threshold, at most 32 MiB, from fresh mappings, and trims
its heap once a little memory lies free at the top), so the next step gets them back as new pages,
and the kernel zeroes every page on its first touch. On the course's Transformer training step
that page zeroing was about a fifth of the time (benchmarks/README.md, "Keeping freed memory").

keep_freed_memory() asks glibc (mallopt) to serve blocks of up to 32 MiB from its heap and to keep
up to 256 MiB free at the top of the heap, so a step reuses the pages of the step before. Freed
memory is then kept by the process for reuse rather than handed back; the peak is unchanged.
`import dlscratch` calls it once. It changes nothing where it cannot or should not:
  - where the C library is not glibc (macOS, Windows, musl);
  - when DLSCRATCH_MALLOC=system (dlscratch.settings) asks for the C library's own behaviour;
  - when MALLOC_MMAP_THRESHOLD_ or MALLOC_TRIM_THRESHOLD_ is set: the user has tuned malloc.
"""
import ctypes
import os

from . import settings

# mallopt's parameter numbers (glibc's malloc.h)
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
MMAP_THRESHOLD = 32 << 20               # the largest glibc accepts on a 64-bit machine
TRIM_THRESHOLD = 256 << 20
USER_TUNING = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")


def glibc_version():
    """The running C library's version if it is glibc ('2.36'), else None."""
    try:
        name, version = os.confstr("CS_GNU_LIBC_VERSION").split()
    except (AttributeError, ValueError, OSError):   # no confstr, or a C library that is not glibc
        return None
    return version if name == "glibc" else None


def keep_freed_memory():
    """Tune glibc's malloc to keep freed blocks of up to 32 MiB for reuse; True if it did."""
    if not settings.KEEP_FREED_MEMORY or any(name in os.environ for name in USER_TUNING):
        return False
    if glibc_version() is None:
        return False
    mallopt = ctypes.CDLL(None).mallopt             # the C library this process already runs on
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1 and \
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1


KEPT = keep_freed_memory()
