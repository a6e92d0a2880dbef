"""The analyze stage: one entry point that picks the LLM or the offline analyzer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from viralclipper.config import Analyzer, Settings, get_settings
from viralclipper.pipeline.criteria import Criterion
from viralclipper.pipeline.moment import Moment
from viralclipper.pipeline.offline_analyzer import analyze_offline
from viralclipper.pipeline.progress import PipelineError, Reporter
from viralclipper.pipeline.transcript import Transcript


class NoSpeechError(PipelineError):
    """The transcript holds no words, so there is nothing to clip."""


class AnalyzerNotConfiguredError(PipelineError):
    """The LLM analyzer was asked for, but no endpoint or key is configured."""


LLM_UNAVAILABLE = "LLM unavailable: ranked offline"


@dataclass(frozen=True)
class Analysis:
    """The moments, which analyzer ranked them, and what the user should know about it."""

    moments: list[Moment]
    analyzer: Literal["llm", "offline"]
    notice: str | None = None  # e.g. LLM_UNAVAILABLE
    reason: str | None = None  # why the LLM was not used (for the log)


def analyze_or_fall_back(
    transcript: Transcript,
    criteria: list[Criterion],
    reporter: Reporter | None = None,
    *,
    analyzer: Analyzer = "auto",
    settings: Settings | None = None,
    **limits: Any,
) -> Analysis:
    """`analyze`, but an LLM that fails (unreachable, 5xx, 429 after the client's retries, quota,
    invalid output twice) or is not configured hands the ranking to the offline analyzer, with
    the LLM_UNAVAILABLE notice; unless `LLM_FALLBACK=false`, when the analysis fails."""
    settings = settings or get_settings()
    try:
        chosen = choose_analyzer(analyzer, settings)
    except AnalyzerNotConfiguredError as error:
        if not settings.llm_fallback or not _has_speech(transcript):
            raise
        return _offline_instead(transcript, criteria, reporter, settings, str(error), limits)
    if chosen == "offline":
        moments = analyze(transcript, criteria, reporter, analyzer="offline", **limits)
        return Analysis(moments, "offline")
    from viralclipper.pipeline.llm_analyzer import LLMError

    try:
        moments = analyze(
            transcript, criteria, reporter, analyzer="llm", settings=settings, **limits
        )
    except LLMError as error:
        if not settings.llm_fallback:
            raise
        return _offline_instead(transcript, criteria, reporter, settings, str(error), limits)
    return Analysis(moments, "llm")


def _offline_instead(
    transcript: Transcript,
    criteria: list[Criterion],
    reporter: Reporter | None,
    settings: Settings,
    reason: str,
    limits: dict[str, Any],
) -> Analysis:
    moments = analyze(
        transcript, criteria, reporter, analyzer="offline", settings=settings, **limits
    )
    return Analysis(moments, "offline", LLM_UNAVAILABLE, reason)


def analyze(
    transcript: Transcript,
    criteria: list[Criterion],
    reporter: Reporter | None = None,
    *,
    analyzer: Analyzer = "auto",
    audio_path: Path | None = None,
    min_seconds: float = 15.0,
    max_seconds: float = 60.0,
    max_moments: int = 12,
    settings: Settings | None = None,
) -> list[Moment]:
    """Candidate moments, best first: the LLM analyzer when one is configured (or asked for),
    else the offline one. Only the enabled criteria are used."""
    settings = settings or get_settings()
    if not _has_speech(transcript):
        raise NoSpeechError("No speech found in the video, so there is nothing to clip.")
    enabled = [c for c in criteria if c.enabled]
    if choose_analyzer(analyzer, settings) == "offline":
        return analyze_offline(
            transcript,
            enabled,
            reporter,
            audio_path=audio_path,
            min_seconds=min_seconds,
            max_seconds=max_seconds,
            max_moments=max_moments,
        )
    if not enabled:
        raise PipelineError("No criterion is enabled: enable at least one for the LLM analyzer.")
    from viralclipper.pipeline.llm_analyzer import analyze_with_llm  # openai loads only when used

    return analyze_with_llm(
        transcript,
        enabled,
        reporter,
        min_seconds=min_seconds,
        max_seconds=max_seconds,
        max_moments=max_moments,
        settings=settings,
    )


def choose_analyzer(analyzer: Analyzer, settings: Settings) -> Literal["llm", "offline"]:
    """'auto' means the LLM when it is configured; 'llm' without configuration is an error."""
    if analyzer == "offline":
        return "offline"
    if settings.llm_configured:
        return "llm"
    if analyzer == "llm":
        raise AnalyzerNotConfiguredError(
            "The LLM analyzer is not configured: set OPENAI_API_KEY (for OpenAI) or "
            "OPENAI_BASE_URL (for Ollama, vLLM or another OpenAI-compatible server), "
            "or choose the offline analyzer."
        )
    return "offline"


def _has_speech(transcript: Transcript) -> bool:
    return any(w.text.strip() for w in transcript.words) or bool(transcript.text.strip())
