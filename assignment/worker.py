"""Compute one exercise's probes and write each case's outputs as arrays: the grader's worker.

    python -S -B worker.py EXERCISE SEED OUT_DIR REPOSITORY [SITE_PACKAGES]

Runs inside the sandbox against a submission (and, unsandboxed, against the solution for the
reference). It judges nothing: for case k it writes OUT_DIR/k.npz (plain arrays, no pickle) or
OUT_DIR/k.error (the exception, as text, for the grade table); the grader reads both as data.
"""
import os
import sys
import traceback


def main(exercise, seed, out_dir, repository, *site_packages):
    # the probes (this script's folder) first, the submission last: its files can shadow
    # neither the standard library nor numpy
    sys.path += [*site_packages, repository]
    import numpy as np

    import probes
    probes.REPOSITORY = probes.Path(repository)
    for index, case in enumerate(probes.CASES[exercise]):
        path = os.path.join(out_dir, str(index))
        try:
            outputs = case.run(np.random.default_rng([int(seed), index]))
            arrays = {key: np.asarray(value) for key, value in outputs.items()}
            with open(path + ".npz", "wb") as file:
                np.savez(file, **arrays)
        except BaseException as error:   # the case failed; the others still run
            last = traceback.extract_tb(error.__traceback__)[-1:]
            where = f" ({os.path.basename(last[0].filename)}:{last[0].lineno})" if last else ""
            with open(path + ".error", "w") as file:
                file.write(f"{type(error).__name__}: {error}"[:500] + where)


if __name__ == "__main__":
    main(*sys.argv[1:])
