"""Run a student's code where it can harm nothing: bubblewrap namespaces, an unprivileged uid, limits.

A sandboxed command sees a filesystem made of read-only bind mounts (the system's libraries, the
Python interpreter and its packages, the submission, the grader's worker) plus a private scratch
/tmp, a size-limited tmpfs. Its results go to one file descriptor it inherits, an unnamed
temporary file of the grader's whose size the limits bound: nothing else of the grader's disk is
writable to it. It has no network, no view of other processes, and no view of the instructors' repository, the solutions,
the hidden probes or other submissions. It runs under a uid of its own (when the grader runs as
root) with limits on CPU time, memory, processes, open files and the size of any file it writes,
and a seccomp filter (assignment/seccomp.py) refuses it keyrings, mounts and new namespaces.

The grader never waits on a sandboxed process's pipes: output goes to a file, the wait has a hard
wall-clock bound, and on timeout the whole process group is killed. bubblewrap runs the command
in a PID namespace whose init ends with it, so a child that detached itself dies with the worker.
"""
import fcntl
import os
import resource
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from . import seccomp

BWRAP = "bwrap"
SANDBOX_UID_BASE = 61000   # a root grader's workers run as uids 61000, 61001, ..., one each


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot run here: no bubblewrap, no namespaces, or no free sandbox uid."""


@dataclass(frozen=True)
class Limits:
    """What one sandboxed worker may use."""
    wall_seconds: float = 120.0
    cpu_seconds: int = 60
    memory_bytes: int = 3 << 30
    processes: int = 64          # threads count too
    file_bytes: int = 64 << 20   # per file written (results, logs, scratch)
    open_files: int = 256
    scratch_bytes: int = 256 << 20


@dataclass(frozen=True)
class Outcome:
    """How a sandboxed run ended: its exit code (None when killed at the wall-clock bound)."""
    returncode: object
    timed_out: bool
    log: str      # the last few thousand characters it printed

    def describe(self, limits):
        """One line saying why the run ended, for the grade table."""
        if self.timed_out:
            return f"time limit: still running after {limits.wall_seconds:g} s (wall clock)"
        code = self.returncode
        signal_number = -code if code < 0 else code - 128 if code > 128 else 0   # bwrap: 128 + n
        if signal_number in (signal.SIGXCPU, signal.SIGKILL):
            return f"killed: over its limit of {limits.cpu_seconds} s of CPU time (or of memory)"
        if signal_number in tuple(signal.Signals):
            return f"killed by signal {signal.Signals(signal_number).name}"
        if "MemoryError" in self.log:
            return f"ran out of memory (its limit is {limits.memory_bytes >> 20} MiB)"
        return f"the worker exited with code {code} before writing this case's results"


def available():
    """Why the sandbox cannot run here, or None when it can."""
    if shutil.which(BWRAP) is None:
        return ("bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap; "
                "Fedora: dnf install bubblewrap)")
    probe = subprocess.run(_bwrap_prefix({}, uid=None) + ["--", "/bin/true"],
                           capture_output=True, text=True, timeout=60)
    if probe.returncode != 0:
        return ("bubblewrap cannot create namespaces here (" + probe.stderr.strip()[:200] +
                "); unprivileged user namespaces may be switched off (sysctl "
                "kernel.unprivileged_userns_clone on Debian, "
                "kernel.apparmor_restrict_unprivileged_userns on Ubuntu 24.04), or grade as root")
    return None


_BWRAP_HELP = []


def _bwrap_has(option):
    """Whether this bubblewrap knows an option (--size came with 0.7)."""
    if not _BWRAP_HELP:
        done = subprocess.run([BWRAP, "--help"], capture_output=True, text=True, timeout=60)
        _BWRAP_HELP.append(done.stdout + done.stderr)
    return option in _BWRAP_HELP[0]


def describe():
    """One line saying which protections apply on this machine (printed before grading)."""
    missing = available()
    if missing:
        return f"none ({missing})"
    version = subprocess.run([BWRAP, "--version"], capture_output=True, text=True).stdout.strip()
    parts = [version or "bubblewrap",
             "a uid of its own per worker" if os.geteuid() == 0 else "a user namespace per worker",
             "seccomp filter" if seccomp.filter_bytes() is not None
             else "no seccomp filter (written for x86_64 and aarch64 only)"]
    controllers = [c for c in ("memory", "pids", "cpu") if _own_cgroup(c) is not None]
    parts.append(f"cgroups ({', '.join(controllers)})" if os.geteuid() == 0 and controllers
                 else "no cgroups: memory and process limits hold per process")
    if not _bwrap_has("--size"):
        parts.append("scratch /tmp without a size limit (bubblewrap older than 0.7)")
    return "; ".join(parts)


def python_mounts():
    """Read-only mounts that give the sandbox this interpreter and its installed packages.

    The packages are mounted at /opt/site-packages, not at their own path: the virtual
    environment may live inside the instructors' repository, which the sandbox must not see.
    """
    prefix = Path(sys.base_prefix).resolve()
    mounts = {str(prefix): str(prefix)}
    site = Path(sysconfig.get_paths()["purelib"]).resolve()
    if not site.is_relative_to(prefix):
        mounts[str(site)] = "/opt/site-packages"
    return mounts


def python_executable():
    """The interpreter to run in the sandbox: the base one, not the venv's (mounted elsewhere)."""
    return str(Path(getattr(sys, "_base_executable", sys.executable)).resolve())


def _system_mounts():
    """The system's programs and shared libraries, read-only."""
    return {path: path for path in ("/usr", "/bin", "/lib", "/lib64", "/lib32", "/sbin",
                                    "/etc/ld.so.cache", "/etc/alternatives")
            if os.path.exists(path)}


def _bwrap_prefix(readonly, uid, seccomp_fd=None):
    """The bubblewrap command line that builds the sandbox (without the command to run)."""
    command = [BWRAP, "--die-with-parent", "--new-session", "--clearenv",
               "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
               "--unshare-cgroup-try", "--hostname", "sandbox"]
    if os.geteuid() != 0:
        command.append("--unshare-user")   # an unprivileged grader: a user namespace of its own
    mounts = {**_system_mounts(), **readonly}
    for parent in sorted({str(p) for t in mounts.values() for p in Path(t).parents if str(p) != "/"}):
        command += ["--perms", "0755", "--dir", parent]   # bubblewrap would make them 0700
    for source, target in mounts.items():
        command += ["--ro-bind", source, target]
    size = ["--size", str(Limits.scratch_bytes)] if _bwrap_has("--size") else []   # 0.7 and newer
    command += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", *size, "--tmpfs", "/tmp"]
    command += ["--chdir", "/tmp", "--setenv", "HOME", "/tmp", "--setenv", "PATH", "/usr/bin:/bin"]
    if uid is not None:
        # root outside: keep only the right to change uid, which setpriv uses and then drops
        command += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    if seccomp_fd is not None:
        command += ["--seccomp", str(seccomp_fd)]
    return command


def _drop_to(uid):
    """The command prefix that turns the sandboxed process into uid `uid` with no privileges."""
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--no-new-privs",
            "--inh-caps=-all", "--bounding-set=-all", "--"]


def _set_limits(limits, cgroups=()):
    """Runs in the child before bubblewrap starts: the limits every sandboxed process inherits,
    and the worker's cgroups joined (their limits hold for all its processes together)."""
    def apply():
        for folder in cgroups:
            (folder / "cgroup.procs").write_text(str(os.getpid()))
        for kind, value in ((resource.RLIMIT_CPU, limits.cpu_seconds),
                            (resource.RLIMIT_AS, limits.memory_bytes),
                            (resource.RLIMIT_NPROC, limits.processes),
                            (resource.RLIMIT_FSIZE, limits.file_bytes),
                            (resource.RLIMIT_NOFILE, limits.open_files),
                            (resource.RLIMIT_CORE, 0)):
            resource.setrlimit(kind, (value, value))
    return apply


CGROUPS = Path("/sys/fs/cgroup")


@contextmanager
def _worker_cgroups(name, limits):
    """Cgroups of one worker, made under the grader's own, with its memory, processes and one
    CPU's worth of time for all its processes together (RLIMIT_AS holds per process only):
    cgroup v1's memory, pids and cpu hierarchies, or v2 where the grader's cgroup may delegate.
    Yields the folders to join: none where the grader may make no cgroup (not root, say)."""
    memory, tasks = str(limits.memory_bytes), str(limits.processes)
    wanted = {"memory": {"memory.limit_in_bytes": memory, "memory.max": memory,
                         "memory.swap.max": "0"},
              "pids": {"pids.max": tasks}, "cpu": {"cpu.cfs_period_us": "100000",
                                                   "cpu.cfs_quota_us": "100000",
                                                   "cpu.max": "100000 100000"}}
    made = []
    try:
        for controller, settings in wanted.items():
            folder = _own_cgroup(controller)
            if folder is None or os.geteuid() != 0:
                continue
            child = folder / name
            try:
                child.mkdir(exist_ok=True)
            except OSError:
                continue
            made.append(child)
            for key, value in settings.items():
                if (child / key).exists():
                    try:
                        (child / key).write_text(value)
                    except OSError:
                        pass
        yield list(dict.fromkeys(made))
    finally:
        for child in dict.fromkeys(reversed(made)):
            for _ in range(50):      # the worker's last processes may take a moment to go
                try:
                    child.rmdir()
                    break
                except OSError:
                    time.sleep(0.02)


def _own_cgroup(controller):
    """This process's cgroup folder for a controller (v1), or its v2 folder; None if neither."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            folder = CGROUPS / controller / path.lstrip("/")
            return folder if (folder / "cgroup.procs").exists() else None
    for line in lines:   # v2 only: "0::/path"
        if line.startswith("0::") and (CGROUPS / "cgroup.controllers").exists():
            folder = CGROUPS / line[3:].lstrip("/")
            enabled = (folder / "cgroup.subtree_control").read_text().split() \
                if (folder / "cgroup.subtree_control").exists() else []
            return folder if controller in enabled else None
    return None


UID_LOCKS = Path(tempfile.gettempdir()) / "dlscratch-sandbox-uids"


@contextmanager
def _own_uid():
    """A uid no other worker uses at the same time, even one of another grading process.

    Each uid is held by a lock file; limits on processes count per uid, so two workers sharing
    one would share that limit. None when the grader is not root (it cannot change uid).
    """
    if os.geteuid() != 0:
        yield None
        return
    UID_LOCKS.mkdir(mode=0o700, exist_ok=True)
    if UID_LOCKS.lstat().st_uid != 0 or UID_LOCKS.is_symlink():
        raise SandboxUnavailable(f"{UID_LOCKS} is not root's own folder")
    for uid in range(SANDBOX_UID_BASE, SANDBOX_UID_BASE + 1000):
        fd = os.open(UID_LOCKS / str(uid), os.O_CREAT | os.O_RDWR | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        try:
            yield uid
        finally:
            os.close(fd)   # releases the lock
        return
    raise SandboxUnavailable("all sandbox uids are in use")


def run(argv, *, readonly, results, limits=Limits(), env=None):
    """Run argv in a fresh sandbox; readonly maps host paths to sandbox paths.

    results is an open file of the grader's (an unnamed temporary file): the sandbox gets it as
    the file descriptor it holds, and it is the only thing outside the sandbox it can write to,
    up to limits.file_bytes.
    """
    with _own_uid() as uid, tempfile.TemporaryFile() as rules:
        program = seccomp.filter_bytes()
        if program is not None:
            rules.write(program)
            rules.seek(0)
        command = _bwrap_prefix(readonly, uid, rules.fileno() if program is not None else None)
        for key, value in (env or {}).items():
            command += ["--setenv", key, value]
        command += ["--"] + (_drop_to(uid) if uid is not None else []) + list(argv)
        if uid is None:   # the processes limit counts every process of the grader's own user too
            limits = replace(limits, processes=limits.processes + _tasks_of(os.getuid()))
        with _worker_cgroups(f"dlscratch-worker-{uid if uid is not None else os.getpid()}",
                             limits) as cgroups:
            return _run_bounded(command, limits, pass_fds=(results.fileno(), rules.fileno()),
                                cgroups=cgroups)


def run_unsandboxed(argv, *, cwd, results, limits=Limits(), env=None):
    """Run argv with the same limits and bounds but no namespaces: only for code one trusts."""
    return _run_bounded(list(argv), limits, cwd=cwd, env={"PATH": "/usr/bin:/bin", **(env or {})},
                        pass_fds=(results.fileno(),))


def _tasks_of(uid):
    """How many processes and threads the user `uid` runs now (RLIMIT_NPROC counts them all)."""
    count = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            lines = status.read_text().splitlines()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in lines if ":" in line)
        if fields.get("Uid", "").split()[:1] == [str(uid)]:
            count += int(fields.get("Threads", "1"))
    return count


def _run_bounded(command, limits, cwd=None, env=None, pass_fds=(), cgroups=()):
    """Run command with output to a file, killed with its process group at the wall-clock bound."""
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                   cwd=cwd, env=env, start_new_session=True, pass_fds=pass_fds,
                                   preexec_fn=_set_limits(limits, cgroups))
        try:
            code, timed_out = process.wait(timeout=limits.wall_seconds), False
        except subprocess.TimeoutExpired:
            code, timed_out = None, True
        finally:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()
        log.seek(max(0, log.seek(0, os.SEEK_END) - 4000))
        text = log.read().decode("utf-8", "replace")
    return Outcome(code, timed_out, text)
