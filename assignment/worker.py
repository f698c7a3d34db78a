"""Compute one exercise's probes and write each case's outputs as arrays: the grader's worker.

    python -S -B worker.py EXERCISE[:K,K,...] SEED RESULTS_FD REPOSITORY [SITE_PACKAGES]

Runs inside the sandbox against a submission (and, unsandboxed, against the solution for the
reference). It judges nothing. For case k it appends one record to the file descriptor RESULTS_FD:
a line "case k npz|error LENGTH" and then LENGTH bytes, the case's .npz file (plain arrays, no
pickle) or the exception as text, for the grade table. The grader reads both as data.
EXERCISE:K,K runs only those cases.
"""
import io
import os
import sys
import traceback

RECORD = "case {index} {kind} {length}\n"


def main(exercise, seed, results_fd, repository, *site_packages):
    # the probes (this script's folder) first, the submission last: its files can shadow
    # neither the standard library nor numpy
    sys.path += [*site_packages, repository]
    import numpy as np

    import probes
    probes.REPOSITORY = probes.Path(repository)
    results = os.fdopen(int(results_fd), "wb", buffering=0)
    exercise, _, selection = exercise.partition(":")
    chosen = {int(k) for k in selection.split(",")} if selection else None
    for index, case in enumerate(probes.CASES[exercise]):
        if chosen is not None and index not in chosen:
            continue
        try:
            outputs = case.run(np.random.default_rng([int(seed), index]))
            buffer = io.BytesIO()
            np.savez(buffer, **{key: np.asarray(value) for key, value in outputs.items()})
            kind, payload = "npz", buffer.getvalue()
        except BaseException as error:   # the case failed; the others still run
            last = traceback.extract_tb(error.__traceback__)[-1:]
            where = f" ({os.path.basename(last[0].filename)}:{last[0].lineno})" if last else ""
            kind, payload = "error", (f"{type(error).__name__}: {error}"[:500] + where).encode()
        results.write(RECORD.format(index=index, kind=kind, length=len(payload)).encode() + payload)


if __name__ == "__main__":
    main(*sys.argv[1:])
