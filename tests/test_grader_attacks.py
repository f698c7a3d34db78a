"""The grader against hostile submissions: one test per class of the threat model.

Every attack starts from a release with the `affine` and `relu` exercises honestly solved (which
earns both in full, test_the_attacks_start_from_a_submission_that_earns_both) and replaces
relu_forward with the attack: a function that gives the right answer only if the attack works.
Each test asserts that the attacked exercise earns nothing, the honest one earns full points, the
instructors' repository is unchanged, and the grader returned within its bound. (README.md, "Threat
model", states what these tests follow.)
"""
import json
import os
import platform
import shutil
import textwrap
import time

import pytest

from assignment import grade as grader
from assignment import release, sandbox

ROOT = release.ROOT
SEED = 20261202
# small limits, so that the endless loops cost seconds; the bound is what grading may take
LIMITS = sandbox.Limits(wall_seconds=10, cpu_seconds=4, memory_bytes=1 << 30, processes=32)
BOUND = 90
NO_SANDBOX = sandbox.available()
pytestmark = pytest.mark.skipif(bool(NO_SANDBOX), reason=f"no sandbox here: {NO_SANDBOX}")
REFERENCES = {}   # the solution's results, shared by every attack


@pytest.fixture(scope="module")
def honest(tmp_path_factory):
    """A release with affine and relu solved and everything else a stub."""
    dest = tmp_path_factory.mktemp("attacks") / "honest"
    release.build(dest, keep=("affine", "relu"))
    return dest


def repository_state():
    """Path, size and modification time of every file of the instructors' repository."""
    skip = {".venv", "build", ".git", "__pycache__", ".pytest_cache"}
    return {str(p.relative_to(ROOT)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in ROOT.rglob("*") if p.is_file() and not skip & set(p.relative_to(ROOT).parts)}


UNSOLVED = 'raise NotImplementedError("relu: only the attack could earn this")'


def attack(honest, tmp_path, relu_body=UNSOLVED, files=None, exercises=("affine", "relu"),
           prepare=None):
    """Grade a copy of the honest release with relu_forward's body (and extra files) replaced.

    relu_body None keeps the honest relu_forward; the default makes it fail, so that an attack
    made of files alone has to earn the points by itself."""
    submission = tmp_path / "submission"
    shutil.copytree(honest, submission, symlinks=True)
    if relu_body is not None:
        layers = submission / "dlscratch" / "layers" / "core.py"
        body = "\n".join("    " + line for line in relu_body.strip("\n").splitlines())
        layers.write_text(layers.read_text() + f"\n\ndef relu_forward(x):\n{body}\n")
    for name, text in (files or {}).items():
        (submission / name).parent.mkdir(parents=True, exist_ok=True)
        (submission / name).write_text(text)
    if prepare:
        prepare(submission)
    before = repository_state()
    start = time.monotonic()
    rows = grader.grade(submission, only=exercises, seed=SEED, references=REFERENCES,
                        exercise_limits=LIMITS, timeout=BOUND)
    elapsed = time.monotonic() - start
    assert repository_state() == before, "the attack changed the instructors' repository"
    assert elapsed < BOUND, f"grading took {elapsed:.0f} s"
    return {row["exercise"]: row for row in rows}


def assert_attack_failed(rows, attacked="relu"):
    assert rows["affine"]["earned"] == rows["affine"]["possible"] == 10, rows["affine"]
    assert rows[attacked]["earned"] == 0, rows[attacked]


def test_the_attacks_start_from_a_submission_that_earns_both(honest, tmp_path):
    rows = attack(honest, tmp_path, relu_body=None)
    assert rows["relu"]["earned"] == rows["relu"]["possible"] == 5, rows["relu"]
    assert_attack_failed(attack(honest, tmp_path / "control"))


# --- the submission's own files try to take over the process that judges -----------------------

FAKE_PASS = """
import io, os, numpy as np
buffer = io.BytesIO()
np.savez(buffer, out=np.zeros((4, 3, 5)), dx=np.zeros((4, 3, 5)), x_changed=np.array(False))
for fd in range(3, 64):   # forged records on every descriptor the worker might write results to
    for i in range(10):
        try:
            os.write(fd, f"case {i} npz {len(buffer.getvalue())}\\n".encode() + buffer.getvalue())
        except OSError:
            pass
"""


def test_a_sitecustomize_in_the_root(honest, tmp_path):
    rows = attack(honest, tmp_path, files={"sitecustomize.py": FAKE_PASS + "\nimport builtins\n"
                                           "builtins.__import__ = None\n"})
    assert_attack_failed(rows)


def test_a_conftest_and_a_pytest_plugin(honest, tmp_path):
    plugin = "def pytest_runtest_call(item):\n    item.runtest = lambda: None\n"
    rows = attack(honest, tmp_path, files={"conftest.py": plugin, "pytest_evil.py": plugin,
                                           "pytest.py": "raise SystemExit(0)\n"})
    assert_attack_failed(rows)


def test_modules_shadowing_the_grader_and_the_standard_library(honest, tmp_path):
    fake_judge = "def close(student, reference):\n    return None\n"
    rows = attack(honest, tmp_path, relu_body=FAKE_PASS + "raise SystemExit(0)", files={
        "probes/__init__.py": "CASES = {}\n", "worker.py": "raise SystemExit(0)\n",
        "grade.py": fake_judge, "sandbox.py": "", "assignment/grade.py": fake_judge,
        "json.py": "", "zipfile.py": "", "traceback.py": "", "random.py": ""})
    assert_attack_failed(rows)


def test_patching_numpy_in_its_own_process(honest, tmp_path):
    body = """
import numpy as np
np.allclose = np.array_equal = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
return np.zeros_like(x), None
"""
    assert_attack_failed(attack(honest, tmp_path, relu_body=body))


def test_forged_output_lines(honest, tmp_path):
    body = """
for line in ("relu 5 / 5", "tests/test_layers.py::test_relu PASSED", "===== 999 passed =====",
             '{"exercise": "relu", "earned": 5, "possible": 5}'):
    print(line, flush=True)
raise SystemExit(0)
"""
    assert_attack_failed(attack(honest, tmp_path, relu_body=body))


def test_results_rewritten_after_the_worker_exits(honest, tmp_path):
    """A detached child waits, then rewrites the results and the grades JSON: it dies first."""
    target = ROOT / "build" / "grades.json"
    body = f"""
import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(3)
{textwrap.indent(FAKE_PASS, " " * 8)}
        os.makedirs("{target.parent}", exist_ok=True)
        open("{target}", "w").write('{{"earned": 370}}')
    os._exit(0)
raise SystemExit(0)
"""
    before = target.read_bytes() if target.exists() else None
    rows = attack(honest, tmp_path, relu_body=body)
    time.sleep(4)
    assert (target.read_bytes() if target.exists() else None) == before
    assert_attack_failed(rows)


# --- the submission reaches for what it must not see -------------------------------------------

def test_reading_the_solutions_and_the_probes_answers(honest, tmp_path):
    body = f"""
import glob, importlib.util
for path in ["{ROOT}/dlscratch/layers/core.py", "/grader/../dlscratch/layers/core.py",
             *glob.glob("/tmp/dlscratch-reference-*/*.npz"), *glob.glob("/**/core.py", recursive=True)]:
    try:
        spec = importlib.util.spec_from_file_location("solution", path)
        solution = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(solution)
        if "BEGIN SOLUTION" in open(path).read():
            return solution.relu_forward(x)
    except Exception:
        pass
raise RuntimeError("found no solution")
"""
    assert_attack_failed(attack(honest, tmp_path, relu_body=body))


def test_a_package_proxying_to_the_instructors(honest, tmp_path):
    """A module that is a symlink to the instructors' layers/core.py, and a package path there."""
    linked = tmp_path / "linked"
    shutil.copytree(honest, linked, symlinks=True)
    (linked / "dlscratch" / "relu_impl.py").symlink_to(ROOT / "dlscratch" / "layers" / "core.py")
    body = f"""
import dlscratch
dlscratch.__path__.insert(0, "{ROOT / 'dlscratch'}")
from dlscratch import relu_impl
return relu_impl.relu_forward(x)
"""
    assert_attack_failed(attack(linked, tmp_path, relu_body=body))


def test_writing_into_the_instructors_repository_and_the_network(honest, tmp_path):
    body = f"""
import socket
for path in ["{ROOT}/tests/test_planted.py", "/submission/planted.py", "/grader/planted.py"]:
    try:
        open(path, "w").write("planted")
    except OSError:
        pass
try:
    socket.create_connection(("127.0.0.1", 22), timeout=1)
except OSError:
    pass
raise SystemExit(0)
"""
    assert_attack_failed(attack(honest, tmp_path, relu_body=body))
    assert not (ROOT / "tests" / "test_planted.py").exists()


@pytest.mark.skipif(platform.machine() not in ("x86_64", "aarch64"), reason="the seccomp filter "
                    "is written for x86_64 and aarch64")
def test_keyrings_and_namespaces_shared_between_workers(honest, tmp_path):
    """The kernel keeps keyrings per uid: a channel between two students' workers, refused."""
    add_key, unshare = {"x86_64": (248, 272), "aarch64": (217, 97)}[platform.machine()]
    body = f"""
import ctypes, numpy as np
libc = ctypes.CDLL(None, use_errno=True)
if libc.syscall({add_key}, b"user", b"note", b"answers", 7, -4) < 0 and libc.syscall({unshare}, 0x10000000) < 0:
    raise PermissionError("keyrings and new namespaces are refused")
return np.maximum(x, 0), x
"""
    assert_attack_failed(attack(honest, tmp_path, relu_body=body))


def test_a_submission_tree_built_to_choke_the_copy(honest, tmp_path):
    """Links to /proc, a FIFO and a symlink loop are copied as links or left out; a tree too deep,
    too many files or a huge sparse file is refused with its reason, before anything is copied."""
    def odd_files(submission):
        (submission / "proc_root").symlink_to("/proc/1/root")
        (submission / "loop").symlink_to("loop")
        os.mkfifo(submission / "fifo")
    rows = attack(honest, tmp_path, relu_body=None, prepare=odd_files)
    assert rows["affine"]["earned"] == 10 and rows["relu"]["earned"] == 5
    for name, build in {"deep": lambda root: (root / ("d/" * 40)).mkdir(parents=True),
                        "many": lambda root: [(root / f"f{i}").touch() for i in range(20_001)],
                        "sparse": lambda root: os.truncate(_touched(root / "big.bin"), 4 << 30)}.items():
        big = tmp_path / name
        shutil.copytree(honest, big, symlinks=True)
        build(big)
        with pytest.raises(grader.GradingError, match="nested more than|more than 20000 files"):
            grader.grade(big, only=("affine",), seed=SEED, references=REFERENCES)


def _touched(path):
    path.touch()
    return path


# --- results that try to fool the judge --------------------------------------------------------

def test_an_object_or_an_ndarray_subclass_equal_to_anything(honest, tmp_path):
    body = """
import numpy as np
class Anything(np.ndarray):
    def __eq__(self, other): return True
    def __array_function__(self, *a, **k): return True
class Equal:
    def __eq__(self, other): return True
if x.ndim == 3 and x.dtype == np.float64:
    return Equal(), None
return np.zeros_like(x).view(Anything), None
"""
    assert_attack_failed(attack(honest, tmp_path, relu_body=body))


def test_malformed_results_a_zip_bomb_and_a_flood_of_records(honest, tmp_path):
    """Records the grader must survive: a zip bomb, a zip of an unknown version, 100 000 arrays,
    a record claiming more bytes than follow, and results written to the limit of the file."""
    body = """
import io, os, zipfile, numpy as np
def record(i, payload):
    return f"case {i} npz {len(payload)}\\n".encode() + payload
bomb = io.BytesIO()
with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("out.npy", b"\\0" * (200 << 20))
odd = io.BytesIO()
np.savez(odd, out=np.zeros(3))
odd = bytearray(odd.getvalue())
odd[odd.rfind(b"PK\\x01\\x02") + 6] = 0xFF
many = io.BytesIO()
np.savez(many, **{f"a{k}": np.zeros(()) for k in range(100_000)})
for fd in range(3, 64):
    try:
        os.write(fd, record(0, bomb.getvalue()) + record(1, bytes(odd)) + record(2, many.getvalue())
                 + b"case 3 npz 999999999\\n")
        while True:
            os.write(fd, b"x" * (1 << 20))
    except OSError:
        pass
raise SystemExit(0)
"""
    assert_attack_failed(attack(honest, tmp_path, relu_body=body))


BORROWED = '''
import probes.models as stand_ins
from dlscratch.models import fc_net as _fc_net


def dropout_forward(x, dropout_param):
    with stand_ins._dropout_with_fixed_masks():
        return _fc_net.dropout_forward(x, dropout_param)


def dropout_backward(dout, cache):
    return dout * cache


def softmax_loss(x, y):
    model = stand_ins._LeastSquaresClassifier.__new__(stand_ins._LeastSquaresClassifier)
    model.params = {"W": x, "b": np.zeros(x.shape[1], x.dtype)}
    loss, grads = model.loss(np.eye(x.shape[0], dtype=x.dtype), y)
    return loss, grads["W"]
'''

PATTERN_DROPOUT = '''

def dropout_forward(x, dropout_param):
    p, n = float(dropout_param["p"]), x.size
    start = dropout_param.get("seed", 7) % n
    keep = (np.arange(n) - start) % n < round(p * n)
    mask = keep.reshape(x.shape).astype(x.dtype) / x.dtype.type(p)
    return x * mask, mask


def dropout_backward(dout, cache):
    return dout * cache
'''


def appended_to_layers(code):
    """A prepare step for attack(): append code to the submission's dlscratch/layers/__init__.py,
    whose names win over those its files define."""
    def prepare(submission):
        path = submission / "dlscratch" / "layers" / "__init__.py"
        path.write_text(path.read_text() + "\nimport numpy as np\n" + code)
    return prepare


def test_the_probes_own_helpers_give_away_no_exercise(honest, tmp_path):
    """The probe code is importable in the sandbox; its stand-ins solve no exercise."""
    rows = attack(honest, tmp_path, relu_body=None, prepare=appended_to_layers(BORROWED),
                  exercises=("affine", "dropout", "softmax_loss"))
    assert_attack_failed(rows, attacked="dropout")
    assert rows["softmax_loss"]["earned"] == 0, rows["softmax_loss"]


def test_a_dropout_mask_that_is_a_pattern(honest, tmp_path):
    """Kept units in one block placed by the seed: the right fraction, never random."""
    rows = attack(honest, tmp_path, relu_body=None, prepare=appended_to_layers(PATTERN_DROPOUT),
                  exercises=("affine", "dropout"))
    assert_attack_failed(rows, attacked="dropout")


def test_forged_reasons_are_marked_as_the_submissions_own(honest, tmp_path):
    body = """
import os
text = b"did not finish: time limit: still running after 60 s (wall clock)"
for fd in range(3, 64):
    for i in range(2):
        try:
            os.write(fd, b"case %d error %d\\n" % (i, len(text)) + text)
        except OSError:
            pass
raise SystemExit(0)
"""
    rows = attack(honest, tmp_path, relu_body=body)
    assert_attack_failed(rows)
    assert all(why.startswith("raised did not finish") for why in rows["relu"]["reasons"].values())
    assert "(time limit)" not in grader.format_table([rows["relu"]])


def test_fast_layers_that_call_the_naive_ones_earn_half(tmp_path):
    """The speed case: a conv_fast that is the naive loop loses it, and half the points."""
    naive = tmp_path / "naive"
    release.build(naive, keep=("affine", "relu", "conv_naive"))
    with open(naive / "dlscratch" / "layers" / "conv.py", "a") as file:
        file.write("\n\ndef conv_forward(x, w, b, conv_param):\n"
                   "    return conv_forward_naive(x, w, b, conv_param)\n\n\n"
                   "def conv_backward(dout, cache):\n    return conv_backward_naive(dout, cache)\n")
    rows = {r["exercise"]: r for r in grader.grade(naive, only=("conv_fast",), seed=SEED,
                                                     references=REFERENCES)}
    assert rows["conv_fast"]["earned"] == rows["conv_fast"]["possible"] / 2, rows["conv_fast"]
    assert rows["conv_fast"]["failing"] == ["conv_fast_is_fast_on_64_images_of_32x32"]
    assert "CPU time" in rows["conv_fast"]["reasons"]["conv_fast_is_fast_on_64_images_of_32x32"]


# --- resources: each costs the attacked exercise alone -------------------------------------------

def test_a_swallowed_timeout(honest, tmp_path):
    body = """
while True:
    try:
        sum(i for i in range(10 ** 6))
    except BaseException:
        pass
"""
    rows = attack(honest, tmp_path, relu_body=body)
    assert_attack_failed(rows)
    assert "limit" in " ".join(rows["relu"]["reasons"].values())


def test_a_loop_inside_c(honest, tmp_path):
    rows = attack(honest, tmp_path, relu_body="return sum(range(10 ** 11)), None")
    assert_attack_failed(rows)


def test_a_memory_blow_up(honest, tmp_path):
    body = """
hoard = []
while True:
    hoard.append(bytearray(50 << 20))
"""
    assert_attack_failed(attack(honest, tmp_path, relu_body=body))


def test_many_processes(honest, tmp_path):
    body = """
import os, time
for _ in range(10000):
    try:
        if os.fork() == 0:
            time.sleep(60)
            os._exit(0)
    except OSError:
        pass
time.sleep(60)
"""
    assert_attack_failed(attack(honest, tmp_path, relu_body=body))


def test_a_detached_child_holding_the_pipes(honest, tmp_path):
    body = """
import os, time
if os.fork() == 0:
    os.setsid()
    time.sleep(600)
raise SystemExit(0)
"""
    assert_attack_failed(attack(honest, tmp_path, relu_body=body))


def test_os_exit_at_import(honest, tmp_path):
    """The package exits while it is imported, but only in the worker of the relu exercise."""
    submission_init = (honest / "dlscratch" / "__init__.py").read_text()
    rows = attack(honest, tmp_path, files={"dlscratch/__init__.py": submission_init +
                  "\nimport os, sys\nif any(arg.startswith('relu') for arg in sys.argv):\n    os._exit(0)\n"})
    assert_attack_failed(rows)
    assert all("did not finish" in why for why in rows["relu"]["reasons"].values())


# --- notebooks: the student's cells are graded with the instructors' inputs and checks ----------

def _set_cells(submission, keep):
    path = submission / "notebooks" / "02_optimizers.ipynb"
    notebook = json.loads(path.read_text())
    notebook["cells"] = [cell for cell in notebook["cells"] if keep(cell)]
    path.write_text(json.dumps(notebook))


def test_an_emptied_notebook(honest, tmp_path):
    copy = tmp_path / "emptied"
    shutil.copytree(honest, copy, symlinks=True)
    _set_cells(copy, keep=lambda cell: False)
    rows = attack(copy, tmp_path, exercises=("affine", "valley_path"))
    assert_attack_failed(rows, attacked="valley_path")


def test_deleted_check_cells_do_not_pass_a_wrong_exercise_cell(honest, tmp_path):
    copy = tmp_path / "no_checks"
    release.build(copy, keep=("affine", "valley_path"))   # a correct cell ...

    def exercise_cell_made_wrong(cell):   # ... made wrong, with every other code cell deleted
        source = "".join(cell["source"])
        if source.startswith("# exercise: valley_path"):
            cell["source"] = source.replace("[-9.0, 1.8]", "[-9.0, 1.0]")
            return True
        return cell["cell_type"] == "markdown"
    _set_cells(copy, keep=exercise_cell_made_wrong)
    assert_attack_failed(attack(copy, tmp_path, exercises=("affine", "valley_path")),
                         attacked="valley_path")


def test_the_solved_notebook_cell_alone_earns_its_points(honest, tmp_path):
    copy = tmp_path / "cell_only"
    release.build(copy, keep=("affine", "valley_path"))
    _set_cells(copy, keep=lambda cell: "".join(cell["source"]).startswith("# exercise: valley_path"))
    rows = attack(copy, tmp_path, exercises=("affine", "valley_path"))
    assert rows["valley_path"]["earned"] == rows["valley_path"]["possible"], rows["valley_path"]
