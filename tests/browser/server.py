"""``forecast dashboard`` in a subprocess on a free port, for the browser tests and the dashboard
benchmark (one way to start it, so both measure and test the same server)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_dashboard(
    home: Path, env: dict[str, str] | None = None, timeout: float = 60.0
) -> Iterator[tuple[str, Path]]:
    """Start ``forecast dashboard`` with ``FORECAST_HOME=home``; yield ``(url, log_path)``.

    Parameters
    ----------
    home : Path
        The server's ``FORECAST_HOME``; its output goes to ``home / "server.log"``.
    env : dict, optional
        Extra environment variables.
    timeout : float
        Seconds to wait for ``/`` to answer 200.

    Raises
    ------
    RuntimeError
        The server exited or did not answer in time (the message ends with its log).
    """
    home = Path(home)
    log_path = home / "server.log"
    full_env = {**os.environ, "FORECAST_HOME": str(home), "PYTHONUNBUFFERED": "1", **(env or {})}
    port = free_port()
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from forecast.cli import main; main()",
                "dashboard",
                "--port",
                str(port),
            ],
            cwd=ROOT,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    with urllib.request.urlopen(url + "/", timeout=2) as resp:
                        if resp.status == 200:
                            break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"the dashboard did not start:\n{log_path.read_text()[-3000:]}"
                    )
                time.sleep(0.3)
            yield url, log_path
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
