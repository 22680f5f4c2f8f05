"""Concurrent HTTP clients for the benchmark, and the statistics of what they measured (127.0.0.1 only)."""

from __future__ import annotations

import hashlib
import re
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import requests


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile (p in 0..100)."""
    ordered = sorted(values)
    rank = max(1, round(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass
class Timings:
    """Seconds per call, by name."""

    calls: dict[str, list[float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str, seconds: float) -> None:
        with self.lock:
            self.calls.setdefault(name, []).append(seconds)

    def summary(self, name: str) -> dict:
        values = self.calls.get(name, [])
        return {
            "n": len(values),
            "median_ms": statistics.median(values) * 1000 if values else None,
            "p95_ms": percentile(values, 95) * 1000 if values else None,
        }


class Client:
    """One API user over HTTP: a token for the API, and a session cookie for the pages once logged in."""

    def __init__(self, base_url: str, token: str | None = None) -> None:
        self.base_url = base_url
        self.http = requests.Session()
        if token:
            self.http.headers["Authorization"] = f"Token {token}"

    def login(self, username: str, password: str) -> None:
        """Log in through the real login page, keeping only the session cookie (no token on page requests)."""
        page = requests.Session()
        form = page.get(f"{self.base_url}/accounts/login/", timeout=30)
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
        answer = page.post(
            f"{self.base_url}/accounts/login/",
            data={"username": username, "password": password, "csrfmiddlewaretoken": csrf},
            headers={"Referer": f"{self.base_url}/accounts/login/"},
            allow_redirects=False,
            timeout=30,
        )
        assert answer.status_code == 302, f"login failed: {answer.status_code}"
        self.http.headers.pop("Authorization", None)
        self.http.headers["Cookie"] = f"sessionid={page.cookies['sessionid']}"

    def get(self, path: str, timings: Timings | None = None, name: str | None = None) -> requests.Response:
        started = time.perf_counter()
        answer = self.http.get(self.base_url + path, timeout=60)
        if timings is not None:
            timings.add(name or path, time.perf_counter() - started)
        answer.raise_for_status()
        return answer

    def post(self, path: str, body: dict | None = None, timings: Timings | None = None, name: str | None = None):
        started = time.perf_counter()
        answer = self.http.post(self.base_url + path, json=body, timeout=120)
        if timings is not None:
            timings.add(name or path, time.perf_counter() - started)
        return answer

    def upload(
        self, data: bytes, filename: str, content_type: str, timings: Timings | None = None, sha256: str = ""
    ) -> dict:
        """D-05 as a browser does it: upload-url, a multipart POST straight to storage, confirm.

        The browser hashes the file before it starts; pass `sha256` to keep hashing out of the timings.
        """
        body = {
            "filename": filename,
            "size_bytes": len(data),
            "content_type": content_type,
            "sha256": sha256 or hashlib.sha256(data).hexdigest(),
        }
        answer = self.post("/api/documents/upload-url/", body, timings, "upload-url")
        assert answer.status_code == 201, answer.text
        upload = answer.json()["upload"]
        started = time.perf_counter()
        stored = requests.post(upload["url"], data=upload["fields"], files={"file": (filename, data)}, timeout=300)
        if timings is not None:
            timings.add("storage POST", time.perf_counter() - started)
        assert stored.status_code in (200, 201, 204), stored.text
        document_id = answer.json()["document"]["id"]
        confirmed = self.post(f"/api/documents/{document_id}/confirm/", None, timings, "confirm")
        assert confirmed.status_code == 200, confirmed.text
        return confirmed.json()


def run_concurrently(workers: int, job: Callable[[int], None]) -> float:
    """Run job(0..workers-1) in as many threads; return the wall time; re-raise the first failure."""
    errors: list[BaseException] = []

    def guarded(number: int) -> None:
        try:
            job(number)
        except BaseException as exc:  # reported after all threads finish
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(number,)) for number in range(workers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - started


def measure_pair(small: list[Client], large: list[Client], paths: tuple[str, str], requests_each: int) -> dict:
    """Median and p95 of the same request for two users, interleaved so that both meet the same conditions.

    Each client thread alternates between the two users (in alternating order), so background load or a
    slow moment affects both sides alike and their ratio stays meaningful on a busy machine.
    """
    for _ in range(10):
        small[0].get(paths[0])
        large[0].get(paths[1])
    timings = Timings()
    per_client = requests_each // len(small)

    def job(number: int) -> None:
        for i in range(per_client):
            order = ((small, paths[0], "small"), (large, paths[1], "large"))
            for clients, path, name in order if (i + number) % 2 == 0 else reversed(order):
                clients[number].get(path, timings, name)

    run_concurrently(len(small), job)
    return {name: timings.summary(name) for name in ("small", "large")}
