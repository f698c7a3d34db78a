"""dlscratch.allocator: after `import dlscratch`, glibc keeps freed memory for reuse (unless told not to)."""
import json
import os
import subprocess
import sys

import pytest

from dlscratch import allocator

glibc_only = pytest.mark.skipif(allocator.glibc_version() is None, reason="needs glibc's malloc")

# Five rounds of a training step's pattern: four 8 MB blocks made, written and freed. The kernel
# counts a minor page fault for every fresh page touched; the script prints the faults of the
# last three rounds, after the first two have grown the heap.
ROUNDS = """
import json, resource, sys
import dlscratch
from dlscratch import allocator

def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt

for round in range(5):
    if round == 2:
        start = faults()
    blocks = [bytearray(8 << 20) for _ in range(4)]      # zero-filled, so every page is touched
    del blocks
print(json.dumps({"kept": allocator.KEPT, "faults": faults() - start}))
"""


def run_rounds(**env):
    """Run ROUNDS in a fresh interpreter with these environment variables; its printed dict."""
    environ = {name: value for name, value in os.environ.items()
               if name not in ("DLSCRATCH_MALLOC", *allocator.USER_TUNING)}
    done = subprocess.run([sys.executable, "-c", ROUNDS], env={**environ, **env}, check=True,
                          capture_output=True, text=True)
    return json.loads(done.stdout)


@glibc_only
def test_import_keeps_freed_blocks_so_later_steps_touch_no_fresh_pages():
    kept, system = run_rounds(), run_rounds(DLSCRATCH_MALLOC="system")
    assert kept["kept"] is True and system["kept"] is False
    # the C library's default: fresh pages for every block of every round (at least one fault
    # per block, even where transparent huge pages make one fault cover 2 MB)
    assert system["faults"] >= 3 * 4
    assert kept["faults"] * 10 < system["faults"]   # kept: the first rounds' pages are reused


@glibc_only
def test_a_users_own_malloc_tuning_is_left_alone():
    assert run_rounds(MALLOC_TRIM_THRESHOLD_="131072")["kept"] is False


def test_a_bad_dlscratch_malloc_value_says_what_it_expects():
    done = subprocess.run([sys.executable, "-c", "import dlscratch"], capture_output=True,
                          text=True, env={**os.environ, "DLSCRATCH_MALLOC": "big"})
    assert done.returncode != 0
    assert "DLSCRATCH_MALLOC must be one of keep, system, got 'big'" in done.stderr


def test_glibc_version_is_a_version_or_none():
    version = allocator.glibc_version()
    assert version is None or version.replace(".", "").isdigit()
