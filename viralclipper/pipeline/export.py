"""Exports: a set of clips as one ZIP (each clip's MP4 named from its title, its SRT and VTT
subtitles, its thumbnail, and `clips.json` listing them), with the transcript as TXT, SRT, VTT
and JSON when there is one."""

from __future__ import annotations

import json
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from viralclipper.pipeline.transcript import Transcript
from viralclipper.pipeline.transcript_text import as_srt, as_text, as_vtt, srt_to_vtt

MANIFEST = "clips.json"
MAX_NAME_CHARS = 60


@dataclass(frozen=True)
class ExportClip:
    """One clip to export: its details for `clips.json` and its files (any may be missing)."""

    title: str
    video: Path | None
    thumbnail: Path | None
    subtitles: Path | None  # the SRT; its VTT is beside it (made from the SRT when it is not)
    details: dict[str, Any] = field(default_factory=dict)


def title_slug(title: str) -> str:
    """A portable file name stem from a title: 'Why startups fail!' -> 'why-startups-fail'."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:MAX_NAME_CHARS].strip("-")
    return slug or "clip"


def title_file_name(title: str, suffix: str) -> str:
    return f"{title_slug(title)}.{suffix}"


def _vtt_of(subtitles: Path) -> str | None:
    vtt = subtitles.with_suffix(".vtt")
    if vtt.is_file():
        return vtt.read_text(encoding="utf-8")
    if subtitles.is_file():
        return srt_to_vtt(subtitles.read_text(encoding="utf-8", errors="replace"))
    return None


def _add_clip(archive: zipfile.ZipFile, number: int, clip: ExportClip) -> dict[str, Any]:
    stem = f"clips/{number:02d}-{title_slug(clip.title)}"
    entry: dict[str, Any] = {"index": number, "title": clip.title, **clip.details}
    if clip.video is not None and clip.video.is_file():
        # MP4 is compressed already: stored, not deflated again
        archive.write(clip.video, f"{stem}.mp4", compress_type=zipfile.ZIP_STORED)
        entry["video"] = f"{stem}.mp4"
    if clip.thumbnail is not None and clip.thumbnail.is_file():
        archive.write(clip.thumbnail, f"{stem}.jpg", compress_type=zipfile.ZIP_STORED)
        entry["thumbnail"] = f"{stem}.jpg"
    if clip.subtitles is not None and clip.subtitles.is_file():
        archive.write(clip.subtitles, f"{stem}.srt")
        entry["subtitles"] = f"{stem}.srt"
    vtt = _vtt_of(clip.subtitles) if clip.subtitles is not None else None
    if vtt is not None:
        archive.writestr(f"{stem}.vtt", vtt)
        entry["vtt"] = f"{stem}.vtt"
    return entry


def transcript_files(transcript: Transcript) -> dict[str, str]:
    """The transcript as the export holds it: TXT, SRT, VTT and JSON."""
    return {
        "transcript.txt": as_text(transcript),
        "transcript.srt": as_srt(transcript),
        "transcript.vtt": as_vtt(transcript),
        "transcript.json": transcript.model_dump_json(indent=1),
    }


def write_export(out: Path, clips: list[ExportClip], transcript: Transcript | None) -> Path:
    """Write the ZIP to `out` (complete or not at all: it is built beside it and renamed)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            manifest = [_add_clip(archive, n, clip) for n, clip in enumerate(clips, start=1)]
            archive.writestr(MANIFEST, json.dumps(manifest, indent=2) + "\n")
            for name, text in (transcript_files(transcript) if transcript else {}).items():
                archive.writestr(name, text)
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    return out
