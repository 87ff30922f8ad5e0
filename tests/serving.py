"""``forecast serve`` and ``forecast worker`` in subprocesses, and a client that speaks to them like
a browser (upload, Dash callbacks) and like a script (the JSON API): for the serve tests and the
load benchmark (one way to start and drive the server, so both test and measure the same thing).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import requests

from dashboard.callback_request import callback_body

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-c", "from forecast.cli import main; main()"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, log: Path, timeout: float = 90.0) -> None:
    """Poll ``url/healthz`` until 200; RuntimeError (with the log) if the server exits or stalls."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(url + "/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"forecast serve did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.3)


@contextmanager
def running_serve(
    home: Path, *args: str, env: dict[str, str] | None = None, host: str = "127.0.0.1"
) -> Iterator[tuple[str, subprocess.Popen]]:
    """Start ``forecast serve --port P ARGS`` with ``FORECAST_HOME=home``; yield (url, process).

    Its output goes to ``home / "serve.log"``; it is stopped (SIGTERM, then SIGKILL) afterwards.
    """
    home = Path(home)
    home.mkdir(parents=True, exist_ok=True)
    log_path = home / "serve.log"
    port = free_port()
    full_env = {**os.environ, "FORECAST_HOME": str(home), "PYTHONUNBUFFERED": "1", **(env or {})}
    with open(log_path, "a") as log:
        proc = subprocess.Popen(
            [*CLI, "serve", "--host", host, "--port", str(port), *args],
            cwd=ROOT,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, log_path)
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def start_worker(home: Path, db: str, *args: str) -> subprocess.Popen:
    """``forecast worker --db DB ARGS`` with ``FORECAST_HOME=home`` (output to home/worker-PID.log)."""
    env = {**os.environ, "FORECAST_HOME": str(home), "OMP_NUM_THREADS": "1"}
    log = open(Path(home) / f"worker-{time.monotonic_ns()}.log", "w")  # noqa: SIM115 - kept open
    return subprocess.Popen(
        [*CLI, "worker", "--db", db, *args], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )


class Client:
    """One user's HTTP session with the server: uploads, Dash callbacks, the API.

    Every method returns the :class:`requests.Response`; ``workers`` collects the
    ``X-Forecast-Worker`` header (pid of the web process) of each answer. By default each
    request opens a new connection (``Connection: close``), so consecutive requests may land on
    any web process, as behind a load balancer; ``keep_alive=True`` reuses one connection while
    it lasts, as a browser does.
    """

    def __init__(
        self,
        url: str,
        user: str | None = None,
        password: str | None = None,
        keep_alive: bool = False,
    ):
        self.url = url
        self.session = requests.Session()
        if not keep_alive:
            self.session.headers["Connection"] = "close"
        if user is not None:
            self.session.auth = (user, password)
        self.workers: list[str] = []
        self._deps: list[dict] | None = None

    def _seen(self, response: requests.Response) -> requests.Response:
        if "X-Forecast-Worker" in response.headers:
            self.workers.append(response.headers["X-Forecast-Worker"])
        return response

    def get(self, path: str, **kwargs) -> requests.Response:
        return self._seen(self.session.get(self.url + path, timeout=60, **kwargs))

    def post(self, path: str, **kwargs) -> requests.Response:
        return self._seen(self.session.post(self.url + path, timeout=60, **kwargs))

    def upload(self, raw: bytes, name: str) -> requests.Response:
        """What the Data page's upload box does: ``POST /upload`` with the bytes."""
        return self.post("/upload", data=raw, headers={"X-Upload-Filename": quote(name)})

    def callback(self, output: str, values: dict, changed: str) -> requests.Response:
        """POST the Dash callback whose outputs include ``output`` (``id.prop``), as the page does.

        ``values`` gives inputs and states by ``id.prop`` (others None); ``changed`` is the
        ``id.prop`` that fired.
        """
        if self._deps is None:
            self._deps = self.get("/_dash-dependencies").json()
        body = callback_body(self._deps, output, values, changed)
        return self.post("/_dash-update-component", json=body)

    def diagnostics(self, digest: str) -> requests.Response:
        """The Diagnostics page opened on a dataset: its one callback, every figure and table."""
        return self.callback(
            "diag-acf-slot.children",
            {"dataset.data": {"hash": digest, "overrides": {}}, "diag-page-init.data": 0},
            "dataset.data",
        )
