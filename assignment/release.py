"""Write the students' version of the course: every solution fence becomes a stub.

    python -m assignment.release [--dest build/student] [--keep EXERCISE ...]

--keep leaves the named exercises' solutions in place (the grader's own tests use it to build a
release with exactly one exercise done). The release fails loudly, naming file and line, on a
malformed fence or a fence that no exercise in assignment/exercises.py covers.
"""
import argparse
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from .fences import (EXERCISE_LINE, FenceError, find_answers, find_regions, functions_by_line,
                     raise_line, replace_regions, strip_markers)

ROOT = Path(__file__).resolve().parent.parent
# what stays in the instructors' repository
# (and the website, which shows the solved course: book/ and its builder and test; and the fast
# twins of exercise functions, which would give those exercises away)
INSTRUCTOR_ONLY = (".ci/", "assignment/", "tests/test_assignment.py", "tests/test_grader_attacks.py",
                   "book/", "tools/book.py", "tests/test_book.py",
                   "dlscratch/fast.py", "tests/test_fast.py")
# ...except the registry, which the students' notebooks and test summary read too
REGISTRY = "assignment/exercises.py"
SHIPPED = ("assignment/__init__.py", REGISTRY)
# what the release puts where a cell's outputs come from the solved course, and where an answer was
REFERENCE_LABEL = "[reference output of the solved course: running this cell replaces it]\n"
ANSWER_PLACEHOLDER = "*Your answer here (double-click to edit).*"
# a cell tagged so keeps no output in the release: what it prints would give an exercise away
SOLUTION_OUTPUT_TAG = "solution_output"


def load_registry(root):
    """The EXERCISES tuple of root/assignment/exercises.py (loaded from that file, not sys.path)."""
    spec = importlib.util.spec_from_file_location("_exercises", Path(root) / REGISTRY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.EXERCISES


def repository_files(root):
    """Paths (relative, '/'-separated) of the files that make up the repository."""
    try:
        listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                                cwd=root, capture_output=True, text=True, check=True).stdout
        return sorted(p for p in listed.splitlines() if (root / p).is_file())
    except (OSError, subprocess.CalledProcessError):
        skip = {".git", ".venv", "build", "__pycache__", ".pytest_cache", ".ipynb_checkpoints"}
        return sorted(str(p.relative_to(root)) for p in root.rglob("*")
                      if p.is_file() and not skip & set(p.relative_to(root).parts))


class Release:
    """One release run: the registry, which exercises keep their solutions, what was covered."""

    def __init__(self, root, keep=()):
        self.root = Path(root)
        self.exercises = load_registry(self.root)
        ids = {e.id for e in self.exercises}
        unknown = set(keep) - ids
        if unknown:
            raise FenceError(f"--keep names unknown exercises {sorted(unknown)}; known: {sorted(ids)}")
        self.keep = set(keep)
        self.owner = {cover: e for e in self.exercises for cover in e.covers}
        self.covered = set()

    def python(self, text, rel):
        """The student version of a Python file."""
        lines = text.split("\n")
        regions = find_regions(lines, rel)
        if not regions:
            return text
        functions = functions_by_line(text, rel)

        def stub(region):
            line = region.begin + 1
            if line not in functions:
                raise FenceError(f"{rel}:{line}: solution fence outside any function")
            qualname = functions[line]
            cover = f"{rel}:{qualname}"
            if cover not in self.owner:
                raise FenceError(f"{rel}:{line}: the solution in {qualname} belongs to no exercise; "
                                 f"add '{cover}' to an exercise's covers in {REGISTRY}")
            self.covered.add(cover)
            exercise = self.owner[cover]
            if exercise.id in self.keep:
                return lines[region.begin + 1:region.end]
            return [raise_line(region.indent, exercise.id, f"implement {qualname} in {rel}")]
        return "\n".join(replace_regions(lines, regions, stub))

    def notebook(self, text, rel):
        """The student version of a notebook: stubbed solution cells with their outputs cleared,
        emptied answers, and the other cells' outputs kept, labelled as reference outputs."""
        nb = nbformat.reads(text, as_version=4)
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "markdown":
                cell.source = _empty_answers(cell.source, f"{rel}: cell {index}, line")
            if cell.cell_type != "code":
                continue
            lines = cell.source.split("\n")
            regions = find_regions(lines, f"{rel}: cell {index}, line")
            if not regions:
                cell.outputs = _as_reference(cell)
                if not cell.outputs:
                    cell.execution_count = None
                continue
            exercise = self._cell_exercise(lines, rel, index)
            if exercise.id in self.keep:
                cell.source = "\n".join(strip_markers(lines, regions))
                continue
            what = f"complete this cell of {Path(rel).stem}"
            cell.source = "\n".join(replace_regions(lines, regions, lambda r: [
                f"{r.indent}# YOUR CODE HERE", raise_line(r.indent, exercise.id, what)]))
            cell.outputs = []           # what the solution printed would give it away
            cell.execution_count = None
        return nbformat.writes(nb)

    def _cell_exercise(self, lines, rel, index):
        """The exercise a fenced notebook cell belongs to, from its '# exercise: <id>' line."""
        ids = [m.group(1) for m in map(EXERCISE_LINE.match, lines) if m]
        if len(ids) != 1:
            raise FenceError(f"{rel}: cell {index} has solution fences but {len(ids)} "
                             "'# exercise: <id>' lines (it needs exactly one)")
        exercise = next((e for e in self.exercises if e.id == ids[0]), None)
        if exercise is None or rel not in exercise.covers:
            raise FenceError(f"{rel}: cell {index}: exercise {ids[0]!r} does not list {rel} in "
                             f"its covers in {REGISTRY}")
        self.covered.add(rel)
        return exercise

    def check_every_cover_was_found(self):
        """Fail if the registry names code that has no solution fence (a stale registry)."""
        missing = sorted(set(self.owner) - self.covered)
        if missing:
            raise FenceError(f"{REGISTRY} lists code without a solution fence: "
                             + ", ".join(missing))


def _empty_answers(source, where):
    """A markdown cell's source with each fenced answer replaced by a place for the student's."""
    lines = source.split("\n")
    regions = find_answers(lines, where)
    return "\n".join(replace_regions(lines, regions, lambda r: [ANSWER_PLACEHOLDER]))


def _as_reference(cell):
    """A cell's outputs as the student sees them: none if tagged solution_output; expected values
    checked by nbval as they are; anything else under a line saying it is the solved course's
    output; errors dropped."""
    outputs = [o for o in cell.outputs if o.output_type != "error"]
    if SOLUTION_OUTPUT_TAG in cell.get("metadata", {}).get("tags", []):
        return []
    if not outputs or "NBVAL_CHECK_OUTPUT" in cell.source:
        return outputs
    return [nbformat.v4.new_output("stream", name="stdout", text=REFERENCE_LABEL)] + outputs


def student_readme(root, exercises):
    """The students' README: the template with the table of exercises and the main README's
    "Your own data" section filled in."""
    rows = "\n".join(f"| `{e.id}` | {e.notebook} | {e.points} |" for e in exercises)
    table = "| exercise | notebook | points |\n| --- | --- | --- |\n" + rows
    template = (root / "assignment" / "STUDENT_README.md").read_text()
    return (template.replace("{exercise_table}", table)
            .replace("{your_own_data}", _readme_section(root, "your-own-data")))


def _readme_section(root, name):
    """The part of root/README.md between <!-- name... --> and <!-- /name -->, as a ## section."""
    readme = root / "README.md"
    text = readme.read_text() if readme.is_file() else ""
    start, end = text.find(f"<!-- {name}"), text.find(f"<!-- /{name} -->")
    if start < 0 or end < 0:
        return ""
    body = text[text.index("\n", start) + 1:end].strip()
    return body.replace("### ", "## ", 1)


def instructor_only(rel):
    """Whether the file rel stays in the instructors' repository, out of the student version."""
    return rel.startswith(INSTRUCTOR_ONLY) and rel not in SHIPPED


def build(dest, root=ROOT, keep=()):
    """Write the student repository into dest (replacing it); returns the number of files."""
    root, dest = Path(root), Path(dest)
    release = Release(root, keep)
    outputs = {}
    for rel in repository_files(root):
        if instructor_only(rel):
            continue
        source = root / rel
        if rel.endswith(".py"):
            outputs[rel] = release.python(source.read_text(), rel)
        elif rel.endswith(".ipynb"):
            outputs[rel] = release.notebook(source.read_text(), rel)
        else:
            outputs[rel] = source.read_bytes()
    release.check_every_cover_was_found()
    outputs["README.md"] = student_readme(root, release.exercises)

    if dest.exists():
        shutil.rmtree(dest)
    for rel, content in outputs.items():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
            shutil.copymode(root / rel, target)
        else:
            target.write_text(content)
    return len(outputs)


def initialise_git(dest):
    """Make dest a git repository of its own holding the release as one commit."""
    def git(*args):
        subprocess.run(["git", *args], cwd=dest, check=True, capture_output=True, text=True)
    identity = []
    for key, fallback in (("user.name", "dlscratch release"), ("user.email", "release@dlscratch.invalid")):
        configured = subprocess.run(["git", "config", key], cwd=dest, capture_output=True, text=True)
        if not configured.stdout.strip():
            identity += ["-c", f"{key}={fallback}"]
    git("init", "--quiet", "--initial-branch=main")
    git("add", "--all")
    git(*identity, "commit", "--quiet", "--message", "The course, as released to students")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", default=str(ROOT / "build" / "student"))
    parser.add_argument("--keep", nargs="*", default=[], metavar="EXERCISE",
                        help="leave these exercises solved")
    parser.add_argument("--keep-all", action="store_true",
                        help="leave every exercise solved (to check that a solved release passes)")
    parser.add_argument("--no-git", action="store_true", help="do not make dest a git repository")
    args = parser.parse_args(argv)
    keep = [e.id for e in load_registry(ROOT)] if args.keep_all else args.keep
    try:
        count = build(args.dest, keep=keep)
    except FenceError as error:
        print(f"release failed: {error}", file=sys.stderr)
        return 1
    if not args.no_git:
        initialise_git(args.dest)
    print(f"wrote the student version ({count} files) to {args.dest}"
          + ("" if args.no_git else ", a git repository with one commit, ready to push"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
