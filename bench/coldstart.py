"""A web worker's cold start and what a response costs on the wire, measured through gunicorn itself.

Cold start: gunicorn is started as `make run` starts it (two sync workers, `--preload`, `kite.wsgi`, which reads
the URL configuration before the fork), and the way it was started before: no `--preload`, each worker calling
Django's own `get_wsgi_application()`, so the URL configuration and every view are imported at a worker's
first request. For each, a few times: the seconds from starting the process until its port answers, the first
request (an authenticated list page, then an API list), and then, once both workers have served, each
process's resident (RSS) and proportional (PSS, shared pages divided among the processes that share them)
memory from /proc/<pid>/smaps_rollup.

Bytes on the wire: the list page, a search page and an API page, asked for with `Accept-Encoding: identity` and
with `Accept-Encoding: gzip` over a plain socket, counting every byte the server sent (headers and body, as it
sent them: nothing is decoded), so what Django's GZipMiddleware saves is what the network carries.

`python -m bench.coldstart` runs both alone, on its own embedded SeaweedFS and the PostgreSQL database
DATABASE_URL names (default `kite_coldstart_bench`, dropped and made again: its name must contain "bench"),
with one person's realistic documents (bench/seed.py), keeps its results in var/coldstart.json and prints
their Markdown.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import sys
import time
from pathlib import Path

from devtools.devstack import KiteProcess, log, web_command
from devtools.embedded import free_port_block

DOCUMENTS = 1000
RUNS = 5
# How each mode starts gunicorn: (label, what replaces `kite.wsgi`, whether --preload stays).
MODES = [
    ("before: no `--preload`, URL configuration read at the first request", "django.core.wsgi:get_wsgi_application()"),
    ("after: `--preload`, `kite.wsgi` reads the URL configuration", "kite.wsgi"),
]
# (label, kind, path): kind "page" sends the session cookie, "api" the token.
WIRE_PATHS = [
    ("List page (25 rows)", "page", "/documents/"),
    ("Search page (`invoice`)", "page", "/documents/?q=invoice"),
    ("API list, default page (25)", "api", "/api/documents/"),
    ("API list, `page_size=100`", "api", "/api/documents/?page_size=100"),
]


def gunicorn_args(application: str, port: int) -> list[str]:
    """`make run`'s gunicorn command (quiet but for warnings); for the lazy application, without `--preload`."""
    args = [*web_command(False, "127.0.0.1", port), "--log-level", "warning"]
    if application != "kite.wsgi":
        args = [application if arg == "kite.wsgi" else arg for arg in args if arg != "--preload"]
    return args


def fetch(port: int, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes, int]:
    """GET `path` over a plain socket: (status, headers, body as sent, every byte received).

    Nothing is decoded: a gzip body stays gzip, so the count is what crossed the network."""
    lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    with socket.create_connection(("127.0.0.1", port), timeout=120) as connection:
        connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        received = bytearray()
        while chunk := connection.recv(65536):
            received += chunk
    head, _, body = bytes(received).partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    answer = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        answer[name.strip().lower()] = value.strip()
    if answer.get("transfer-encoding", "").lower() == "chunked":
        raise RuntimeError(f"{path} answered in chunks: the body would include their framing")
    return int(status_line.split()[1]), answer, body, len(received)


def _wait_for_port(port: int, child: KiteProcess, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {child.proc.returncode} before its port opened")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.01)
    raise TimeoutError(f"port {port} did not open within {timeout}s")


def _children(master: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                pids.append(int(entry.name))
    return sorted(pids)


def memory_mib(pid: int) -> dict[str, float]:
    """Rss and Pss of one process, in MiB, from the kernel's rollup of its mappings."""
    values = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("Rss", "Pss"):
            values[name.lower()] = int(rest.split()[0]) / 1024
    return values


def _get(port: int, path: str, auth: dict[str, str]) -> float:
    started = time.perf_counter()
    status, _, _, _ = fetch(port, path, auth)
    seconds = time.perf_counter() - started
    if status != 200:
        raise RuntimeError(f"{path} answered {status}")
    return seconds


def _one_start(application: str, env: dict, page: dict, api: dict) -> dict:
    port = free_port_block(1)
    started = time.perf_counter()
    child = KiteProcess("web", gunicorn_args(application, port), env)
    try:
        _wait_for_port(port, child)
        port_seconds = time.perf_counter() - started
        list_seconds = _get(port, "/documents/", page)
        served_seconds = time.perf_counter() - started
        api_seconds = _get(port, "/api/documents/", api)
        # Enough more requests that both workers have served pages and the API before memory is read.
        later = [
            _get(port, path, auth) for _ in range(4) for path, auth in (("/documents/", page), ("/api/documents/", api))
        ]
        workers = _children(child.proc.pid)
        return {
            "port_seconds": port_seconds,
            "first_list_seconds": list_seconds,
            "first_served_seconds": served_seconds,
            "first_api_seconds": api_seconds,
            "slowest_later_seconds": max(later),
            "master": memory_mib(child.proc.pid),
            "workers": [memory_mib(pid) for pid in workers],
        }
    finally:
        child.stop()


def _credentials() -> tuple[dict, dict, dict]:
    """One person with DOCUMENTS realistic documents; a session cookie for pages and a token for the API."""
    from django.conf import settings
    from django.test import Client

    from accounts.models import User
    from bench import seed
    from bench.corpus import Corpus

    seed.system_topics()
    person = seed.user_with_token("casey")
    seed.bulk_documents(person["id"], 0, DOCUMENTS, Corpus())
    seed.reconcile_quotas()
    seed.vacuum_analyze()
    client = Client()
    client.force_login(User.objects.get(pk=person["id"]))
    page = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"}
    return person, page, {"Authorization": f"Token {person['token']}"}


def _median(runs: list[dict], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def measure(runs: int = RUNS) -> dict:
    person, page, api = _credentials()
    env = dict(os.environ)
    results: dict = {"documents": DOCUMENTS, "runs": runs, "cold": [], "wire": []}
    for label, application in MODES:
        log(f"cold start: {label}")
        starts = [_one_start(application, env, page, api) for _ in range(runs)]
        summary = {
            key: _median(starts, key)
            for key in (
                "port_seconds",
                "first_list_seconds",
                "first_served_seconds",
                "first_api_seconds",
                "slowest_later_seconds",
            )
        }
        for name in ("rss", "pss"):
            summary[f"worker_{name}_mib"] = statistics.median(w[name] for run in starts for w in run["workers"])
            summary[f"master_{name}_mib"] = statistics.median(run["master"][name] for run in starts)
            summary[f"total_{name}_mib"] = statistics.median(
                run["master"][name] + sum(w[name] for w in run["workers"]) for run in starts
            )
        results["cold"].append({"label": label, "application": application, **summary})
    log("bytes on the wire")
    port = free_port_block(1)
    child = KiteProcess("web", gunicorn_args("kite.wsgi", port), env)
    try:
        _wait_for_port(port, child)
        for label, kind, path in WIRE_PATHS:
            auth = page if kind == "page" else api
            row: dict = {"label": label, "path": path}
            for encoding in ("identity", "gzip"):
                status, headers, body, total = fetch(port, path, {**auth, "Accept-Encoding": encoding})
                if status != 200:
                    raise RuntimeError(f"{path} answered {status}")
                row[encoding] = {"total": total, "body": len(body), "encoding": headers.get("content-encoding", "")}
            results["wire"].append(row)
    finally:
        child.stop()
    results["load"] = os.getloadavg()
    results["cpus"] = os.cpu_count()
    return results


def _kib(count: int) -> str:
    return f"{count / 1024:.1f} KiB"


def markdown(results: dict, number: int = 9) -> str:
    before, after = results["cold"]
    load = ", ".join(f"{value:.1f}" for value in results["load"])
    cold_rows = [
        f"| {c['label']} | {c['port_seconds']:.2f} s | {c['first_list_seconds']:.2f} s | "
        f"{c['first_served_seconds']:.2f} s | {c['first_api_seconds']:.2f} s | {c['slowest_later_seconds']:.2f} s | "
        f"{c['worker_rss_mib']:.0f} / {c['worker_pss_mib']:.0f} MiB | {c['master_rss_mib']:.0f} / "
        f"{c['master_pss_mib']:.0f} MiB | {c['total_pss_mib']:.0f} MiB |"
        for c in results["cold"]
    ]
    wire_rows = []
    for row in results["wire"]:
        plain, packed = row["identity"], row["gzip"]
        saved = 1 - packed["total"] / plain["total"]
        wire_rows.append(
            f"| {row['label']} | `{row['path']}` | {_kib(plain['total'])} | {_kib(packed['total'])} "
            f"({packed['encoding'] or 'not compressed'}) | {saved:.0%} |"
        )
    return "\n".join(
        [
            f"## {number}. Cold start of a web worker",
            "",
            "gunicorn with two sync workers on the bench's configuration (PostgreSQL, `DEBUG` off), started "
            f"{results['runs']} times each way with one person owning {results['documents']} documents; medians. "
            "*Port answers* is from starting the process until a connection is accepted; *first page served* "
            "adds the first request, an authenticated list page; the first API list follows. Memory is read "
            "from `/proc/<pid>/smaps_rollup` once both workers have served: RSS counts every page a process "
            "maps, PSS divides each shared page among the processes sharing it, so the PSS column adds up.",
            "",
            "| how gunicorn starts | port answers | first list page | first page served | first API list "
            "| slowest of the next 8 | each worker RSS / PSS | master RSS / PSS | all three, PSS |",
            "|---|---|---|---|---|---|---|---|---|",
            *cold_rows,
            "",
            "Without `--preload` the port opens at once but the first request waits for its worker to import "
            "Django's URL configuration and every view; the other worker pays the same at its own first request "
            "(the slowest of the next eight). With `--preload` the master pays that once, before it opens its "
            "port, and the workers it forks share those pages until they write to them: each worker's own "
            f"share (PSS) goes from {before['worker_pss_mib']:.0f} to {after['worker_pss_mib']:.0f} MiB, and the "
            f"server as a whole (the last column, what the machine gives it) from {before['total_pss_mib']:.0f} "
            f"to {after['total_pss_mib']:.0f} MiB. PSS also shares out the library pages other processes on the "
            "machine map, so read it to a few MiB.",
            "",
            f"## {number + 1}. Response bytes on the wire",
            "",
            "Each response asked for once with `Accept-Encoding: identity` and once with `Accept-Encoding: gzip` "
            "over a plain socket; every byte gunicorn sent is counted (status line, headers and body, nothing "
            "decoded), so the gzip column is what the network carries with Django's `GZipMiddleware`.",
            "",
            "| response | path | identity | gzip | saved |",
            "|---|---|---|---|---|",
            *wire_rows,
            "",
            f"Measured on {results['cpus']} cores shared with other work "
            f"(load average {load} over 1, 5 and 15 minutes at the end): read the times as this machine's, the "
            "memory and the bytes as Kite's.",
        ]
    )


def main() -> int:
    from django.core.management import call_command

    from bench import run

    with run.throwaway_kite("kite_coldstart_bench", "bench-coldstart") as var_dir:
        call_command("collectstatic", verbosity=0, interactive=False)
        results = measure()
        (var_dir.parent / "coldstart.json").write_text(json.dumps(results, indent=2))
        print(
            markdown(results)
            + "\n\nMeasured alone with `python -m bench.coldstart` (the same sections `make bench` runs last)."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
