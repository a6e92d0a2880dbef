"""Writing files so that nobody ever reads half of one."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_output(out: Path) -> Iterator[Path]:
    """A temporary path next to `out`, renamed to `out` on success and removed on any failure.

    The name is unique (and keeps the suffix, so ffmpeg still sees the format): two workers
    writing the same cached file at once never trip over each other; the last rename wins.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.stem}.{uuid.uuid4().hex[:8]}.part{out.suffix}")
    try:
        yield tmp
        tmp.replace(out)
    except BaseException:  # failures, Cancelled and Ctrl-C alike
        tmp.unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> Path:
    with atomic_output(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path
