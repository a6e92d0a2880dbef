"""The cache of downloads, audio and transcripts, one entry per source video.

An entry holds everything derived from one source, under one name (`entry_name(media)`):

    media_dir/<key>/              the download (video.mp4, info.json), for a web source
    cache/audio/<name>.wav        its audio
    cache/transcripts/<name>/     its transcripts (one file per model, language and mode)

An uploaded or local file is not copied: its entry has only the audio and the transcripts.

Last use is recorded by `use` on the entry's folders (their mtime), never on the files:
atime is unreliable (noatime, relatime) and the audio's mtime is part of the transcript's cache key.
Which entries jobs still use is known to the queue, not here: `to_remove` takes those names.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from viralclipper.config import get_settings
from viralclipper.pipeline.download import VIDEO_FILE
from viralclipper.pipeline.progress import PipelineError

SOURCES = "sources"  # media_dir/sources/: which download each URL led to


@dataclass(frozen=True)
class CacheEntry:
    name: str
    paths: tuple[Path, ...]  # what exists of it: the download folder, the audio, the transcripts
    size: int  # bytes
    last_used: float  # seconds since the epoch


def entry_name(media: Path) -> str:
    """The entry a source video belongs to: `<key>-video` for a download, else its folder and
    stem (uploads get unique names)."""
    return f"{media.parent.name}-{media.stem}"


def audio_path(media: Path) -> Path:
    return get_settings().cache_dir / "audio" / f"{entry_name(media)}.wav"


def transcripts_dir(media: Path) -> Path:
    return get_settings().cache_dir / "transcripts" / entry_name(media)


class SourceGone(PipelineError):
    """The source video of a finished job was removed to free disk space."""


def use(media: Path) -> Path:
    """`media`, recorded as used now; SourceGone when it is no longer there."""
    if not media.is_file():
        raise SourceGone(
            "The source video is no longer on the server: it was removed to free disk space "
            "(CACHE_MAX_GB). Add the video again as a new job."
        )
    folders = [transcripts_dir(media)]
    if media.parent.parent == get_settings().media_dir:
        folders.append(media.parent)
    for folder in folders:
        try:
            os.utime(folder)
        except FileNotFoundError:  # no transcript yet
            continue
    return media


def list_entries() -> list[CacheEntry]:
    """Every entry on disk (work in progress, whose names start with a dot, excluded)."""
    settings = get_settings()
    parts: dict[str, list[Path]] = {}
    for download in _children(settings.media_dir):
        if download.is_dir() and download.name != SOURCES:
            parts.setdefault(entry_name(download / VIDEO_FILE), []).append(download)
    for audio in _children(settings.cache_dir / "audio"):
        if audio.suffix == ".wav":
            parts.setdefault(audio.stem, []).append(audio)
    for transcripts in _children(settings.cache_dir / "transcripts"):
        # a file here was cached by an older version, keyed by nothing an entry knows: its own
        name = transcripts.stem if transcripts.is_file() else transcripts.name
        parts.setdefault(name, []).append(transcripts)
    entries = []
    for name, paths in parts.items():
        try:
            entries.append(CacheEntry(name, tuple(paths), _size(paths), _last_used(paths)))
        except FileNotFoundError:  # removed meanwhile by another process
            continue
    return entries


def to_remove(
    entries: Iterable[CacheEntry],
    *,
    in_use: set[str],
    referenced: set[str],
    used_since: float | None,
    max_bytes: int,
) -> list[CacheEntry]:
    """The entries to remove: every one no job refers to, then, while the rest is larger than
    `max_bytes`, the least recently used ones. Never one in `in_use` (an unfinished job's) or
    one used at or after `used_since` (a running job may be using it before it says so)."""
    entries = list(entries)
    removable = [
        e
        for e in entries
        if e.name not in in_use and (used_since is None or e.last_used < used_since)
    ]
    chosen = [e for e in removable if e.name not in referenced]
    total = sum(e.size for e in entries) - sum(e.size for e in chosen)
    for entry in sorted((e for e in removable if e.name in referenced), key=lambda e: e.last_used):
        if total <= max_bytes:
            break
        chosen.append(entry)
        total -= entry.size
    return chosen


def remove_entry(entry: CacheEntry) -> None:
    """Delete the entry's files and forget the URLs that led to its download."""
    media_dir = get_settings().media_dir
    for path in entry.paths:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        if path.parent == media_dir:
            _forget_sources(media_dir, path.name)


def _forget_sources(media_dir: Path, key: str) -> None:
    for index in _children(media_dir / SOURCES):
        try:
            if index.read_text().strip() == key:
                index.unlink(missing_ok=True)
        except OSError:
            continue


def _children(folder: Path) -> list[Path]:
    try:
        return [p for p in folder.iterdir() if not p.name.startswith(".")]
    except FileNotFoundError:
        return []


def _files(paths: list[Path]) -> list[Path]:
    return [f for p in paths for f in ([p] if p.is_file() else p.rglob("*")) if f.is_file()]


def _size(paths: list[Path]) -> int:
    return sum(f.stat().st_size for f in _files(paths))


def _last_used(paths: list[Path]) -> float:
    return max(p.stat().st_mtime for p in paths)
