"""A throwaway PostgreSQL cluster from Debian's ``postgresql`` package, for the tests and benchmarks.

:func:`running_cluster` runs ``initdb`` into a fresh temporary folder, starts the server on a
private Unix socket (no TCP listener) and a port number picked free, yields its SQLAlchemy URL
(psycopg 3 driver) and stops and deletes everything afterwards. The server refuses to run as
root: run as root, every step runs as the ``postgres`` user (``runuser``), and the folder is
handed to that user. Only the Debian binaries (``/usr/lib/postgresql/<version>/bin``) are used.

:func:`missing` says why no cluster can be started here (None when one can).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["create_database", "missing", "pg_bin", "running_cluster"]

#: Where Debian's postgresql-NN packages put their binaries.
DEBIAN_ROOT = Path("/usr/lib/postgresql")


def pg_bin() -> Path | None:
    """The newest ``/usr/lib/postgresql/<version>/bin`` holding ``initdb`` and ``pg_ctl``."""
    if not DEBIAN_ROOT.is_dir():
        return None
    found = []
    for folder in DEBIAN_ROOT.iterdir():
        b = folder / "bin"
        if folder.name.isdigit() and (b / "initdb").exists() and (b / "pg_ctl").exists():
            found.append((int(folder.name), b))
    return max(found)[1] if found else None


def _as_root() -> bool:
    return os.geteuid() == 0


def missing() -> str | None:
    """Why a cluster cannot be started here, or None."""
    if pg_bin() is None:
        return "PostgreSQL is not installed (run `make postgres`: apt-get install postgresql)"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install -e '.[dev]')"
    if _as_root():
        try:
            import pwd

            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root, but there is no `postgres` user to run the server as"
        if shutil.which("runuser") is None:
            return "running as root, but `runuser` is missing"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """Run a server command (as ``postgres`` when we are root) in ``cwd``, a folder it can enter."""
    if _as_root():
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    return subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=cwd)


@contextmanager
def running_cluster(timeout: float = 60.0) -> Iterator[str]:
    """Start a private PostgreSQL server; yield the URL of its ``postgres`` database.

    Parameters
    ----------
    timeout : float
        Seconds ``pg_ctl`` waits for the server to accept connections.

    Yields
    ------
    str
        ``postgresql+psycopg://postgres@/postgres?host=<socket dir>&port=<port>``.

    Raises
    ------
    RuntimeError
        PostgreSQL is missing (:func:`missing`) or the server did not start (with its log).
    """
    reason = missing()
    if reason is not None:
        raise RuntimeError(reason)
    binaries = pg_bin()
    root = Path(tempfile.mkdtemp(prefix="forecast-pg-"))
    data, sock, log = root / "data", root / "socket", root / "server.log"
    sock.mkdir()
    if _as_root():
        shutil.chown(root, "postgres", "postgres")
        shutil.chown(sock, "postgres", "postgres")
    port = _free_port()
    started = False
    try:
        _run(
            [
                str(binaries / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-sync",
            ],
            root,
        )
        options = (
            f"-p {port} -k {sock} -c listen_addresses='' -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=400"
        )
        try:
            _run(
                [
                    str(binaries / "pg_ctl"),
                    "-D",
                    str(data),
                    "-l",
                    str(log),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    str(int(timeout)),
                    "start",
                ],
                root,
            )
        except subprocess.CalledProcessError as exc:
            text = log.read_text()[-3000:] if log.exists() else ""
            raise RuntimeError(f"PostgreSQL did not start: {exc.stderr}\n{text}") from None
        started = True
        yield f"postgresql+psycopg://postgres@/postgres?host={sock}&port={port}"
    finally:
        if started:
            with contextlib.suppress(subprocess.CalledProcessError):  # already gone
                _run([str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], root)
        shutil.rmtree(root, ignore_errors=True)


def create_database(url: str, name: str | None = None) -> str:
    """Create a fresh database on the cluster of ``url``; return its URL.

    Parameters
    ----------
    url : str
        URL yielded by :func:`running_cluster`.
    name : str, optional
        Database name (default: a random ``t_…``).
    """
    from sqlalchemy import create_engine, text

    name = name or f"t_{uuid.uuid4().hex[:16]}"
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    base, _, query = url.partition("?")
    return f"{base.rsplit('/', 1)[0]}/{name}?{query}"
