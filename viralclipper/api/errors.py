"""Every API error is JSON, `{"detail": "<one sentence>"}`, with the status that says what
happened; an unexpected error is a 500 with a sentence, its traceback in the server log."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError
from starlette.exceptions import HTTPException

from viralclipper.config import SettingsError
from viralclipper.models.jobs import JobNotFound, NotAllowedNow
from viralclipper.queue.api import ClipNotFound, PipelineError

log = logging.getLogger(__name__)
SERVER_ERROR = "Something went wrong on our side; the error was logged. Please try again."
QUEUE_DOWN = "The queue is unreachable right now (Redis does not answer): try again in a moment."


def error(status: int, detail: str, **extra: object) -> JSONResponse:
    return JSONResponse({"detail": detail, **extra}, status_code=status)


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    response = error(exc.status_code, str(exc.detail))
    response.headers.update(exc.headers or {})
    return response


async def invalid_request(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = exc.errors()
    first = problems[0] if problems else {}
    where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
    sentence = f"{where}: {first.get('msg', 'invalid')}" if where else first.get("msg", "invalid")
    errors = [{k: v for k, v in p.items() if k in ("loc", "msg", "type")} for p in problems]
    return error(422, f"Invalid request: {sentence}.", errors=jsonable_encoder(errors))


async def not_found(request: Request, exc: Exception) -> JSONResponse:
    return error(404, "Not found.")


async def conflict(request: Request, exc: Exception) -> JSONResponse:
    return error(409, str(exc))


async def bad_source(request: Request, exc: Exception) -> JSONResponse:
    return error(400, str(exc))


async def bad_settings(request: Request, exc: Exception) -> JSONResponse:
    return error(422, str(exc))


async def queue_down(request: Request, exc: Exception) -> JSONResponse:
    log.warning(
        "API request %s %s: the queue is unreachable (%r)", request.method, request.url.path, exc
    )
    response = error(503, QUEUE_DOWN)
    response.headers["Retry-After"] = "5"
    return response


async def server_error(request: Request, exc: Exception) -> JSONResponse:
    log.error("API request %s %s failed", request.method, request.url.path, exc_info=exc)
    return error(500, SERVER_ERROR)


def register(api: FastAPI) -> None:
    api.exception_handler(HTTPException)(http_error)
    api.exception_handler(RequestValidationError)(invalid_request)
    api.exception_handler(JobNotFound)(not_found)
    api.exception_handler(ClipNotFound)(not_found)
    api.exception_handler(NotAllowedNow)(conflict)
    api.exception_handler(PipelineError)(bad_source)
    api.exception_handler(SettingsError)(bad_settings)
    api.exception_handler(RedisError)(queue_down)
    api.exception_handler(Exception)(server_error)
