"""Keeps the disk from growing without bound: cache entries (download, audio, transcripts) that
no job uses any more are removed, and above `CACHE_MAX_GB` the least recently used ones are too,
but never one that an unfinished job uses.

Clip files the user can no longer reach are removed too: those of rejected clips, of analyses
that failed or were cancelled, and those of an edit once the clip is edited again or undone. Those
of every completed analysis stay, since an earlier one can be shown again, and so do the
analysis's files of an edited clip (undo shows them again); they go with their job. They are
the user's results, not a cache that can be made again, so `CACHE_MAX_GB` does not evict them.

Runs after a job ends (in its worker), after a clip is rendered again, after a job is deleted,
and when a worker starts.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from viralclipper.config import get_settings
from viralclipper.models import job_media
from viralclipper.pipeline import cache

log = logging.getLogger(__name__)

# Cache entries are dated by the file system's clock and job runs by the database's: on a shared
# volume the two may differ a little, so anything used this close to a run's start counts as used.
CLOCK_SKEW_SECONDS = 60.0


def clean_cache() -> list[str]:
    """Remove what the cache may lose now; returns the names of the removed entries."""
    in_use: set[str] = set()
    referenced: set[str] = set()
    for use in job_media.media_uses():
        names = _entry_names(use)
        referenced |= names
        if not use.finished:
            in_use |= names
    started = job_media.earliest_running_start()
    doomed = cache.to_remove(
        cache.list_entries(),
        in_use=in_use,
        referenced=referenced,
        used_since=started.timestamp() - CLOCK_SKEW_SECONDS if started else None,
        max_bytes=int(get_settings().cache_max_gb * 1024**3),
    )
    for entry in doomed:
        cache.remove_entry(entry)
    if doomed:
        log.info("removed %d cache entries: %s", len(doomed), ", ".join(e.name for e in doomed))
    return [e.name for e in doomed]


def clean_clip_files() -> list[Path]:
    """Remove the clip files of finished jobs that no clip the user can reach uses; returns
    them. Only in the folders of analyses that have ended, and in `edits/` only files older than
    the clock skew (a render that started after the database was read may be writing one)."""
    jobs_dir = get_settings().data_dir / "jobs"
    files = job_media.clip_files()
    old_enough = time.time() - CLOCK_SKEW_SECONDS
    removed = []
    for job_id, found in files.items():
        folder = jobs_dir / str(job_id)
        keep = {Path(p).resolve() for p in found.reachable}
        keep |= {p.with_suffix(".vtt") for p in keep if p.suffix == ".srt"}
        ended = [p for run in found.ended_runs for p in (folder / "runs" / str(run)).glob("clip-*")]
        edits = [p for p in (folder / "edits").glob("*") if _modified(p) < old_enough]
        for path in ended + edits:
            if path.is_file() and path.resolve() not in keep:
                path.unlink(missing_ok=True)
                removed.append(path)
    if removed:
        log.info("removed %d clip files no clip uses any more", len(removed))
    return removed


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return time.time()


def clean_cache_safely() -> None:
    """`clean_cache` and `clean_clip_files`, logging instead of raising: freeing disk must never
    fail a job or a delete."""
    for clean in (clean_cache, clean_clip_files):
        try:
            clean()
        except Exception:
            log.exception("cleaning the disk failed (%s)", clean.__name__)


def _entry_names(use: job_media.MediaUse) -> set[str]:
    names = {cache.entry_name(Path(use.media_path))} if use.media_path else set()
    if use.audio_path:
        names.add(Path(use.audio_path).stem)
    return names
