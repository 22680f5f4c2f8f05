"""Run Kite with everything it needs: `python -m devtools.devstack run` (make run) or `dev` (make dev).

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

from devtools.embedded import ChildProcess, SeaweedFS, Valkey, die_with_parent, port_is_free, wait_for_port

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
RUN_S3_PORT = 8333
RUN_BROKER_PORT = 6391
WEB_PORT = 8000


def log(message: str) -> None:
    print(f"kite: {message}", flush=True)


def _stored_secret(path: Path, make) -> str:
    if not path.exists():
        # Created readable by its owner alone, never briefly by everyone.
        with os.fdopen(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600), "w") as file:
            file.write(make())
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


def start_embedded(
    var_dir: Path, env: dict, s3_port: int, broker_port: int, persist: bool, tied: bool = False
) -> list[ChildProcess]:
    """Start SeaweedFS and Valkey unless `env` names external ones; fill `env` in."""
    started: list[ChildProcess] = []
    try:
        if not env.get("S3_ENDPOINT_URL"):
            access = env.setdefault("S3_ACCESS_KEY_ID", "kite-" + secrets.token_hex(6))
            secret = env.setdefault("S3_SECRET_ACCESS_KEY", secrets.token_urlsafe(24))
            seaweed = SeaweedFS(var_dir / "seaweedfs", s3_port, access, secret, tied=tied)
            log(f"starting SeaweedFS (S3 on 127.0.0.1:{s3_port}, data in {seaweed.data_dir})")
            seaweed.start()
            started.append(seaweed)
            seaweed.wait_until_ready(storage_ready_check(seaweed.endpoint_url, access, secret))
            env["S3_ENDPOINT_URL"] = seaweed.endpoint_url
        if not env.get("BROKER_URL"):
            valkey = Valkey(var_dir / "valkey", broker_port, persist=persist, tied=tied)
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


def manage(env: dict, *args: str, tied: bool = False) -> None:
    options = {"preexec_fn": die_with_parent(signal.SIGTERM)} if tied else {}
    subprocess.run([PYTHON, str(BASE_DIR / "manage.py"), *args], env=env, check=True, cwd=BASE_DIR, **options)


class KiteProcess(ChildProcess):
    """One of Kite's own processes (web server, worker, scheduler), run with the environment `make run` chose."""

    grace_seconds = 10.0  # the worker finishes or requeues its messages before exiting

    def __init__(self, name: str, args: list[str], env: dict, tied: bool = False) -> None:
        super().__init__(tied)
        self.name = name
        self.proc = subprocess.Popen(args, env=env, cwd=BASE_DIR, **self._popen_options())


# What `make run` decides, written where kite/settings.py finds it (var/kite.env) for operator commands.
RECORDED = [
    "SECRET_KEY",
    "DATABASE_URL",
    "S3_ENDPOINT_URL",
    "S3_PUBLIC_ENDPOINT_URL",
    "S3_BUCKET",
    "S3_ACCESS_KEY_ID",
    "S3_SECRET_ACCESS_KEY",
    "BROKER_URL",
    "KITE_UPLOAD_ORIGINS",
]


def record_choices(var_dir: Path, env: dict) -> Path:
    path = var_dir / "kite.env"
    lines = [
        "# Written by `make run` at each start: what it chose, for manage.py in another terminal.",
        "# Variables set in the environment take precedence over these.",
        *(f"{name}={env[name]}" for name in RECORDED if env.get(name)),
    ]
    temporary = path.with_suffix(".tmp")
    temporary.unlink(missing_ok=True)
    with os.fdopen(os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600), "w") as file:
        file.write("\n".join(lines) + "\n")
    temporary.replace(path)
    return path


def _port(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def web_command(dev: bool, host: str, port: int) -> list[str]:
    if dev:
        return [PYTHON, "manage.py", "runserver", f"{host}:{port}"]
    # The production server, as compose runs it; gunicorn's workers exit when their master does.
    return [
        PYTHON,
        "-m",
        "gunicorn",
        "kite.wsgi",
        "--bind",
        f"{host}:{port}",
        "--workers",
        "2",
        "--preload",
        "--logger-class",
        "kite.logs.RedactingLogger",
    ]


def prepare_env(var_dir: Path, dev: bool, web_port: int) -> dict:
    """The environment of every child: the operator's, plus what this run decides."""
    env = dict(os.environ)
    env["DEBUG"] = "true" if dev else env.get("DEBUG", "false")
    env.setdefault("SECRET_KEY", _stored_secret(var_dir / "secret_key", lambda: secrets.token_urlsafe(50)))
    env.setdefault("DATABASE_URL", f"sqlite:///{var_dir / 'kite.sqlite3'}")
    if web_port != WEB_PORT:
        env.setdefault("KITE_UPLOAD_ORIGINS", f"http://127.0.0.1:{web_port},http://localhost:{web_port}")
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
    return env


def run(dev: bool = False) -> int:
    """make run (production server, DEBUG off) or make dev (autoreloading development server, DEBUG on):
    embedded services, migrations, static files, the bucket, the web server, one worker and the scheduler."""
    # Documents, the database and secrets live under var/: nobody else on this machine may read them, and
    # every file the children make inherits that.
    os.umask(0o077)
    var_dir = Path(os.environ.get("KITE_VAR_DIR", BASE_DIR / "var"))
    var_dir.mkdir(parents=True, exist_ok=True)
    var_dir.chmod(0o700)
    host = "127.0.0.1"
    web_port = _port("KITE_WEB_PORT", WEB_PORT)
    s3_port = _port("KITE_S3_PORT", RUN_S3_PORT)
    broker_port = _port("KITE_BROKER_PORT", RUN_BROKER_PORT)
    env = prepare_env(var_dir, dev, web_port)
    wanted = (
        [web_port]
        + ([] if env.get("S3_ENDPOINT_URL") else [s3_port])
        + ([] if env.get("BROKER_URL") else [broker_port])
    )
    busy = [p for p in wanted if not port_is_free(p)]
    if busy:
        log(f"port(s) {', '.join(map(str, busy))} already in use: is another Kite running?")
        return 1

    services: list[ChildProcess] = []
    stopping = False

    def request_stop(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGHUP, request_stop)  # a closed terminal stops Kite as Ctrl-C does
    try:
        services += start_embedded(var_dir, env, s3_port, broker_port, persist=True, tied=True)
        record_choices(var_dir, env)
        log("migrating the database")
        manage(env, "migrate", "--noinput", tied=True)
        if not dev:
            manage(env, "collectstatic", "--noinput", "--verbosity", "0", tied=True)
        manage(env, "ensure_bucket", tied=True)
        worker = [PYTHON, "manage.py", "rundramatiq", "--processes", "1", "--threads", "2"]
        services.append(KiteProcess("worker", [*worker, "--worker-shutdown-timeout", "8000"], env, tied=True))
        services.append(KiteProcess("scheduler", [PYTHON, "manage.py", "run_periodic"], env, tied=True))
        web = KiteProcess("web", web_command(dev, host, web_port), env, tied=True)
        services.append(web)
        wait_for_port(web_port, 60, web.proc)  # say "running" once it answers
        debug = "on" if env["DEBUG"].lower() in ("1", "true", "yes", "on") else "off"
        mode = f"{'development server' if dev else 'gunicorn'}, DEBUG {debug}"
        log(f"Kite is running at http://{host}:{web_port}/ ({mode}) — press Ctrl-C to stop")
        log(f"manage.py in another terminal uses the same settings ({var_dir / 'kite.env'})")
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
    parser.add_argument("command", choices=["run", "dev"])
    options = parser.parse_args()
    return run(dev=options.command == "dev")


if __name__ == "__main__":
    sys.exit(main())
