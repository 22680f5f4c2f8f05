"""Run Kite with everything it needs: `python -m devtools.devstack run` (make run).

Each part (database, storage, broker) uses an external service when its
environment variable names one, and an embedded one otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

from devtools.embedded import SeaweedFS, Service, Valkey, port_is_free

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
RUN_S3_PORT = 8333
RUN_BROKER_PORT = 6391
WEB_ADDRESS = ("127.0.0.1", 8000)


def log(message: str) -> None:
    print(f"kite: {message}", flush=True)


def _stored_secret(path: Path, make) -> str:
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


def storage_ready_check(endpoint: str, access: str, secret: str):
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=access,
        aws_secret_access_key=secret,
        region_name="us-east-1",
        config=Config(signature_version="s3v4", retries={"max_attempts": 1}),
    )
    return client.list_buckets


def start_embedded(var_dir: Path, env: dict, s3_port: int, broker_port: int, persist: bool) -> list[Service]:
    """Start SeaweedFS and Valkey unless `env` names external ones; fill `env` in."""
    started: list[Service] = []
    try:
        if not env.get("S3_ENDPOINT_URL"):
            access = env.setdefault("S3_ACCESS_KEY_ID", "kite-" + secrets.token_hex(6))
            secret = env.setdefault("S3_SECRET_ACCESS_KEY", secrets.token_urlsafe(24))
            seaweed = SeaweedFS(var_dir / "seaweedfs", s3_port, access, secret)
            log(f"starting SeaweedFS (S3 on 127.0.0.1:{s3_port}, data in {seaweed.data_dir})")
            seaweed.start()
            started.append(seaweed)
            seaweed.wait_until_ready(storage_ready_check(seaweed.endpoint_url, access, secret))
            env["S3_ENDPOINT_URL"] = seaweed.endpoint_url
        if not env.get("BROKER_URL"):
            valkey = Valkey(var_dir / "valkey", broker_port, persist=persist)
            log(f"starting Valkey on 127.0.0.1:{broker_port}")
            valkey.start()
            started.append(valkey)
            env["BROKER_URL"] = valkey.url
    except BaseException:
        stop_all(started)
        raise
    return started


def stop_all(services: list) -> None:
    for service in reversed(services):
        service.stop()


def manage(env: dict, *args: str) -> None:
    subprocess.run([PYTHON, str(BASE_DIR / "manage.py"), *args], env=env, check=True, cwd=BASE_DIR)


class Child(Service):
    grace_seconds = 10.0  # the worker finishes or requeues its messages before exiting

    def __init__(self, name: str, args: list[str], env: dict) -> None:
        super().__init__()
        self.name = name
        self.proc = subprocess.Popen(args, env=env, cwd=BASE_DIR, start_new_session=True)


def run(argv: list[str]) -> int:
    """make run: embedded services, migrations, the bucket, the web server and one worker."""
    var_dir = Path(os.environ.get("KITE_VAR_DIR", BASE_DIR / "var"))
    var_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.setdefault("DEBUG", "true")
    env.setdefault("SECRET_KEY", _stored_secret(var_dir / "secret_key", lambda: secrets.token_urlsafe(50)))
    if not env.get("S3_ENDPOINT_URL"):
        # Keep the embedded store's credentials across runs: its identities file is rewritten each start.
        creds = json.loads(
            _stored_secret(
                var_dir / "s3-credentials.json",
                lambda: json.dumps({"access": "kite-" + secrets.token_hex(6), "secret": secrets.token_urlsafe(24)}),
            )
        )
        env.setdefault("S3_ACCESS_KEY_ID", creds["access"])
        env.setdefault("S3_SECRET_ACCESS_KEY", creds["secret"])
    busy = [p for p in (WEB_ADDRESS[1], RUN_S3_PORT, RUN_BROKER_PORT) if not port_is_free(p)]
    if busy and not (env.get("S3_ENDPOINT_URL") and env.get("BROKER_URL") and WEB_ADDRESS[1] not in busy):
        log(f"port(s) {', '.join(map(str, busy))} already in use: is another Kite running?")
        return 1

    services: list[Service] = []
    stopping = False

    def request_stop(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        services += start_embedded(var_dir, env, RUN_S3_PORT, RUN_BROKER_PORT, persist=True)
        log("migrating the database")
        manage(env, "migrate", "--noinput")
        manage(env, "ensure_bucket")
        host, port = WEB_ADDRESS
        services.append(
            Child(
                "worker",
                [
                    PYTHON,
                    "manage.py",
                    "rundramatiq",
                    "--processes",
                    "1",
                    "--threads",
                    "2",
                    "--worker-shutdown-timeout",
                    "8000",
                ],
                env,
            )
        )
        services.append(Child("scheduler", [PYTHON, "manage.py", "run_periodic"], env))
        services.append(Child("web", [PYTHON, "manage.py", "runserver", f"{host}:{port}", "--noreload"], env))
        log(f"Kite is running at http://{host}:{port}/ — press Ctrl-C to stop")
        while not stopping:
            dead = [s for s in services if not s.running]
            if dead:
                log(f"{dead[0].name} stopped unexpectedly; shutting down")
                return_code = 1
                break
            time.sleep(0.5)
        else:
            return_code = 0
    except subprocess.CalledProcessError as exc:
        log(f"{' '.join(map(str, exc.cmd[1:3]))} failed with exit code {exc.returncode}")
        return_code = 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        log("stopping")
        stop_all(services)
        log("stopped")
    return return_code


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.devstack")
    parser.add_argument("command", choices=["run"])
    parser.add_argument("args", nargs=argparse.REMAINDER)
    options = parser.parse_args()
    args = options.args[1:] if options.args[:1] == ["--"] else options.args
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
