"""The analyze stage: one entry point that picks the LLM or the offline analyzer."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

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
