"""Reading a file in a child process with CPU-time, memory and wall-clock limits (READ-03).

A hostile PDF, Word file or image can make its parser run for hours or take gigabytes; in a child process it hits
a limit, is killed, and fails alone while the worker goes on with everyone else's documents. The child is
`python -m documents.sandbox`: it sets its own limits first (so the parent, a threaded Dramatiq worker, never
runs code between fork and exec), reads a JSON header line and the file from stdin, and writes JSON lines: one
`{"progress": [page, pages]}` per page read by OCR (READ-04), then the answer. It leads its own process group, so
an OCR engine it started dies with it.

The CPU limit has two stages: KITE_EXTRACT_SECONDS for parsing, lifted by documents.reading to its ceiling
(parsing plus KITE_OCR_SECONDS) once OCR starts; reading stops by itself at KITE_OCR_SECONDS and keeps what it has.
"""

from __future__ import annotations

import base64
import json
import os
import resource
import signal
import subprocess
import sys
import threading
from collections.abc import Callable

from documents.extraction import ExtractionError
from documents.limits import wall_seconds
from documents.reading import Limits, Reading

TOO_LONG = "Reading this file took too long, so Kite stopped. It may be damaged or built to overload readers."
TOO_BIG = "Reading this file needed too much memory, so Kite stopped. It may be damaged or built to overload readers."
COULD_NOT_READ = "This file could not be read."
# Room for a thumbnail and the answer's other fields beyond its text.
ANSWER_SLACK_BYTES = 4 * 1024 * 1024


def read_limited(
    data: bytes,
    *,
    content_type: str,
    filename: str,
    limits: Limits,
    seconds: int,
    memory_bytes: int,
    progress: Callable[[int, int], None] = lambda page, pages: None,
) -> Reading:
    """documents.reading.read in a child process; raises ExtractionError past any limit."""
    header = json.dumps({"content_type": content_type, "filename": filename, "limits": limits.__dict__})
    ceiling = seconds + limits.ocr_seconds
    child = subprocess.Popen(
        [sys.executable, "-m", "documents.sandbox", str(seconds), str(ceiling), str(memory_bytes)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env=_child_environment(),
    )
    deadline_passed = threading.Event()

    def kill() -> None:
        deadline_passed.set()
        _kill_group(child)

    timer = threading.Timer(wall_seconds(seconds, limits.ocr_seconds), kill)
    timer.start()
    answer: dict = {}
    try:
        assert child.stdin is not None and child.stdout is not None
        try:
            child.stdin.write(header.encode() + b"\n" + data)
            child.stdin.close()
        except BrokenPipeError:
            pass  # the child ended before reading everything; its answer (or its signal) says why
        # The child's answer holds at most max_chars of text (JSON escapes at most sextuple it) and a thumbnail:
        # a longer line is not an answer, and the worker must not hold it.
        longest = limits.max_chars * 6 + ANSWER_SLACK_BYTES
        stdout = child.stdout
        for line in iter(lambda: stdout.readline(longest), b""):
            if not line.endswith(b"\n"):
                _kill_group(child)
                child.wait()
                raise ExtractionError(COULD_NOT_READ)
            message = _parse(line)
            if "progress" in message:
                progress(*message["progress"])
            else:
                answer = message
        child.wait()
    finally:
        timer.cancel()
        _kill_group(child)  # an engine the child started must not outlive it
        if child.stdout is not None:
            child.stdout.close()
    if deadline_passed.is_set() or child.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        raise ExtractionError(TOO_LONG)
    if not answer:
        # The parser crashed the interpreter outright (a C extension out of memory, a segfault).
        raise ExtractionError(TOO_BIG if child.returncode == -signal.SIGSEGV else COULD_NOT_READ)
    if "error" in answer:
        raise ExtractionError(answer["error"])
    thumbnail = answer.pop("thumbnail")
    return Reading(**answer, thumbnail=base64.b64decode(thumbnail) if thumbnail else None)


# All a reader needs of the worker's environment: never its database address, storage keys or secrets, which a
# parser bug exploited by a hostile file could otherwise read.
_PASSED_ON = ("PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "TMPDIR", "TESSDATA_PREFIX")


def _child_environment() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if name in _PASSED_ON}


def _parse(line: bytes) -> dict:
    try:
        message = json.loads(line)
    except ValueError:
        return {}
    return message if isinstance(message, dict) else {}


def _kill_group(child: subprocess.Popen) -> None:
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _limit(seconds: int, ceiling: int, memory_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, ceiling + 1))
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


def _die_with_parent() -> None:
    """The child leads its own process group, so a worker killed outright sends it no signal: the kernel does."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the worker died before the line above ran
        os._exit(1)


def _child(argv: list[str]) -> dict:
    memory_bytes = int(argv[3])
    _die_with_parent()
    _limit(int(argv[1]), int(argv[2]), memory_bytes)
    from documents import ocr, reading

    header = json.loads(sys.stdin.buffer.readline())
    data = sys.stdin.buffer.read()
    try:
        read = reading.read(
            data,
            content_type=header["content_type"],
            filename=header["filename"],
            limits=reading.Limits(**header["limits"]),
            progress=_say_progress,
        )
    except MemoryError:
        return {"error": TOO_BIG}
    except ExtractionError as error:
        return {"error": TOO_BIG if _near_memory_limit(memory_bytes) else str(error)}
    except ocr.OcrUnavailable as error:
        return {"error": str(error)}
    except RecursionError:
        return {"error": COULD_NOT_READ}
    answer = dict(read.__dict__)
    answer["thumbnail"] = base64.b64encode(read.thumbnail).decode() if read.thumbnail else None
    return answer


def _say_progress(page: int, pages: int) -> None:
    sys.stdout.write(json.dumps({"progress": [page, pages]}) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    answer = _child(sys.argv)
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()
