"""Which lines of a job's transcript a criterion matches, found as the offline analyzer counts
its phrases, so the settings page can show the effect of an edit before a re-analysis."""

from __future__ import annotations

from dataclasses import dataclass

from viralclipper.config import Criterion
from viralclipper.models import jobs
from viralclipper.models.jobs import JobNotFound
from viralclipper.pipeline.offline_analyzer import phrase_finder
from viralclipper.queue.api import transcript_lines

SHOWN_LINES = 5


@dataclass(frozen=True)
class MatchedLine:
    start: float
    text: str
    spans: list[tuple[int, int]]  # the matched words, as character ranges of `text`


@dataclass(frozen=True)
class CriterionMatches:
    phrases: int  # the criterion's phrases ("- " lines); none: it matches by its signals only
    total: int  # the lines it matches
    lines: list[MatchedLine]  # the first SHOWN_LINES of them


def criterion_matches(job_id: int, user_id: int, text: str) -> CriterionMatches:
    """The lines of the job's transcript that the phrases of a criterion written as `text` match;
    JobNotFound when the job is not the user's."""
    job = jobs.get_job(job_id, user_id=user_id)
    if job is None:
        raise JobNotFound(job_id)
    phrases = Criterion.model_construct(key="", title="", text=text or "").phrases
    find = phrase_finder(phrases)
    if find is None:
        return CriterionMatches(0, 0, [])
    matched = [
        MatchedLine(start, line, spans)
        for start, _, line in transcript_lines(job)
        if (spans := find(line))
    ]
    return CriterionMatches(len(phrases), len(matched), matched[:SHOWN_LINES])
