"""The stages chained together: what `viralclipper process` runs, and what queue tasks call stage
by stage. Each stage is a plain function of paths and values with a Reporter."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from viralclipper.config import ANALYSIS_SETTINGS, ClipSettings, Settings, get_settings
from viralclipper.pipeline import cache
from viralclipper.pipeline.analyze import Analysis, analyze_or_fall_back
from viralclipper.pipeline.captions import write_srt, write_vtt
from viralclipper.pipeline.criteria import enabled_criteria
from viralclipper.pipeline.download import DownloadResult, download
from viralclipper.pipeline.media import extract_audio
from viralclipper.pipeline.moment import Moment
from viralclipper.pipeline.netguard import NetGuard
from viralclipper.pipeline.progress import CancelCheck, Reporter, never_cancel
from viralclipper.pipeline.render import make_thumbnail, render_clip
from viralclipper.pipeline.select import Envelope, select_clips
from viralclipper.pipeline.transcribe import transcribe
from viralclipper.pipeline.transcript import Transcript, Word
from viralclipper.stages import Stage

MANIFEST = "clips.json"


RenderedFiles = tuple[Path, Path, Path]  # video, thumbnail, subtitles


@dataclass(frozen=True)
class RenderedClip:
    index: int
    moment: Moment
    video: Path
    thumbnail: Path
    subtitles: Path

    def manifest_entry(self, root: Path) -> dict:
        m = self.moment
        return {
            "index": self.index,
            "start": round(m.start, 3),
            "end": round(m.end, 3),
            "duration": round(m.duration, 3),
            "score": round(m.score, 1),
            "title": m.title,
            "hook": m.hook,
            "reasoning": m.reasoning,
            "criteria": m.criteria,
            "quote": m.quote,
            "video": str(self.video.relative_to(root)),
            "thumbnail": str(self.thumbnail.relative_to(root)),
            "subtitles": str(self.subtitles.relative_to(root)),
        }


def stage_download(
    source: str,
    reporter: Reporter,
    *,
    allow_local_files: bool = False,
    guard: NetGuard | None = None,
) -> DownloadResult:
    result = download(
        source,
        get_settings().media_dir,
        reporter,
        allow_local_files=allow_local_files,
        guard=guard,
    )
    cache.use(result.path)
    return result


def stage_transcribe(
    media: Path, reporter: Reporter, settings: Settings | None = None
) -> tuple[Path, Transcript]:
    """Extract the audio and transcribe it (with the Whisper model of `settings`, default the
    environment's), both kept in the media's cache entry."""
    settings = settings or get_settings()
    cache.use(media)
    audio = cache.audio_path(media)
    if not audio.exists():
        extract_audio(media, audio, reporter.scaled(0.0, 0.05, label="extracting audio"))
    transcript = transcribe(
        audio,
        cache.transcripts_dir(media),
        reporter.scaled(0.05, 1.0),
        model=settings.whisper_model,
    )
    return audio, transcript


def stage_analyze(
    transcript: Transcript,
    audio: Path | None,
    reporter: Reporter,
    options: ClipSettings,
    settings: Settings | None = None,
) -> Analysis:
    """Candidate moments from the analyzer (its LLM endpoint from `settings`, default the
    environment's; offline when the LLM fails, see `analyze_or_fall_back`), then validated into
    the clips to cut (in the audio's silences)."""
    analysis = analyze_or_fall_back(
        transcript,
        enabled_criteria(options.criteria),
        reporter,
        analyzer=options.analyzer,
        audio_path=audio,
        min_seconds=options.min_clip_seconds,
        max_seconds=options.max_clip_seconds,
        max_moments=max(12, options.max_clips * 2),
        settings=settings or get_settings(),
    )
    moments = select_clips(
        analysis.moments,
        transcript,
        min_seconds=options.min_clip_seconds,
        max_seconds=options.max_clip_seconds,
        min_score=options.min_score,
        max_clips=options.max_clips,
        envelope=Envelope.of_wav(audio) if audio is not None and audio.exists() else None,
    )
    return Analysis(moments, analysis.analyzer, analysis.notice, analysis.reason)


def render_key(start: float, end: float, options: ClipSettings) -> str:
    """What a clip's files depend on: its range and every render setting. Two clips with the
    same key have the same files."""
    render = options.model_dump(mode="json", exclude=set(ANALYSIS_SETTINGS))
    return json.dumps({"start": round(start, 3), "end": round(end, 3), **render}, sort_keys=True)


def stage_slice(
    media: Path,
    transcript: Transcript,
    moments: list[Moment],
    out_dir: Path,
    reporter: Reporter,
    options: ClipSettings,
    rendered: Mapping[str, RenderedFiles] | None = None,
    on_clip: Callable[[RenderedClip], None] | None = None,
) -> list[RenderedClip]:
    """Render every clip with its thumbnail and subtitles into `out_dir`, in the moments' order
    (best first); a clip whose `render_key` is in `rendered` keeps those files as they are.
    `on_clip` hears each clip as soon as its files are complete."""
    cache.use(media)
    out_dir.mkdir(parents=True, exist_ok=True)
    clips = []
    for i, moment in enumerate(moments, start=1):
        step = reporter.scaled(
            (i - 1) / len(moments), i / len(moments), label=f"clip {i} of {len(moments)}"
        )
        existing = (rendered or {}).get(render_key(moment.start, moment.end, options))
        if existing is None:
            words = transcript.words_between(moment.start, moment.end)
            existing = render_clip_files(
                media, words, moment.start, moment.end, out_dir / f"clip-{i:02d}", options, step
            )
        clips.append(RenderedClip(i, moment, *existing))
        if on_clip is not None:
            on_clip(clips[-1])
        step(1.0, "rendered" if existing[0].parent == out_dir else "unchanged")
    return clips


def render_clip_files(
    media: Path,
    words: list[Word],
    start: float,
    end: float,
    stem: Path,
    options: ClipSettings,
    reporter: Reporter | None = None,
) -> tuple[Path, Path, Path]:
    """One clip's files from the same words: `stem`.mp4 (captions burned in as `options` say),
    .jpg (a frame of the clip), .srt and .vtt. Returns the video, thumbnail and SRT paths."""
    video = render_clip(
        media, start, end, stem.with_suffix(".mp4"), options, words=words, reporter=reporter
    )
    thumbnail = make_thumbnail(video, (end - start) / 2, stem.with_suffix(".jpg"))
    subtitles = write_srt(words, start, end, stem.with_suffix(".srt"))
    write_vtt(words, start, end, stem.with_suffix(".vtt"))
    return video, thumbnail, subtitles


def write_manifest(out_dir: Path, clips: list[RenderedClip]) -> Path:
    path = out_dir / MANIFEST
    path.write_text(json.dumps([c.manifest_entry(out_dir) for c in clips], indent=2) + "\n")
    return path


StageProgress = Callable[[Stage, float, str], None]


def process(
    source: str,
    out_dir: Path,
    options: ClipSettings | None = None,
    progress: StageProgress | None = None,
    should_cancel: CancelCheck = never_cancel,
    *,
    allow_local_files: bool = True,
    on_notice: Callable[[str], None] | None = None,
) -> list[RenderedClip]:
    """Run every stage in the foreground and write the clips and `clips.json` to `out_dir`;
    `on_notice` hears an analysis with something to tell (the LLM failed: ranked offline).

    Clips are rendered into a staging folder and moved into `out_dir` only when all succeeded,
    so a failure or cancellation leaves `out_dir` as it was.
    """
    options = options or get_settings().clip_defaults()

    def reporter(stage: Stage) -> Reporter:
        return Reporter(lambda f, m: progress(stage, f, m) if progress else None, should_cancel)

    source_media = stage_download(source, reporter("download"), allow_local_files=allow_local_files)
    audio, transcript = stage_transcribe(source_media.path, reporter("transcribe"))
    analysis = stage_analyze(transcript, audio, reporter("analyze"), options)
    if analysis.notice and on_notice is not None:
        why = f" ({analysis.reason})" if analysis.reason else ""
        on_notice(analysis.notice + why)
    moments = analysis.moments
    staging = out_dir / ".staging"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        clips = stage_slice(
            source_media.path, transcript, moments, staging, reporter("slice"), options
        )
        write_manifest(staging, clips)
        return _publish_staging(staging, out_dir, clips)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _publish_staging(staging: Path, out_dir: Path, clips: list[RenderedClip]) -> list[RenderedClip]:
    for old in [*out_dir.glob("clip-*.*"), out_dir / MANIFEST]:
        old.unlink(missing_ok=True)
    for item in staging.iterdir():
        item.replace(out_dir / item.name)

    def moved(p: Path) -> Path:
        return out_dir / p.name

    return [
        RenderedClip(c.index, c.moment, moved(c.video), moved(c.thumbnail), moved(c.subtitles))
        for c in clips
    ]
