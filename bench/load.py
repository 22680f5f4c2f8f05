"""Concurrent HTTP clients for the benchmark, and the statistics of what they measured (127.0.0.1 only)."""

from __future__ import annotations

import base64
import hashlib
import re
import statistics
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
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
        self,
        data: bytes,
        filename: str,
        content_type: str,
        timings: Timings | None = None,
        sha256: str = "",
        part_size: int | None = None,
        part_sha256: list[str] | None = None,
    ) -> dict:
        """D-05 as a browser does it: upload-url, the bytes straight to storage, confirm.

        With `part_size` (a file above the multipart threshold, UP-01) the bytes go as parts, PARALLEL_PARTS at
        once, each PUT with its SHA-256; otherwise as one multipart/form-data POST. The browser hashes the file
        (and its parts) before it starts; pass `sha256` and `part_sha256` to keep hashing out of the timings.
        """
        body: dict = {
            "filename": filename,
            "size_bytes": len(data),
            "content_type": content_type,
            "sha256": sha256 or hashlib.sha256(data).hexdigest(),
        }
        if part_size:
            body["part_size"] = part_size
            body["part_sha256"] = part_sha256 or part_hashes(data, part_size)
        answer = self.post("/api/documents/upload-url/", body, timings, "upload-url")
        assert answer.status_code == 201, answer.text
        upload = answer.json()["upload"]
        started = time.perf_counter()
        if upload["multipart"]:
            put_parts(data, upload["part_size"], body["part_sha256"], upload["parts"])
        else:
            stored = requests.post(upload["url"], data=upload["fields"], files={"file": (filename, data)}, timeout=300)
            assert stored.status_code in (200, 201, 204), stored.text
        if timings is not None:
            timings.add("storage", time.perf_counter() - started)
        document_id = answer.json()["document"]["id"]
        confirmed = self.post(f"/api/documents/{document_id}/confirm/", None, timings, "confirm")
        assert confirmed.status_code == 200, confirmed.text
        return confirmed.json()


PARALLEL_PARTS = 4  # as the upload page (static/js/upload.js)


def part_hashes(data: bytes, part_size: int) -> list[str]:
    return [hashlib.sha256(data[start : start + part_size]).hexdigest() for start in range(0, len(data), part_size)]


def put_parts(data: bytes, part_size: int, hashes: list[str], parts: list[dict]) -> None:
    """PUT each part to its URL with its checksum header, PARALLEL_PARTS at once, each on its own connection."""
    local = threading.local()

    def put(part: dict) -> None:
        if not hasattr(local, "http"):
            local.http = requests.Session()
        number = part["number"]
        checksum = base64.b64encode(bytes.fromhex(hashes[number - 1])).decode()
        body = memoryview(data)[(number - 1) * part_size : number * part_size]
        answer = local.http.put(part["url"], data=body, headers={"x-amz-checksum-sha256": checksum}, timeout=300)
        assert answer.status_code == 200, answer.text

    with ThreadPoolExecutor(max_workers=PARALLEL_PARTS) as pool:
        list(pool.map(put, parts))


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
