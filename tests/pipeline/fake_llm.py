"""A small OpenAI-compatible chat server on 127.0.0.1 for tests and benchmarks.

The real `openai` client talks to it over HTTP. It records every request body and answers from a
scripted queue: a content string, a callable(request_json) -> content, or an HTTP error. With an
empty queue it answers with `default` (e.g. `answer_from_prompt`), or a 500 when there is none.

    with FakeLLM() as llm:
        llm.reply('{"moments": []}')
        llm.fail(401, "Incorrect API key provided")
        settings = llm.settings()          # OPENAI_BASE_URL etc. pointing here
        ...
        llm.requests[0]["messages"]        # what the client sent

In a test module, `from tests.pipeline.fake_llm import fake_llm_fixture  # noqa: F401` provides
the `fake_llm` fixture.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from viralclipper.config import Settings, get_settings
from viralclipper.pipeline.transcript import Transcript

Content = str | Callable[[dict[str, Any]], str]
LINE = re.compile(r"^\[(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)\] (.+)$", re.MULTILINE)
CRITERION_KEY = re.compile(r"^## (\w+)$", re.MULTILINE)


@dataclass
class Reply:
    """One scripted answer: content (a string or a callable of the request) or an HTTP error."""

    content: Content | None = None
    status: int = 200
    error: str = ""
    error_type: str = "invalid_request_error"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class FakeLLM:
    def __init__(
        self,
        *,
        reject_json_schema: bool = False,
        default: Callable[[dict[str, Any]], str] | None = None,
    ) -> None:
        self.reject_json_schema = reject_json_schema
        self.default = default
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []  # the HTTP headers of each request
        self._replies: list[Reply] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def settings(self, **overrides: Any) -> Settings:
        """The current settings with the LLM pointed at this server."""
        values = {
            "openai_base_url": self.url,
            "openai_api_key": "test-key",
            "openai_model": "fake-model",
        } | overrides
        return get_settings().model_copy(update=values)

    def reply(self, *contents: Content) -> FakeLLM:
        with self._lock:
            self._replies += [Reply(content=c) for c in contents]
        return self

    def fail(
        self,
        status: int,
        message: str,
        *,
        error_type: str = "invalid_request_error",
        headers: dict[str, str] | None = None,
    ) -> FakeLLM:
        with self._lock:
            self._replies.append(
                Reply(status=status, error=message, error_type=error_type, headers=headers or {})
            )
        return self

    def script(self, *replies: Reply) -> FakeLLM:
        with self._lock:
            self._replies += replies
        return self

    @property
    def user_messages(self) -> list[str]:
        """The last user message of each request."""
        return [_last_user_message(r) for r in self.requests]

    def start(self) -> FakeLLM:
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeLLM:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _next_reply(self, request: dict[str, Any], headers: dict[str, str]) -> Reply:
        with self._lock:
            self.requests.append(request)
            self.headers.append(headers)
            response_format = request.get("response_format") or {}
            if self.reject_json_schema and response_format.get("type") == "json_schema":
                return Reply(
                    status=400,
                    error="response_format type 'json_schema' is not supported by this server",
                )
            if self._replies:
                return self._replies.pop(0)
        if self.default:
            return Reply(content=self.default)
        return Reply(
            status=500,
            error="fake LLM: no scripted reply left",
            error_type="server_error",
            headers={"x-should-retry": "false"},
        )


def _handler_for(llm: FakeLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._send(
                    404,
                    {
                        "error": {
                            "message": f"no route {self.path}",
                            "type": "invalid_request_error",
                        }
                    },
                )
                return
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            request = json.loads(body or b"{}")
            reply = llm._next_reply(request, {k.lower(): v for k, v in self.headers.items()})
            time.sleep(reply.delay)
            if reply.status != 200:
                error = {
                    "message": reply.error,
                    "type": reply.error_type,
                    "param": None,
                    "code": None,
                }
                self._send(reply.status, {"error": error}, reply.headers)
                return
            content = reply.content(request) if callable(reply.content) else reply.content
            self._send(200, completion(request, content or ""), reply.headers)

        def _send(
            self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
        ) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - base signature
            pass

    return Handler


def completion(request: dict[str, Any], content: str) -> dict[str, Any]:
    """A well-formed chat.completion object carrying `content`."""
    prompt_tokens = sum(len(str(m.get("content", ""))) for m in request.get("messages", [])) // 4
    completion_tokens = len(content) // 4
    return {
        "id": f"chatcmpl-fake-{time.time_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.get("model", "fake-model"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


@pytest.fixture(name="fake_llm")
def fake_llm_fixture() -> Iterator[FakeLLM]:
    with FakeLLM() as llm:
        yield llm


# --- plausible answers, for end-to-end tests --------------------------------------------------


def moment(
    start: float,
    end: float,
    quote: str,
    *,
    score: float = 80.0,
    criteria: list[str] | None = None,
    title: str = "",
) -> dict[str, Any]:
    """One moment in the shape the analyzer's schema asks for."""
    return {
        "start": start,
        "end": end,
        "score": score,
        "title": title or quote[:40],
        "hook": quote,
        "reasoning": "It meets the criteria.",
        "criteria": criteria or [],
        "quote": quote,
    }


def answer(*moments: dict[str, Any]) -> str:
    return json.dumps({"moments": list(moments)})


def plausible_answer(
    lines: list[tuple[float, float, str]],
    *,
    count: int = 3,
    seconds: float = 20.0,
    criteria: list[str] | None = None,
) -> str:
    """`count` moments spread over the lines, each starting at a line, lasting about `seconds`,
    quoting its first line word for word, with falling scores."""
    if not lines:
        return answer()
    step = max(1, len(lines) // count)
    picked = []
    for rank, first in enumerate(range(0, len(lines), step)[:count]):
        start, end, quote = lines[first]
        following = (
            line_end for line_start, line_end, _ in lines[first:] if line_end - start <= seconds
        )
        end = max([end, *following])
        picked.append(
            moment(
                start,
                end,
                quote,
                score=90.0 - 10 * rank,
                criteria=criteria,
                title=f"Moment {rank + 1}",
            )
        )
    return answer(*picked)


def plausible_answer_for(transcript: Transcript, **options: Any) -> str:
    """A plausible answer built from real sentences of `transcript`."""
    lines = [(s.start, s.end, s.text) for s in transcript.sentences]
    return plausible_answer(lines, **options)


def answer_from_prompt(request: dict[str, Any]) -> str:
    """A plausible answer to an analyzer request, from the transcript lines and criteria keys in
    its prompt; use as `FakeLLM(default=answer_from_prompt)` so any number of windows work."""
    prompt = _last_user_message(request)
    lines = [(float(a), float(b), text.strip()) for a, b, text in LINE.findall(prompt)]
    keys = CRITERION_KEY.findall(prompt)[:1]
    return plausible_answer(lines, criteria=keys)


def _last_user_message(request: dict[str, Any]) -> str:
    users = [m for m in request.get("messages", []) if m.get("role") == "user"]
    return str(users[-1]["content"]) if users else ""
