"""Real server processes for tests and benches: a free loopback port, and uvicorn started and waited on."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    base: str
    proc: subprocess.Popen
    log_path: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def rss_kb(self, field: str = "VmRSS") -> int:
        """Resident memory of the server process (VmHWM: its peak so far)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        raise RuntimeError(f"{field} not found")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def uvicorn_server(env: dict[str, str], log_path: Path, uvicorn_args: tuple[str, ...] = (), *,
                   module: tuple[str, ...] = ("uvicorn", "app.main:app"), start_timeout: float = 60,
                   port: int | None = None) -> Iterator[Server]:
    """`uvicorn app.main:app` (or `python -m <module>`, e.g. ("app.serve",)) on a free loopback port (or this
    one) with this environment, once /api/health answers (within `start_timeout` seconds)."""
    port = port or free_port()
    log = open(log_path, "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", *module, "--host", "127.0.0.1", "--port", str(port), *uvicorn_args],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    server = Server(f"http://127.0.0.1:{port}", proc, log_path)
    try:
        deadline = time.time() + start_timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {server.log()[-3000:]}")
            try:
                if httpx.get(f"{server.base}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.time() > deadline:
                raise RuntimeError(f"server did not become healthy in {start_timeout:.0f} s")
            time.sleep(0.2)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
