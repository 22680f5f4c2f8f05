"""`make run` is something a household can live on: the production server with DEBUG off, operator commands in
a second terminal with nothing exported, and nothing left running when its supervisor is killed."""

from __future__ import annotations

import os
import queue
import signal
import stat
import subprocess
import sys
import threading
import time

import pytest
import requests
from django.conf import settings

from devtools.embedded import SeaweedFS, free_port_block, port_is_free

pytestmark = pytest.mark.slow

# What the test's own process was given for its services: `make run` must decide these itself.
NOT_PASSED_ON = {
    "DATABASE_URL",
    "S3_ENDPOINT_URL",
    "S3_ACCESS_KEY_ID",
    "S3_SECRET_ACCESS_KEY",
    "BROKER_URL",
    "BROKER_NAMESPACE",
    "SECRET_KEY",
    "DEBUG",
    "KITE_ENV_FILE",
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


class MakeRun:
    """`python -m devtools.devstack run` (what `make run` starts) on free ports, with its data in `var_dir`."""

    def __init__(self, var_dir) -> None:
        base = free_port_block(SeaweedFS.PORTS + 2)
        self.var_dir = var_dir
        self.ports = {"KITE_S3_PORT": base, "KITE_BROKER_PORT": base + SeaweedFS.PORTS, "KITE_WEB_PORT": base + 9}
        self.url = f"http://127.0.0.1:{self.ports['KITE_WEB_PORT']}"
        env = {key: value for key, value in os.environ.items() if key not in NOT_PASSED_ON}
        env.update({name: str(port) for name, port in self.ports.items()}, KITE_VAR_DIR=str(var_dir))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "devtools.devstack", "run"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def wait_until_serving(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                assert self.proc.poll() is None, "".join(seen)
                continue
            seen.append(line)
            if "Kite is running" in line:
                return
        raise AssertionError("make run did not start:\n" + "".join(seen))

    def manage(self, *args: str, **extra_env: str) -> subprocess.CompletedProcess:
        """A command in a second terminal: nothing exported but where the data lives."""
        env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root"), "KITE_VAR_DIR": str(self.var_dir)}
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=settings.BASE_DIR,
            env={**env, **extra_env},
            capture_output=True,
            text=True,
            timeout=120,
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            self.proc.wait(timeout=60)


@pytest.fixture
def make_run(tmp_path):
    running = MakeRun(tmp_path / "var")
    try:
        running.wait_until_serving()
        yield running
    finally:
        running.stop()


def test_make_run_serves_in_production_mode_and_operator_commands_just_work(make_run):
    """Operations: gunicorn answers with DEBUG off and collected static files; `createsuperuser` and
    `reconcile_quotas` in another terminal reach the same database, and the new administrator can upload."""
    signup = requests.get(f"{make_run.url}/accounts/signup/", timeout=10)
    assert signup.status_code == 200 and signup.headers["Server"].startswith("gunicorn")
    stylesheet = requests.get(f"{make_run.url}/static/css/kite.css", timeout=10)
    assert stylesheet.status_code == 200
    missing = requests.get(f"{make_run.url}/no-such-page/", timeout=10)
    assert missing.status_code == 404 and "URLconf" not in missing.text  # no debug page
    # Documents, the database and secrets are nobody else's business on this machine.
    assert stat.S_IMODE(make_run.var_dir.stat().st_mode) == 0o700
    for private in ["kite.env", "secret_key", "kite.sqlite3"]:
        assert stat.S_IMODE((make_run.var_dir / private).stat().st_mode) & 0o077 == 0, private

    made = make_run.manage(
        "createsuperuser",
        "--noinput",
        "--username",
        "root",
        "--email",
        "root@example.com",
        DJANGO_SUPERUSER_PASSWORD="pw 4 root!",
    )
    assert made.returncode == 0, made.stdout + made.stderr
    reconciled = make_run.manage("reconcile_quotas")
    assert reconciled.returncode == 0 and "No drift" in reconciled.stdout, reconciled.stdout + reconciled.stderr

    token = requests.post(
        f"{make_run.url}/api/auth/token/", json={"username": "root", "password": "pw 4 root!"}, timeout=10
    )
    assert token.status_code == 201, token.text
    headers = {"Authorization": f"Token {token.json()['token']}"}
    data = b"the first document of a new administrator"
    upload = requests.post(
        f"{make_run.url}/api/documents/upload-url/",
        json={"filename": "first.txt", "size_bytes": len(data), "content_type": "text/plain"},
        headers=headers,
        timeout=10,
    )
    assert upload.status_code == 201, upload.text
    presigned = upload.json()["upload"]
    stored = requests.post(presigned["url"], data=presigned["fields"], files={"file": ("first.txt", data)}, timeout=30)
    assert stored.status_code in (200, 201, 204), stored.text
    document_id = upload.json()["document"]["id"]
    confirmed = requests.post(f"{make_run.url}/api/documents/{document_id}/confirm/", headers=headers, timeout=10)
    assert confirmed.status_code == 200, confirmed.text
    assert requests.get(f"{make_run.url}/api/quota/", headers=headers, timeout=10).json()["used_bytes"] == len(data)


def test_killing_the_supervisor_leaves_nothing_running(tmp_path):
    """Operations: when `make run` is killed without Ctrl-C (SIGKILL, a closed terminal), its storage, broker,
    web server and worker go with it, so the next `make run` finds its ports free."""
    running = MakeRun(tmp_path / "var")
    try:
        running.wait_until_serving()
        running.proc.kill()
        running.proc.wait(timeout=10)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not all(port_is_free(port) for port in running.ports.values()):
            time.sleep(0.5)
        assert all(port_is_free(port) for port in running.ports.values()), running.ports
    finally:
        running.stop()
