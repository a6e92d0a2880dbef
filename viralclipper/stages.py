"""The pipeline's stages: their order, the names users see, where each lands in a job's progress,
and what a job has once a stage finished. Everything that lists stages reads them from here.

Imports nothing of ours, so models, pipeline, queue and ui can all use it.
"""

from __future__ import annotations

from typing import Literal

Stage = Literal["download", "transcribe", "analyze", "slice"]
STAGES: tuple[Stage, ...] = ("download", "transcribe", "analyze", "slice")

# what the UI calls each stage
STAGE_LABELS: dict[Stage, str] = {
    "download": "Download",
    "transcribe": "Transcribe",
    "analyze": "Analyze",
    "slice": "Cut clips",
}

# where each stage's own 0..1 lands in the job's 0..100
STAGE_PROGRESS: dict[Stage, tuple[float, float]] = {
    "download": (0, 20),
    "transcribe": (20, 60),
    "analyze": (60, 80),
    "slice": (80, 100),
}

# re-analysis starts after this stage: it reuses the download and the transcript
REANALYZE_FROM: Stage = "transcribe"


def stages_after(last_completed: str | None) -> list[Stage]:
    """The stages still to run for a job whose last finished stage is `last_completed` (None:
    every stage)."""
    if last_completed is None:
        return list(STAGES)
    if last_completed not in STAGES:
        raise ValueError(f"Unknown stage {last_completed!r}; stages are {', '.join(STAGES)}.")
    return list(STAGES[STAGES.index(last_completed) + 1 :])


def has_transcript(last_completed: str | None) -> bool:
    """Whether a job that finished `last_completed` has its transcript (so it can be analyzed
    again without downloading or transcribing)."""
    return last_completed in STAGES and REANALYZE_FROM not in stages_after(last_completed)
