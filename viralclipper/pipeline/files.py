"""Writing files so that nobody ever reads half of one, and nobody else reads them at all."""

from __future__ import annotations

import os
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


PRIVATE_UMASK = 0o077  # new directories 0700, new files 0600


def make_private(data_dir: Path) -> Path:
    """Make everything this process creates from now on private to the service user, and the
    data dir itself 0700 (created so, or tightened when an older version left it open)."""
    os.umask(PRIVATE_UMASK)
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    stat = data_dir.stat()
    if stat.st_mode & 0o077 and stat.st_uid == os.getuid():
        data_dir.chmod(0o700)
    return data_dir
