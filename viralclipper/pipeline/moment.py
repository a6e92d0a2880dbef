"""A candidate clip as an analyzer proposes it and the validator keeps it."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Moment(BaseModel):
    start: float = Field(ge=0)
    end: float = Field(gt=0)
    score: float = Field(ge=0, le=100)
    title: str
    hook: str = ""
    reasoning: str = ""
    criteria: list[str] = []
    quote: str = ""

    @property
    def duration(self) -> float:
        return self.end - self.start
