"""``forecast dashboard`` command line: help, bad options and a busy port exit 2 cleanly."""

from __future__ import annotations

import socket
import subprocess
import sys

CLI = [sys.executable, "-c", "from forecast.cli import main; main()", "dashboard"]


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout)


def test_help_lists_the_options():
    out = run("--help")
    assert out.returncode == 0
    for option in ("--host", "--port", "--db", "--runner"):
        assert option in out.stdout


def test_bad_port_exits_2():
    out = run("--port", "http")
    assert out.returncode == 2 and "Traceback" not in out.stderr


def test_busy_port_exits_2_with_one_line():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        port = sock.getsockname()[1]
        out = run("--port", str(port), "--no-runner")
    assert out.returncode == 2, out.stderr[-2000:]
    lines = [line for line in out.stderr.splitlines() if line.startswith("error:")]
    assert lines and f"127.0.0.1:{port}" in lines[0] and "--port" in lines[0]
    assert "Traceback" not in out.stderr


def test_bad_db_url_exits_2():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    out = run("--db", "nosuchdriver://x", "--port", str(port))
    assert out.returncode == 2
    assert out.stderr.strip().splitlines()[-1].startswith("error: Cannot open the job store")
