"""Grade a student's submission exercise by exercise: untrusted code computes, the grader judges.

    python -m assignment.grade path/to/student/repo [--json grades.json] [--timeout 600]

For every exercise a fresh sandboxed worker (assignment/sandbox.py) runs the exercise's probes
(assignment/probes/) against the submission's package and leaves each case's results as arrays.
The same probes, with the same secret seed, run against the solution. The grader's process, which
never imports the submission, compares the two case by case; an exercise earns its points in
proportion to the (weighted) cases it passes, out of the cases the probes define, never by what
ran.
Nothing the submission prints or writes besides those arrays reaches a score.
"""
import argparse
import concurrent.futures
import io
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np

from . import sandbox
from .probes import CASES
from .release import ROOT, load_registry

WORKER = Path(__file__).with_name("worker.py")
PROBES = Path(__file__).with_name("probes")
REFERENCE_SECONDS = 0.2    # CPU time of calibration_workload() on an idle 2-core Xeon (2026)
EXERCISE_LIMITS = sandbox.Limits(wall_seconds=60, cpu_seconds=30)   # on the reference machine
RESULT_BYTES = 32 << 20    # the most the grader reads of one case's results
STARTUP_CPU_SECONDS = 1.0  # a worker's start (Python, numpy, the package), added to a case's budget


class GradingError(RuntimeError):
    """The submission cannot be graded at all (not a dlscratch repository, no sandbox, ...)."""


def calibration_workload():
    """A fixed mix of Python and numpy work, like a probe's: its CPU time measures the machine."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((200, 200))
    total = 0.0
    for _ in range(200):
        a = np.tanh(a @ a.T / 200)
        total += sum(float(v) for v in a[0, :50])
    return total


def machine_slowness(repeats=3):
    """How many times slower than the reference machine this one computes (at least 1)."""
    best = np.inf
    for _ in range(repeats):
        start = time.process_time()
        calibration_workload()
        best = min(best, time.process_time() - start)
    return max(1.0, best / REFERENCE_SECONDS)


_slowness = []
_slowness_lock = threading.Lock()


def measured_slowness():
    """machine_slowness(), measured once per process: never twice at once (BLAS in two threads)."""
    with _slowness_lock:
        if not _slowness:
            _slowness.append(machine_slowness())
        return _slowness[0]


def scaled_limits(slowness, limits=EXERCISE_LIMITS):
    """The per-exercise limits on this machine: time scaled by its slowness, sizes unchanged."""
    return replace(limits, wall_seconds=limits.wall_seconds * slowness,
                   cpu_seconds=int(limits.cpu_seconds * slowness) + 1)


def require_sandbox():
    """Refuse to grade for credit where the sandbox cannot run."""
    why = sandbox.available()
    if why:
        raise GradingError(f"no sandbox: {why}. Grading runs the submission's code, so the grader "
                           "refuses to grade for credit without one; pass --unsandboxed to grade "
                           "a submission you trust anyway")


def check_submission(submission):
    """A folder with a dlscratch/ package, looked at, never imported."""
    if not (submission / "dlscratch" / "__init__.py").is_file():
        raise GradingError(f"{submission} has no dlscratch/ package: is it a student repository?")


SKIPPED_FOLDERS = {".git", ".venv", "venv", "build", "datasets", "__pycache__", ".ipynb_checkpoints"}
SUBMISSION_LIMITS = {"bytes": 200 << 20, "files": 20_000, "depth": 32}


def stage_submission(submission, dest):
    """A readable snapshot of the submission for the sandbox: files, folders and symlinks.

    The snapshot cannot change while it is graded, and the sandbox's uid can read it whatever
    the permissions of the original. Symlinks are copied as links, never followed: inside the
    sandbox they resolve against its own filesystem, which holds nothing of the instructors'.
    Anything else (devices, FIFOs, sockets) is left out; a tree larger than SUBMISSION_LIMITS is
    refused before it is copied.
    """
    try:
        plan = _plan_copy(submission, keep=lambda rel: not SKIPPED_FOLDERS & set(rel.parts))
    except OSError as error:
        raise GradingError(f"cannot read the submission: {error}") from None
    copy_plan(submission, dest, plan)
    return dest


def _plan_copy(source, keep, limits=SUBMISSION_LIMITS):
    """[(relative path, 'dir' | 'file' | 'link')] under source, breadth first, within the limits."""
    plan, queue, total = [], [Path(".")], 0
    while queue:
        folder = queue.pop(0)
        if len(folder.parts) > limits["depth"]:
            raise GradingError(f"the submission's folders are nested more than {limits['depth']} deep")
        with os.scandir(source / folder) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                rel = folder / entry.name
                if not keep(rel):
                    continue
                if entry.is_symlink():
                    plan.append((rel, "link"))
                elif entry.is_dir(follow_symlinks=False):
                    plan.append((rel, "dir"))
                    queue.append(rel)
                elif entry.is_file(follow_symlinks=False):
                    plan.append((rel, "file"))
                    total += entry.stat(follow_symlinks=False).st_size
                if len(plan) > limits["files"] or total > limits["bytes"]:
                    raise GradingError(f"the submission holds more than {limits['files']} files or "
                                       f"{limits['bytes'] >> 20} MiB (build outputs or data?)")
    return plan


def copy_plan(source, dest, plan):
    """Copy what _plan_copy listed, readable by anyone: folders 0755, files 0644, links as links."""
    dest.mkdir(mode=0o755)
    for rel, kind in plan:
        if kind == "dir":
            (dest / rel).mkdir(mode=0o755)
        elif kind == "link":
            (dest / rel).symlink_to(os.readlink(source / rel))
        else:
            shutil.copyfile(source / rel, dest / rel, follow_symlinks=False)
            os.chmod(dest / rel, 0o644)


# ------------------------------------------------------------------------------------------------
# Running the probes: the reference here, the submission in the sandbox
# ------------------------------------------------------------------------------------------------

_WORKER_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "MPLBACKEND": "Agg", "DLSCRATCH_QUICK": "1", "PYTHONHASHSEED": "0"}


def _site_packages():
    """The host path of the packages' folder when it must be named (see sandbox.python_mounts)."""
    return [source for source, target in sandbox.python_mounts().items()
            if target == "/opt/site-packages"]


def reference_outputs(exercise_id, seed):
    """The solution's results for every case of an exercise: [{name: array}, ...].

    Trusted code, so it runs without a sandbox, in a subprocess like the submission's.
    """
    with tempfile.TemporaryFile() as results, tempfile.TemporaryDirectory() as scratch:
        command = [sandbox.python_executable(), "-S", "-B", str(WORKER), exercise_id, str(seed),
                   str(results.fileno()), str(ROOT), *_site_packages()]
        done = subprocess.run(command, env={**_WORKER_ENV, "PATH": os.environ.get("PATH", "")},
                              capture_output=True, text=True, timeout=600, cwd=scratch,
                              pass_fds=(results.fileno(),))
        found = read_results(results, len(CASES[exercise_id]))
    failed = [(case.name, r) for case, r in zip(CASES[exercise_id], found) if not isinstance(r, dict)]
    if failed:
        raise GradingError(f"the solution fails its own probe {exercise_id}/{failed[0][0]}: "
                           f"{failed[0][1]} {done.stderr[-1500:]}")
    return found


def compute_references(exercises, seed, references, jobs=2):
    """Fill references[(exercise id, seed)] for every exercise that is not there yet."""
    missing = [e.id for e in exercises if (e.id, seed) not in references]
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        for exercise_id, results in zip(missing, pool.map(lambda i: reference_outputs(i, seed), missing)):
            references[(exercise_id, seed)] = results


def _worker_mounts(submission, grader_copy):
    """What a worker sees: Python, its packages, the submission and the worker with its probes."""
    return {**sandbox.python_mounts(), str(submission): "/submission", str(grader_copy): "/grader"}


def run_submission(exercise_id, seed, submission, grader_copy, limits, sandboxed, slowness=1.0):
    """The submission's results for every case of an exercise: {name: array} or, for a case
    without results, the reason as text.

    One worker runs the cases; a case with a CPU budget of its own runs alone in a worker held to
    that budget (scaled to this machine), so that being too slow costs that case only.
    """
    cases = CASES[exercise_id]
    timed = [k for k, case in enumerate(cases) if case.cpu_seconds]
    found = [None] * len(cases)
    untimed = [k for k in range(len(cases)) if k not in timed]
    for selection in ([untimed] if untimed else []) + [[k] for k in timed]:
        budget = cases[selection[0]].cpu_seconds if selection[0] in timed else None
        run_limits = limits if budget is None else replace(
            limits, cpu_seconds=int(STARTUP_CPU_SECONDS + budget * slowness) + 1)
        got = _run_worker(f"{exercise_id}:{','.join(map(str, selection))}", seed, submission,
                          grader_copy, run_limits, sandboxed, len(cases))
        for k in selection:
            found[k] = got[k] if not (budget and isinstance(got[k], str) and "CPU time" in got[k]) \
                else f"{got[k]}: this case's budget is {budget:g} s of CPU time on the reference " \
                     "machine (a loop over the output's positions takes far longer)"
    return found


def _run_worker(selection, seed, submission, grader_copy, limits, sandboxed, count):
    """Run one worker on the selected cases ("exercise:k,k"): all `count` results of the
    exercise, those the worker left none for (or was not asked) as the reason it ended."""
    with tempfile.TemporaryFile() as results:
        fd = str(results.fileno())
        if sandboxed:
            site = ["/opt/site-packages"] if _site_packages() else []
            argv = [sandbox.python_executable(), "-S", "-B", "/grader/worker.py", selection,
                    str(seed), fd, "/submission", *site]
            ended = sandbox.run(argv, readonly=_worker_mounts(submission, grader_copy),
                                results=results, limits=limits, env=_WORKER_ENV)
        else:
            argv = [sandbox.python_executable(), "-S", "-B", str(grader_copy / "worker.py"),
                    selection, str(seed), fd, str(submission), *_site_packages()]
            with tempfile.TemporaryDirectory() as scratch:
                ended = sandbox.run_unsandboxed(argv, cwd=scratch, results=results, limits=limits,
                                                env=_WORKER_ENV)
        found = read_results(results, count)
    why = ended.describe(limits)
    return [f"did not finish: {why}" if r is None else r for r in found]


RECORD = re.compile(rb"case (\d{1,4}) (npz|error) (\d{1,10})\n")


def read_results(results, count):
    """Each case's arrays, its error text, or None where the worker left no record for it.

    The records are the worker's (see worker.py), but everything in the file may be forged by
    the submission: it is parsed as data, never trusted for more than what a case's own code
    could have computed. A case's first record counts.
    """
    results.seek(0)
    data = results.read(RESULT_BYTES * 4)
    found, position = [None] * count, 0
    while True:
        match = RECORD.match(data, position)
        if not match:
            break
        index, kind, length = int(match[1]), match[2], int(match[3])
        payload = data[match.end():match.end() + length]
        position = match.end() + length
        if len(payload) < length or index >= count or found[index] is not None:
            continue
        if kind == b"npz":
            try:
                found[index] = load_arrays(payload, keys=None)
            except ValueError as error:
                found[index] = f"unreadable results: {error}"
        else:
            text = payload[:2000].decode("utf-8", "replace")
            # "raised": what follows is the submission's own text, whatever it claims to be
            found[index] = "raised " + "".join(c if c.isprintable() else "?" for c in text)
    return found


def load_arrays(data, keys=None):
    """Plain arrays (those named in keys, or all) from the bytes of an .npz file, never unpickled.

    Refuses a zip bomb, a zip of many thousand members, and anything that is not plain arrays.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except Exception as error:   # BadZipFile, and NotImplementedError for odd zip versions
        raise ValueError(f"not an .npz file ({type(error).__name__}: {error})") from None
    if (len(members) > 10_000 or sum(m.file_size for m in members) > RESULT_BYTES
            or any(not m.filename.endswith(".npy") for m in members)):
        raise ValueError("the results are larger than the grader reads, or not arrays")
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            return {key: np.array(npz[key]) for key in npz.files if keys is None or key in keys}
    except Exception as error:   # object arrays (pickles) and malformed headers end up here
        raise ValueError(f"{type(error).__name__}: {error}") from None


# ------------------------------------------------------------------------------------------------
# Judging, in this process
# ------------------------------------------------------------------------------------------------

def judge_exercise(exercise, results, references):
    """One exercise's row: each case judged against the reference; points by cases passed."""
    reasons = {}
    for case, result, reference in zip(CASES[exercise.id], results, references):
        if isinstance(result, str):
            reasons[case.name] = result
            continue
        try:
            why = case.judge(result, reference)
        except Exception as error:   # a result shaped so oddly that the judge could not compare
            why = f"results the judge cannot compare ({type(error).__name__}: {error})"
        if why:
            reasons[case.name] = why
    total = len(CASES[exercise.id])
    passed = total - len(reasons)
    weights = {case.name: case.weight for case in CASES[exercise.id]}
    share = 1 - sum(weights[name] for name in reasons) / sum(weights.values())
    return {"exercise": exercise.id, "earned": round(exercise.points * share, 1),
            "possible": exercise.points, "passed": passed, "total": total,
            "failing": list(reasons), "reasons": reasons, "note": ""}


def grade(submission, timeout=600, only=None, seed=None, sandboxed=True, jobs=2,
          references=None, exercise_limits=EXERCISE_LIMITS):
    """Grade every exercise (or those named in `only`); returns one dict per exercise.

    references caches the solution's results by (exercise, seed) across submissions;
    exercise_limits are one worker's limits on the reference machine (scaled to this one).
    """
    submission = Path(submission).resolve()
    check_submission(submission)
    if sandboxed:
        require_sandbox()
    seed = secrets.randbelow(2 ** 31) if seed is None else seed
    references = {} if references is None else references
    unknown = set(only or ()) - set(CASES)
    if unknown:
        raise GradingError(f"no exercise called {sorted(unknown)}; the exercises are {sorted(CASES)}")
    slowness = measured_slowness()
    limits = scaled_limits(slowness, exercise_limits)
    deadline = time.monotonic() + timeout * slowness
    exercises = [e for e in load_registry(ROOT) if not only or e.id in only]

    compute_references(exercises, seed, references, jobs)

    def one(exercise):
        key = (exercise.id, seed)
        left = deadline - time.monotonic()
        if left <= 0:
            results = ["not run: the grading run's time limit was reached"] * len(CASES[exercise.id])
        else:
            bounded = replace(limits, wall_seconds=min(limits.wall_seconds, left))
            results = run_submission(exercise.id, seed, submission, grader_copy, bounded,
                                     sandboxed, slowness)
        return judge_exercise(exercise, results, references[key])

    with tempfile.TemporaryDirectory(prefix="dlscratch-grader-") as staging:
        staging = Path(staging)
        os.chmod(staging, 0o755)
        grader_copy, submission = staging / "grader", stage_submission(submission, staging / "submission")
        keep = lambda rel: rel.parts[0] in ("worker.py", "probes") and "__pycache__" not in rel.parts  # noqa: E731
        copy_plan(WORKER.parent, grader_copy, _plan_copy(WORKER.parent, keep))
        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
            rows = list(pool.map(one, exercises))
    _note_blocking_exercises(exercises, rows)
    for row in rows:
        if not sandboxed:
            row["note"] = _join(row["note"], "graded without a sandbox")
    return rows


def _join(note, more):
    return f"{note}; {more}" if note else more


def _note_blocking_exercises(exercises, rows):
    """Add a note to each incomplete exercise whose probes also run other incomplete exercises."""
    complete = {row["exercise"] for row in rows if row["earned"] == row["possible"]}
    for exercise, row in zip(exercises, rows):
        blocking = [r for r in exercise.requires if r not in complete]
        if row["earned"] < row["possible"] and blocking:
            row["note"] = _join(row["note"], "also runs " + ", ".join(blocking) + ", not yet complete")


def _short_reason(reason):
    """The reason a case failed, in a few words for the table (the JSON keeps it whole).

    Only the grader's own reasons ("did not finish: ...") can say "time limit": a submission's
    error text starts with "raised", whatever it says after that.
    """
    if reason.startswith("did not finish: "):
        why = reason[len("did not finish: "):]
        return "time limit" if why.startswith("time limit") else why[:40]
    if reason.startswith("raised NotImplementedError:"):
        return "not implemented"
    return reason[:40] or "failed"


def format_table(rows):
    """The grade table as text: exercise, points earned / possible, failing cases and why."""
    lines = [f"{'exercise':<18}{'points':>14}   failing cases (why)"]
    for row in rows:
        shown = [f"{name} ({_short_reason(row['reasons'][name])})" for name in row["failing"][:3]]
        failing = ", ".join(shown) + (f" … {len(row['failing']) - 3} more" if len(row["failing"]) > 3 else "")
        note = f"  [{row['note']}]" if row["note"] else ""
        lines.append(f"{row['exercise']:<18}{row['earned']:>7g} / {row['possible']:<4}   "
                     f"{failing or '-'}{note}")
    earned, possible = sum(r["earned"] for r in rows), sum(r["possible"] for r in rows)
    lines.append(f"{'total':<18}{earned:>7g} / {possible:<4}")
    return "\n".join(lines)


def result_document(submission, rows, seed=None, possible=None):
    """What the JSON file holds for one submission (possible: when there are no rows)."""
    return {"submission": str(Path(submission).resolve()), "seed": seed,
            "earned": round(sum(r["earned"] for r in rows), 1),
            "possible": sum(r["possible"] for r in rows) if rows else possible, "exercises": rows}


def write_json(path, document):
    """Write JSON atomically: a reader sees the old file or the new one, never half of one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(document, indent=2))
    os.replace(partial, path)


def add_common_arguments(parser):
    parser.add_argument("--timeout", type=float, default=600,
                        help="seconds for grading one submission, scaled to this machine's speed "
                             f"(each exercise also has {EXERCISE_LIMITS.wall_seconds:g} s of wall "
                             f"clock and {EXERCISE_LIMITS.cpu_seconds} s of CPU time)")
    parser.add_argument("--exercise", nargs="*", help="grade only these exercises")
    parser.add_argument("--seed", type=int, help="the probes' seed (default: a fresh secret one)")
    parser.add_argument("--unsandboxed", action="store_true",
                        help="grade without bubblewrap (only for code you trust: it runs as you)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submission", help="path to the student's repository")
    parser.add_argument("--json", help="also write the result as JSON to this file")
    add_common_arguments(parser)
    args = parser.parse_args(argv)
    seed = secrets.randbelow(2 ** 31) if args.seed is None else args.seed
    if not args.unsandboxed:
        print(f"sandbox: {sandbox.describe()}")
    try:
        rows = grade(args.submission, timeout=args.timeout, only=args.exercise, seed=seed,
                     sandboxed=not args.unsandboxed)
    except (GradingError, sandbox.SandboxUnavailable) as error:
        print(f"cannot grade {args.submission}: {error}", file=sys.stderr)
        return 2
    print(format_table(rows))
    print(f"seed {seed} (grade again with --seed {seed} to repeat this run exactly)")
    if args.json:
        write_json(args.json, result_document(args.submission, rows, seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
