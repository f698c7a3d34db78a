"""Start JupyterLab on notebooks/ and print the one address to open: `make lab` runs this.

    python tools/lab.py [JupyterLab options ...]      (make lab LAB_ARGS="...")

It works as a normal user and as root (containers and cloud machines run as root, and JupyterLab
refuses root unless told --allow-root), picks a free port, and opens no browser where there is
none. Once the server answers it prints one line with the address, token included. On a remote
machine either forward the port (ssh -L 8888:localhost:8888 you@host, then open the address
locally) or listen on every interface: make lab LAB_ARGS="--ip=0.0.0.0".
"""
import os
import secrets
import socket
import subprocess
import sys
import time
import webbrowser
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def option(args, name):
    """The value of --name=value (or --name value) in args, or None."""
    for i, arg in enumerate(args):
        if arg.startswith(f"--{name}="):
            return arg.split("=", 1)[1]
        if arg == f"--{name}" and i + 1 < len(args):
            return args[i + 1]
    return None


def free_port(host, first=8888, tries=50):
    """The first port from `first` on that nobody listens on."""
    for port in range(first, first + tries):
        with socket.socket() as probe:
            try:
                probe.bind((host, port))
                return port
            except OSError:
                continue
    raise SystemExit(f"no free port in {first}..{first + tries - 1}; pass one: LAB_ARGS=--port=N")


def has_browser():
    try:
        webbrowser.get()
        return True
    except webbrowser.Error:
        return False


def lab_command(args, is_root, browser):
    """The jupyter lab command line and the address to open: (command, url)."""
    args = list(args)
    ip = option(args, "ip") or "127.0.0.1"
    port = option(args, "port")
    if port is None:
        port = str(free_port("" if ip == "0.0.0.0" else ip))
        args += [f"--port={port}", "--ServerApp.port_retries=0"]
    token = option(args, "IdentityProvider.token")
    if token is None:
        token = secrets.token_hex(24)
        args.append(f"--IdentityProvider.token={token}")
    if is_root and "--allow-root" not in args:
        args.append("--allow-root")
    if not browser and "--no-browser" not in args:
        args.append("--no-browser")
    if option(args, "ip") is None:
        args.append(f"--ip={ip}")
    host = socket.gethostname() if ip == "0.0.0.0" else ip
    command = [sys.executable, "-m", "jupyterlab", f"--notebook-dir={NOTEBOOKS}", *args]
    return command, f"http://{host}:{port}/lab?token={token}", (ip, int(port))


def wait_until_listening(process, address, seconds=120):
    """Whether the server accepts connections before it exits or the time runs out."""
    host = "127.0.0.1" if address[0] == "0.0.0.0" else address[0]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            socket.create_connection((host, address[1]), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.3)
    return False


def main(args):
    command, url, address = lab_command(args, is_root=os.geteuid() == 0, browser=has_browser())
    process = subprocess.Popen(command)
    try:
        if wait_until_listening(process, address):
            print(f"\n    JupyterLab is running. Open this address in your browser:\n\n    {url}\n\n"
                  "    (On a remote machine, see 'Remote machines' in the README. Ctrl-C stops it.)\n",
                  flush=True)
        return process.wait()
    except KeyboardInterrupt:
        process.terminate()
        return process.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
