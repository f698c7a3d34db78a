"""Grade a whole class: every submission folder in a directory, a bounded number at a time.

    python -m assignment.grade_class SUBMISSIONS_DIR [--out build/grades] [--jobs 2]

Writes OUT/<student>.json for each submission (the folder's name is the student's), OUT/class.csv
(one row per student, one column per exercise) and OUT/distribution.png (each exercise's scores
across the class). All submissions are judged against the same reference results, computed once,
with one secret seed. A submission that cannot be graded gets a row of zeros with the reason; it
never stops the others.
"""
import argparse
import concurrent.futures
import csv
import secrets
import sys
from pathlib import Path

from .grade import (GradingError, add_common_arguments, compute_references, grade,
                    require_sandbox, result_document, write_json)
from . import sandbox
from .release import ROOT, load_registry


def grade_class(folder, out, jobs=2, seed=None, **options):
    """Grade every submission under folder; returns {student: result document}."""
    folder, out = Path(folder), Path(out)
    entries = sorted(folder.iterdir())
    students = [p for p in entries if p.is_dir() and not p.name.startswith(".")]
    for other in entries:
        if other not in students:
            print(f"skipped {shown_name(other.name)}: not a submission folder", flush=True)
    if not students:
        raise GradingError(f"{folder} holds no submission folders")
    if options.get("sandboxed", True):
        require_sandbox()
        print(f"sandbox: {sandbox.describe()}", flush=True)
    seed = secrets.randbelow(2 ** 31) if seed is None else seed
    exercises = [(e.id, e.points) for e in load_registry(ROOT) if not options.get("only")
                 or e.id in options["only"]]
    references = {}   # the solution's results, computed once for the class
    compute_references([e for e in load_registry(ROOT) if e.id in dict(exercises)], seed,
                       references, jobs)

    def one(student):
        try:
            rows = grade(student, seed=seed, references=references, jobs=1, **options)
            document = result_document(student, rows, seed)
        except Exception as error:   # one broken submission must not stop the class
            document = {**result_document(student, [], seed, sum(p for _, p in exercises)),
                        "error": f"{type(error).__name__}: {error}"}
        write_json(out / f"{student.name}.json", document)   # a folder name holds no '/'
        print(f"{shown_name(student.name)}: {document['earned']:g} / {document['possible']:g}"
              + (f"  ({document['error'][:120]})" if "error" in document else ""), flush=True)
        return student.name, document

    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        documents = dict(pool.map(one, students))
    write_csv(out / "class.csv", documents, exercises)
    plot_distribution(out / "distribution.png", documents, exercises)
    return documents


def shown_name(name):
    """A folder name as it may be printed: control characters (a forged next line) escaped."""
    return name if name.isprintable() else repr(name)


def csv_cell(value):
    """A value as a CSV cell that a spreadsheet shows and never evaluates (=, +, -, @ start a
    formula; '(' would pass for the grader's own row)."""
    text = shown_name(str(value)) if isinstance(value, str) else value
    return "'" + text if isinstance(text, str) and text[:1] in ("=", "+", "-", "@", "(") else text


def _earned(document, exercise_id):
    return next((r["earned"] for r in document["exercises"] if r["exercise"] == exercise_id), 0.0)


def write_csv(path, documents, exercises):
    """One row per student: the total, each exercise's points, and why grading failed if it did."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["student", "total", *(e for e, _ in exercises), "error"])
        possible = sum(points for _, points in exercises)
        writer.writerow(["(possible)", possible, *(points for _, points in exercises), ""])
        for student, document in sorted(documents.items()):
            writer.writerow([csv_cell(student),
                             round(sum(_earned(document, e) for e, _ in exercises), 1),
                             *(_earned(document, e) for e, _ in exercises),
                             csv_cell(document.get("error", ""))])


def plot_distribution(path, documents, exercises):
    """Each exercise's share of points earned across the class, one dot per student."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    shares = np.array([[_earned(d, e) / points for e, points in exercises]
                       for d in documents.values()])
    fig, ax = plt.subplots(figsize=(max(6, 0.45 * len(exercises)), 4.5))
    ax.boxplot(shares, positions=range(len(exercises)), widths=0.6, showfliers=False)
    jitter = np.random.default_rng(0).uniform(-0.15, 0.15, size=shares.shape)
    ax.scatter(np.arange(len(exercises)) + jitter, shares, s=12, alpha=0.6, color="tab:blue",
               label=f"one student ({len(documents)} in all)")
    ax.set_xticks(range(len(exercises)), [e for e, _ in exercises], rotation=60, ha="right")
    ax.set(ylim=(-0.05, 1.05), xlabel="exercise", ylabel="share of the exercise's points")
    ax.set_title("Scores across the class, per exercise\n(boxes: quartiles and median)", pad=24)
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), frameon=False)   # above the plot
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submissions", help="a folder with one submission folder per student")
    parser.add_argument("--out", default="build/grades", help="where the results go")
    parser.add_argument("--jobs", type=int, default=2, help="submissions graded at once")
    add_common_arguments(parser)
    args = parser.parse_args(argv)
    try:
        documents = grade_class(args.submissions, args.out, jobs=args.jobs, seed=args.seed,
                                timeout=args.timeout, only=args.exercise,
                                sandboxed=not args.unsandboxed)
    except (GradingError, sandbox.SandboxUnavailable) as error:
        print(f"cannot grade {args.submissions}: {error}", file=sys.stderr)
        return 2
    print(f"{len(documents)} submissions graded with seed {next(iter(documents.values()))['seed']}; "
          f"results in {args.out}/ (one JSON per student, class.csv, distribution.png)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
