"""How a stage reports progress and learns it should stop.

Every stage takes a `progress(fraction, message)` callback and a `should_cancel()` callable and
reports through a `Reporter`, which checks for cancellation at every report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

ProgressCallback = Callable[[float, str], None]
CancelCheck = Callable[[], bool]


class FailureKind(StrEnum):
    """What kind of failure ended a job: whether running it again can help."""

    ERROR = "error"  # anything else (the network, a busy service, a bug): a retry may pass
    SOURCE_GONE = "source_gone"  # nothing at the URL (HTTP 404 or 410), or the video was removed
    PRIVATE = "private"  # a private video, or an address this server may not fetch from
    UNSUPPORTED = "unsupported"  # not a URL or file we can read: unsupported or invalid
    TOO_LONG = "too_long"  # longer than MAX_VIDEO_MINUTES or larger than MAX_DOWNLOAD_MB


class PipelineError(Exception):
    """A failure whose message is meant for the user: one clear, specific sentence; its `kind`
    says whether a retry can help (a subclass sets its own, a raise site may pass one)."""

    kind: FailureKind = FailureKind.ERROR

    def __init__(self, message: str = "", *, kind: FailureKind | None = None) -> None:
        super().__init__(message)
        if kind is not None:
            self.kind = kind


class Cancelled(Exception):  # noqa: N818 - reads better at the raise site than CancelledError
    """Raised inside a stage when `should_cancel()` turned true."""


def no_progress(fraction: float, message: str) -> None:
    """A progress callback that ignores every report."""


def never_cancel() -> bool:
    return False


@dataclass
class Reporter:
    """Clamps and forwards progress; raises `Cancelled` as soon as cancellation is requested."""

    progress: ProgressCallback = no_progress
    should_cancel: CancelCheck = never_cancel
    last: float = field(default=0.0, init=False)

    def check(self) -> None:
        if self.should_cancel():
            raise Cancelled("cancelled")

    def __call__(self, fraction: float, message: str = "") -> None:
        self.check()
        self.last = min(1.0, max(self.last, fraction, 0.0))
        self.progress(self.last, message)

    def scaled(self, start: float, end: float, label: str = "") -> Reporter:
        """A reporter for a sub-step that maps its 0..1 into start..end of this one, and puts
        `label` before its messages."""

        def forward(fraction: float, message: str) -> None:
            self(start + (end - start) * fraction, f"{label}: {message}" if label else message)

        return Reporter(forward, self.should_cancel)
