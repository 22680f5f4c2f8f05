"""Local stand-ins for the OpenAI chat-completions and Anthropic Messages APIs, so tests drive the official clients
over real HTTP without a network.

Each server records every request and answers either from a queue of scripted responses or, by default, with the
allowed topics whose words appear in the document.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    headers: dict[str, str]
    body: Any
    api_key: str
    model: str

    @property
    def allowed_names(self) -> list[str] | None:
        """The topic names the request's answer schema allows, or None when it has no such schema."""
        return _enum_names(_answer_schema(self.body))


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    # Seconds between single bytes of the body: a server that keeps every read alive and never finishes.
    trickle: float = 0.0

    def encoded(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


Script = Callable[[RecordedRequest], Reply]


class FakeLLMServer:
    """The protocol-independent part: a threaded HTTP server on 127.0.0.1, request log and response queue."""

    kind = ""  # the Kite provider kind this server imitates
    path = ""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._scripts: deque[Script] = deque()
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> FakeLLMServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def origin(self) -> str:
        assert self._httpd is not None, "the server is not running"
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def base_url(self) -> str:
        raise NotImplementedError

    def start(self) -> None:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        # A client that gave up on a delayed answer must not hold up stop().
        self._httpd.block_on_close = False
        # A short poll interval keeps stop(), and so every test's teardown, quick.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, name=type(self).__name__, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join(timeout=5)
            self._httpd = None

    def script(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        """Answer the next unanswered request with this status and body (a dict is sent as JSON)."""
        self._push(lambda request: Reply(status, body, dict(headers or {})))

    def script_error(self, status: int, message: str = "") -> None:
        """Answer the next request with an error shaped like the real API's."""
        self._push(lambda request: self.error_reply(status, message or f"Fake error {status}"))

    def script_topics(self, topics: list[tuple[str, float]]) -> None:
        """Answer the next request with exactly these topics, allowed or not."""
        payload = {"topics": [{"name": name, "confidence": confidence} for name, confidence in topics]}
        self.script_answer(payload)

    def script_answer(self, payload: Any) -> None:
        """Answer the next request with this structured answer, valid or not."""
        self._push(lambda request: self.answer_reply(request, payload))

    def script_text(self, text: str) -> None:
        """Answer the next request with plain text instead of a structured answer."""
        self._push(lambda request: self.text_reply(request, text))

    def script_trickle(self, seconds_per_byte: float) -> None:
        """The next answer arrives one byte every `seconds_per_byte`."""

        def trickled(request: RecordedRequest) -> Reply:
            reply = self.default_reply(request)
            reply.trickle = seconds_per_byte
            return reply

        self._push(trickled)

    def script_delay(self, seconds: float) -> None:
        """Give the default answer to the next request, but only after `seconds`."""
        self._push(lambda request: _delayed(self.default_reply(request), seconds))

    def respond(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            script = self._scripts.popleft() if self._scripts else None
        if request.path != self.path:
            return self.error_reply(404, f"Unknown path {request.path}")
        return script(request) if script else self.default_reply(request)

    def default_reply(self, request: RecordedRequest) -> Reply:
        names = request.allowed_names or []
        document = " ".join(_user_texts(request.body)).casefold()
        chosen = [name for name in names if _words(name) and _words(name) <= _words(document)]
        return self.answer_reply(request, {"topics": [{"name": name, "confidence": 0.9} for name in chosen]})

    def api_key(self, headers: dict[str, str]) -> str:
        bearer = headers.get("authorization", "")
        return bearer.removeprefix("Bearer ") if bearer.startswith("Bearer ") else ""

    def answer_reply(self, request: RecordedRequest, payload: Any) -> Reply:
        raise NotImplementedError

    def text_reply(self, request: RecordedRequest, text: str) -> Reply:
        raise NotImplementedError

    def error_reply(self, status: int, message: str) -> Reply:
        raise NotImplementedError

    def _push(self, script: Script) -> None:
        with self._lock:
            self._scripts.append(script)


class FakeOpenAI(FakeLLMServer):
    """`POST /v1/chat/completions`; answers in `choices[0].message.content` as JSON text."""

    kind = "openai"
    path = "/v1/chat/completions"

    @property
    def base_url(self) -> str:
        return f"{self.origin}/v1"

    def answer_reply(self, request: RecordedRequest, payload: Any) -> Reply:
        return self.text_reply(request, json.dumps(payload))

    def text_reply(self, request: RecordedRequest, text: str) -> Reply:
        prompt_tokens = _token_estimate(json.dumps(request.body))
        completion_tokens = _token_estimate(text)
        return Reply(
            200,
            {
                "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": request.model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text, "refusal": None, "annotations": []},
                        "logprobs": None,
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
                "service_tier": "default",
                "system_fingerprint": "fp_fake",
            },
            {"x-request-id": f"req_{uuid.uuid4().hex}"},
        )

    def error_reply(self, status: int, message: str) -> Reply:
        kinds = {401: "invalid_request_error", 404: "invalid_request_error", 429: "rate_limit_exceeded"}
        error = {
            "message": message,
            "type": kinds.get(status, "server_error" if status >= 500 else "invalid_request_error"),
        }
        headers = {"x-request-id": f"req_{uuid.uuid4().hex}"}
        if status == 429:
            headers["retry-after"] = "1"
        return Reply(status, {"error": {**error, "param": None, "code": None}}, headers)


class FakeAnthropic(FakeLLMServer):
    """`POST /v1/messages`; answers with a `tool_use` block for the tool the request forces."""

    kind = "anthropic"
    path = "/v1/messages"

    @property
    def base_url(self) -> str:
        # The Anthropic client adds /v1/messages to its base URL itself.
        return self.origin

    def api_key(self, headers: dict[str, str]) -> str:
        return headers.get("x-api-key") or super().api_key(headers)

    def answer_reply(self, request: RecordedRequest, payload: Any) -> Reply:
        block = {"type": "tool_use", "id": f"toolu_{uuid.uuid4().hex[:24]}", "name": _tool_name(request.body)}
        return self._message(request, [{**block, "input": payload}], "tool_use", json.dumps(payload))

    def text_reply(self, request: RecordedRequest, text: str) -> Reply:
        return self._message(request, [{"type": "text", "text": text}], "end_turn", text)

    def error_reply(self, status: int, message: str) -> Reply:
        kinds = {
            400: "invalid_request_error",
            401: "authentication_error",
            403: "permission_error",
            404: "not_found_error",
            429: "rate_limit_error",
            529: "overloaded_error",
        }
        error = {"type": kinds.get(status, "api_error"), "message": message}
        headers = {"request-id": f"req_{uuid.uuid4().hex[:24]}"}
        if status == 429:
            headers["retry-after"] = "1"
        return Reply(status, {"type": "error", "error": error, "request_id": headers["request-id"]}, headers)

    def _message(self, request: RecordedRequest, content: list[dict], stop_reason: str, output: str) -> Reply:
        return Reply(
            200,
            {
                "id": f"msg_{uuid.uuid4().hex[:24]}",
                "type": "message",
                "role": "assistant",
                "model": request.model,
                "content": content,
                "stop_reason": stop_reason,
                "stop_sequence": None,
                "usage": {
                    "input_tokens": _token_estimate(json.dumps(request.body)),
                    "output_tokens": _token_estimate(output),
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": 0,
                    "service_tier": "standard",
                },
            },
            {"request-id": f"req_{uuid.uuid4().hex[:24]}"},
        )


def _handler_for(server: FakeLLMServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self._send(server.respond(self._record(raw)))

        def do_GET(self) -> None:
            self._send(server.respond(self._record(b"")))

        def _record(self, raw: bytes) -> RecordedRequest:
            headers = {name.lower(): value for name, value in self.headers.items()}
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode(errors="replace")
            model = body.get("model", "") if isinstance(body, dict) else ""
            return RecordedRequest(self.path, headers, body, server.api_key(headers), model)

        def _send(self, reply: Reply) -> None:
            time.sleep(reply.delay)
            data = reply.encoded()
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if not reply.trickle:
                    self.wfile.write(data)
                for byte in data if reply.trickle else b"":
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(reply.trickle)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client timed out and went away, which is what a delay test wants

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the request log is `server.requests`; stderr noise would only clutter test output

    return Handler


def _delayed(reply: Reply, seconds: float) -> Reply:
    reply.delay = seconds
    return reply


def _answer_schema(body: Any) -> Any:
    if not isinstance(body, dict):
        return None
    response_format = body.get("response_format")
    if isinstance(response_format, dict):
        return (response_format.get("json_schema") or {}).get("schema")
    tools = body.get("tools")
    if isinstance(tools, list) and tools and isinstance(tools[0], dict):
        wanted = _tool_name(body)
        return next((tool.get("input_schema") for tool in tools if tool.get("name") == wanted), None)
    return None


def _enum_names(schema: Any) -> list[str] | None:
    try:
        names = schema["properties"]["topics"]["items"]["properties"]["name"]["enum"]
    except (KeyError, TypeError):
        return None
    return names if isinstance(names, list) else None


def _tool_name(body: Any) -> str:
    choice = body.get("tool_choice") if isinstance(body, dict) else None
    if isinstance(choice, dict) and choice.get("name"):
        return choice["name"]
    tools = body.get("tools") if isinstance(body, dict) else None
    return tools[0].get("name", "") if isinstance(tools, list) and tools and isinstance(tools[0], dict) else ""


def _user_texts(body: Any) -> list[str]:
    messages = body.get("messages") if isinstance(body, dict) else None
    texts = []
    for message in messages if isinstance(messages, list) else []:
        if not isinstance(message, dict) or message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            texts.append(content)
        elif isinstance(content, list):
            texts.extend(part.get("text", "") for part in content if isinstance(part, dict))
    return texts


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.casefold()))


def _token_estimate(text: str) -> int:
    # Roughly four characters a token, enough for clients that read `usage`.
    return max(1, len(text) // 4)
