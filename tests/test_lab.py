"""`make lab`: JupyterLab starts as a normal user and as root, and prints one address that works."""
import os
import pwd
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import lab  # noqa: E402


def test_root_gets_allow_root_and_a_machine_without_a_browser_gets_no_browser():
    command, url, (ip, port) = lab.lab_command([], is_root=True, browser=False)
    assert "--allow-root" in command and "--no-browser" in command
    assert url == f"http://127.0.0.1:{port}/lab?token={lab.option(command, 'IdentityProvider.token')}"
    command, _, _ = lab.lab_command([], is_root=False, browser=True)
    assert "--allow-root" not in command and "--no-browser" not in command


def test_lab_args_are_passed_on_and_win():
    command, url, address = lab.lab_command(["--ip=0.0.0.0", "--port=9999", "--no-browser"],
                                            is_root=False, browser=True)
    assert address == ("0.0.0.0", 9999) and command.count("--no-browser") == 1
    assert url.startswith(f"http://{lab.socket.gethostname()}:9999/lab?token=")


def serve_and_fetch(prefix=(), env=None):
    """Start tools/lab.py (behind `prefix`, e.g. another user), fetch the address it prints."""
    process = subprocess.Popen([*prefix, sys.executable, str(ROOT / "tools" / "lab.py")],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                               env=env, start_new_session=True)
    try:
        for line in process.stdout:
            if line.strip().startswith("http://"):
                url = line.strip()
                break
        else:
            pytest.fail("the launcher ended without printing an address")
        status_url = url.replace("/lab?token=", "/api/status?token=")
        with urllib.request.urlopen(status_url, timeout=30) as response:
            return response.status
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=30)


def test_lab_serves_as_the_current_user():
    """As root (a container, CI) or as a normal user, whoever runs the tests."""
    assert serve_and_fetch() == 200


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to start the server as another user")
def test_lab_serves_as_an_unprivileged_user_when_started_by_root(tmp_path):
    runuser = shutil.which("runuser")
    if runuser is None:
        pytest.skip("runuser is not installed")
    runs = subprocess.run([runuser, "-u", "nobody", "--", sys.executable, "-c", "pass"],
                          capture_output=True)
    if runs.returncode != 0:
        pytest.skip(f"user nobody may not run {sys.executable} (it lies in a private folder)")
    nobody = pwd.getpwnam("nobody")
    home = tmp_path / "home"
    home.mkdir()
    os.chown(home, nobody.pw_uid, nobody.pw_gid)
    assert serve_and_fetch([runuser, "-u", "nobody", "--", "env", f"HOME={home}"]) == 200
