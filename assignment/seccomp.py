"""A small seccomp filter for the sandbox: the system calls a worker has no business making.

Namespaces do not separate everything: the kernel's keyrings are kept per uid, so two workers that
run one after the other under the same uid could pass data through them, and a worker may build
user namespaces or mounts of its own, which only widens what it can reach of the kernel. The
filter makes those calls fail with EPERM, and io_uring too, which no worker needs. It is a classic BPF program (struct sock_filter), written
out here because it is a dozen instructions; bubblewrap loads it with --seccomp.
"""
import errno
import platform
import struct

# struct seccomp_data: int nr; u32 arch; u64 instruction_pointer; u64 args[6]
NR, ARCH, ARG0 = 0, 4, 16
LD_W_ABS, JEQ, JGE, JSET, RET = 0x20, 0x15, 0x35, 0x45, 0x06
ALLOW, KILL_PROCESS, ERRNO = 0x7FFF0000, 0x80000000, 0x00050000
CLONE_NEWUSER = 0x10000000

# machine -> (audit arch, blocked calls, clone, clone3)
_CALLS = {
    "x86_64": (0xC000003E, {"add_key": 248, "request_key": 249, "keyctl": 250, "unshare": 272,
                            "setns": 308, "mount": 165, "umount2": 166, "pivot_root": 155},
               56, 435),
    "aarch64": (0xC00000B7, {"add_key": 217, "request_key": 218, "keyctl": 219, "unshare": 97,
                             "setns": 268, "mount": 40, "umount2": 39, "pivot_root": 41},
                220, 435),
}
# the same numbers on both: io_uring_setup, _enter, _register (a large kernel surface no worker
# needs) and the new mount API, open_tree .. fspick
SHARED_NUMBERS = (425, 426, 427, 428, 429, 430, 431, 432, 433)


def _program(arch, blocked, clone, clone3):
    """The filter as (code, jt, jf, k) instructions, jumps resolved from labels."""
    # each entry: (code, true_label_or_offset, false_label_or_offset, k) or a label string
    body = [(LD_W_ABS, 0, 0, ARCH), (JEQ, 0, "kill", arch), (LD_W_ABS, 0, 0, NR)]
    if arch == _CALLS["x86_64"][0]:
        body.append((JGE, "eperm", 0, 0x40000000))       # the x32 ABI's numbers
    for number in [*blocked.values(), *SHARED_NUMBERS]:
        body.append((JEQ, "eperm", 0, number))
    body += [(JEQ, "enosys", 0, clone3),                  # glibc falls back to clone(2), whose
             (JEQ, "clone", 0, clone),                    # flags, unlike clone3's, can be read
             (RET, 0, 0, ALLOW),
             "clone", (LD_W_ABS, 0, 0, ARG0), (JSET, "eperm", 0, CLONE_NEWUSER), (RET, 0, 0, ALLOW),
             "eperm", (RET, 0, 0, ERRNO | errno.EPERM),
             "enosys", (RET, 0, 0, ERRNO | errno.ENOSYS),
             "kill", (RET, 0, 0, KILL_PROCESS)]
    labels, index = {}, 0
    for item in body:
        if isinstance(item, str):
            labels[item] = index
        else:
            index += 1
    program, index = [], 0
    for item in body:
        if isinstance(item, str):
            continue
        code, jt, jf, k = item
        jt = labels[jt] - index - 1 if isinstance(jt, str) else jt
        jf = labels[jf] - index - 1 if isinstance(jf, str) else jf
        program.append((code, jt, jf, k))
        index += 1
    return program


def filter_bytes(machine=None):
    """The compiled filter for this machine, or None where it is not written (other CPUs)."""
    calls = _CALLS.get(machine or platform.machine())
    if calls is None:
        return None
    return b"".join(struct.pack("=HBBI", *instruction) for instruction in _program(*calls))
