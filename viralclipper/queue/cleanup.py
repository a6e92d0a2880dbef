"""Keeps the disk from growing without bound: cache entries (download, audio, transcripts) that
no job uses any more are removed, and above `CACHE_MAX_GB` the least recently used ones are too,
but never one that an unfinished job uses.

Runs after a job ends (in its worker), after a job is deleted, and when a worker starts.
"""

from __future__ import annotations

import logging
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


def clean_cache_safely() -> None:
    """`clean_cache`, logging instead of raising: freeing disk must never fail a job or a delete."""
    try:
        clean_cache()
    except Exception:
        log.exception("cleaning the cache failed")


def _entry_names(use: job_media.MediaUse) -> set[str]:
    names = {cache.entry_name(Path(use.media_path))} if use.media_path else set()
    if use.audio_path:
        names.add(Path(use.audio_path).stem)
    return names
