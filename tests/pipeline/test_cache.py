"""The cache's entries on disk, and which of them may go."""

from __future__ import annotations

import os
from pathlib import Path

from viralclipper.config import get_settings
from viralclipper.pipeline import cache
from viralclipper.pipeline.cache import CacheEntry


def make_download(key: str, size: int, used: float) -> Path:
    """A cached download as `download` leaves it, with its audio, a transcript and a URL index."""
    settings = get_settings()
    entry = settings.media_dir / key
    entry.mkdir(parents=True)
    media = entry / "video.mp4"
    media.write_bytes(b"v" * size)
    (entry / "info.json").write_text("{}")
    index = settings.media_dir / "sources" / f"{key}.txt"
    index.parent.mkdir(exist_ok=True)
    index.write_text(key)
    cache.audio_path(media).parent.mkdir(parents=True, exist_ok=True)
    cache.audio_path(media).write_bytes(b"a" * size)
    cache.transcripts_dir(media).mkdir(parents=True)
    (cache.transcripts_dir(media) / "transcript-1.json").write_text("{}")
    for path in (entry, cache.audio_path(media), cache.transcripts_dir(media)):
        os.utime(path, (used, used))
    return media


def test_an_entry_is_the_download_its_audio_and_its_transcripts():
    media = make_download("generic-talk-abc", 1000, used=1_000_000)
    (get_settings().media_dir / ".partial-123").mkdir()  # a download in progress is no entry
    [entry] = cache.list_entries()
    assert entry.name == "generic-talk-abc-video" == cache.entry_name(media)
    assert entry.size == 2000 + len("{}") * 2
    assert entry.last_used == 1_000_000

    cache.use(media)
    [used] = cache.list_entries()
    assert used.last_used > entry.last_used
    # the audio's mtime is part of its transcripts' cache key: a use leaves it alone
    assert cache.audio_path(media).stat().st_mtime == 1_000_000

    cache.remove_entry(used)
    assert cache.list_entries() == []
    assert not media.parent.exists() and not cache.audio_path(media).exists()
    assert list((get_settings().media_dir / "sources").iterdir()) == []


def entry(name: str, size: int, last_used: float) -> CacheEntry:
    return CacheEntry(name, (), size, last_used)


def names(entries: list[CacheEntry]) -> list[str]:
    return [e.name for e in entries]


def test_what_no_job_uses_goes_whatever_the_cap():
    entries = [entry("kept", 10, 1), entry("orphan", 10, 2)]
    chosen = cache.to_remove(
        entries, in_use=set(), referenced={"kept"}, used_since=None, max_bytes=10**9
    )
    assert names(chosen) == ["orphan"]


def test_above_the_cap_the_least_recently_used_go_first_until_it_fits():
    entries = [entry("new", 10, 30), entry("oldest", 10, 10), entry("old", 10, 20)]
    everything = {"new", "oldest", "old"}
    chosen = cache.to_remove(
        entries, in_use=set(), referenced=everything, used_since=None, max_bytes=15
    )
    assert names(chosen) == ["oldest", "old"]


def test_never_what_an_unfinished_job_uses_or_what_was_used_since_a_run_started():
    entries = [entry("in-use", 10, 10), entry("recent", 10, 50), entry("idle", 10, 20)]
    chosen = cache.to_remove(
        entries, in_use={"in-use"}, referenced={"in-use", "idle"}, used_since=40, max_bytes=0
    )
    assert names(chosen) == ["idle"]  # "recent" has no job yet, but a running one may use it
