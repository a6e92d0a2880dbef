"""Upload a clip to YouTube (videos.insert): resumable and chunked, retried with exponential
backoff on server and connection errors, resumable from the last byte YouTube confirmed (the
caller keeps the upload's session URI), progress through a `Reporter`."""

from __future__ import annotations

import http.client
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httplib2
from google.auth.exceptions import RefreshError
from googleapiclient.errors import HttpError
from googleapiclient.http import MediaFileUpload

from viralclipper.pipeline.progress import PipelineError, Reporter
from viralclipper.pipeline.youtube_oauth import REVOKED, ConsentRevoked, youtube_service

CHUNK_BYTES = 8 * 1024 * 1024  # a multiple of 256 KiB, as resumable uploads require
MAX_RETRIES = 8
RETRY_STATUSES = {500, 502, 503, 504}
CONNECTION_ERRORS = (httplib2.HttpLib2Error, http.client.HTTPException, OSError)
SHORT_MAX_SECONDS = 180.0
SHORTS_TAG = "#Shorts"
PEOPLE_AND_BLOGS = "22"
log = logging.getLogger(__name__)


class UploadFailed(PipelineError):
    """YouTube refused the upload; the message says why and what to do."""


class UploadInterrupted(UploadFailed):
    """The upload kept failing on the way (server or connection errors): trying again later
    resumes it from the last byte YouTube confirmed."""


@dataclass(frozen=True)
class VideoDetails:
    """What YouTube is told about the video (`videos.insert`'s snippet and status)."""

    title: str
    description: str = ""
    tags: list[str] = field(default_factory=list)
    privacy: str = "private"
    publish_at: datetime | None = None  # YouTube requires privacy "private" with it
    made_for_kids: bool = False

    def body(self) -> dict[str, Any]:
        status: dict[str, Any] = {
            "privacyStatus": self.privacy,
            "selfDeclaredMadeForKids": self.made_for_kids,
        }
        if self.publish_at is not None:
            status["publishAt"] = self.publish_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {
            "snippet": {
                "title": self.title[:100],
                "description": self.description[:5000],
                "tags": self.tags,
                "categoryId": PEOPLE_AND_BLOGS,
            },
            "status": status,
        }


def check_details(details: VideoDetails, now: datetime) -> None:
    """PipelineError with one sentence when YouTube would refuse these details."""
    if not details.title.strip():
        raise PipelineError("Give the video a title.")
    if any(mark in details.title for mark in "<>"):
        raise PipelineError("YouTube does not allow < or > in a title.")
    if details.privacy not in ("private", "unlisted", "public"):
        raise PipelineError("The privacy must be private, unlisted or public.")
    if details.publish_at is not None:
        if details.privacy != "private":
            raise PipelineError(
                "A scheduled video must be private until its time: YouTube makes it public then."
            )
        if details.publish_at <= now:
            raise PipelineError("The scheduled time must be in the future.")


def short_warnings(width: int | None, height: int | None, seconds: float) -> list[str]:
    """Why YouTube would not treat this clip as a Short (vertical or square, at most 3 min)."""
    warnings = []
    if width and height and width > height:
        warnings.append("The clip is horizontal: YouTube shows it as a normal video, not a Short.")
    if seconds > SHORT_MAX_SECONDS:
        warnings.append("The clip is longer than 3 minutes: YouTube will not treat it as a Short.")
    return warnings


def default_details(title: str, hook: str | None) -> VideoDetails:
    """A clip's title, its hook as the description, and #Shorts."""
    description = "\n\n".join(part for part in (hook or "", SHORTS_TAG) if part)
    return VideoDetails(title=title, description=description, tags=["Shorts"])


def upload_video(
    http: Any,
    api_url: str,
    path: Path,
    details: VideoDetails,
    reporter: Reporter,
    *,
    session_uri: str | None = None,
    on_session: Callable[[str], None] = lambda uri: None,
    sleep: Callable[[float], None] = time.sleep,
    chunk_bytes: int = CHUNK_BYTES,
    max_retries: int = MAX_RETRIES,
) -> str:
    """Upload `path` and return the new video's id.

    `session_uri`, from an earlier `on_session(uri)`, resumes that upload from the last byte
    YouTube confirmed instead of starting again. Server errors (5xx) and dropped connections are
    retried up to `max_retries` times in a row, waiting 1, 2, 4 ... seconds (`sleep`).
    """
    media = MediaFileUpload(str(path), mimetype="video/mp4", chunksize=chunk_bytes, resumable=True)
    request = (
        youtube_service(http, api_url)
        .videos()
        .insert(part="snippet,status", body=details.body(), media_body=media)
    )
    request.uri = _on_api_root(request.uri, api_url)
    if session_uri:
        request.resumable_uri = session_uri
        # Ask YouTube how much it has (PUT bytes */size) before sending the next chunk: what the
        # library does itself after an error in this process.
        request._in_error_state = True
    failures = 0
    response = None
    while response is None:
        try:
            status, response = request.next_chunk()
        except HttpError as exc:
            if exc.resp.status not in RETRY_STATUSES:
                raise _refusal(exc) from None
            failures = _wait(failures, max_retries, sleep, f"YouTube answered {exc.resp.status}")
            continue
        except RefreshError:
            raise ConsentRevoked(REVOKED) from None
        except CONNECTION_ERRORS as exc:
            failures = _wait(failures, max_retries, sleep, f"the connection failed ({exc})")
            continue
        failures = 0
        if request.resumable_uri and request.resumable_uri != session_uri:
            session_uri = request.resumable_uri
            on_session(session_uri)
        if status is not None:
            reporter(status.progress(), "uploading")
    reporter(1.0, "uploaded")
    return str(response["id"])


def _on_api_root(url: str, api_url: str) -> str:
    """The upload URL on the API root's scheme and host: googleapiclient moves only the host of
    the upload URL to a changed root (a proxy or a test server on http keeps https)."""
    root = urlsplit(api_url)
    return urlunsplit(urlsplit(url)._replace(scheme=root.scheme, netloc=root.netloc))


def _wait(failures: int, max_retries: int, sleep: Callable[[float], None], why: str) -> int:
    if failures >= max_retries:
        raise UploadInterrupted(
            f"The upload kept failing ({why}): try publishing again later; it resumes where it "
            "stopped."
        )
    log.warning("upload failed (%s): retrying in %g s", why, 2.0**failures)
    sleep(2.0**failures)
    return failures + 1


def error_reason(exc: HttpError) -> str:
    """The first `reason` in a Google API error's body (e.g. "quotaExceeded"), or ""."""
    try:
        error = json.loads(exc.content.decode()).get("error", {})
        return str((error.get("errors") or [{}])[0].get("reason", ""))
    except (ValueError, AttributeError, IndexError):
        return ""


def _refusal(exc: HttpError) -> PipelineError:
    """One sentence for a refusal that retrying now would not fix."""
    status, reason = exc.resp.status, error_reason(exc)
    if reason in ("quotaExceeded", "dailyLimitExceeded", "uploadLimitExceeded"):
        return UploadFailed(
            "YouTube's daily upload quota is used up: publish again after midnight Pacific time."
        )
    if status == 429 or reason in ("rateLimitExceeded", "userRateLimitExceeded"):
        return UploadFailed("YouTube asks to slow down: publish again in a few minutes.")
    if status == 401:
        return ConsentRevoked(REVOKED)
    if status == 403:
        return UploadFailed(
            f"YouTube refused the upload ({reason or 'forbidden'}): check that the channel may "
            "upload videos (a verified channel, no strikes)."
        )
    return UploadFailed(
        f"YouTube rejected the video ({reason or status}): check the title, description and "
        "tags, then publish again."
    )
