"""Reading a file in a child process with CPU-time, memory and wall-clock limits (READ-03).

A hostile PDF or Word file can make its parser run for hours or take gigabytes; in a child process it hits a
limit, is killed, and fails alone while the worker goes on with everyone else's documents. The child is
`python -m documents.sandbox`: it sets its own limits first (so the parent, a threaded Dramatiq worker, never
runs code between fork and exec), reads a JSON header line and the file from stdin, and writes a JSON answer.
"""

from __future__ import annotations

import json
import resource
import signal
import subprocess
import sys

from documents.extraction import ExtractionError

TOO_LONG = "Reading this file took too long, so Kite stopped. It may be damaged or built to overload readers."
TOO_BIG = "Reading this file needed too much memory, so Kite stopped. It may be damaged or built to overload readers."
COULD_NOT_READ = "This file could not be read."
# CPU time is what the limit counts; a busy machine stretches the wall clock, so the deadline allows for that.
WALL_FACTOR = 2
WALL_EXTRA_SECONDS = 5


def extract_text_limited(
    data: bytes, *, content_type: str, filename: str, max_chars: int, seconds: int, memory_bytes: int
) -> str:
    """documents.extraction.extract_text in a child process; raises ExtractionError past any limit."""
    header = json.dumps({"content_type": content_type, "filename": filename, "max_chars": max_chars})
    child = subprocess.Popen(
        [sys.executable, "-m", "documents.sandbox", str(seconds), str(memory_bytes)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        out, _ = child.communicate(header.encode() + b"\n" + data, timeout=seconds * WALL_FACTOR + WALL_EXTRA_SECONDS)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        raise ExtractionError(TOO_LONG) from None
    if child.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        raise ExtractionError(TOO_LONG)
    try:
        answer = json.loads(out)
    except ValueError:
        # The parser crashed the interpreter outright (a C extension out of memory, a segfault).
        raise ExtractionError(TOO_BIG if child.returncode == -signal.SIGSEGV else COULD_NOT_READ) from None
    if "error" in answer:
        raise ExtractionError(answer["error"])
    return answer["text"]


def _limit(seconds: int, memory_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _near_memory_limit(memory_bytes: int) -> bool:
    """Parsers written in C (lxml) report a failed allocation as a parse error, not as MemoryError: a failure
    after this process's address space came close to its limit is taken for what it is.

    VmPeak belongs to this program alone (getrusage's peak would include the worker it was forked from).
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmPeak:"):
                    return int(line.split()[1]) * 1024 > memory_bytes * 0.8
    except OSError:
        pass
    return False


def _child(argv: list[str]) -> dict:
    memory_bytes = int(argv[2])
    _limit(int(argv[1]), memory_bytes)
    from documents.extraction import extract_text

    header = json.loads(sys.stdin.buffer.readline())
    data = sys.stdin.buffer.read()
    try:
        return {"text": extract_text(data, **header)}
    except MemoryError:
        return {"error": TOO_BIG}
    except ExtractionError as error:
        return {"error": TOO_BIG if _near_memory_limit(memory_bytes) else str(error)}
    except RecursionError:
        return {"error": COULD_NOT_READ}


if __name__ == "__main__":
    answer = _child(sys.argv)
    sys.stdout.write(json.dumps(answer))
    sys.stdout.flush()
