"""The transcript: segments of timed words, and the sentences the analyzers and the cutter use."""

from __future__ import annotations

import re
from functools import cached_property

from pydantic import BaseModel

SENTENCE_END = re.compile(r"[.!?…]+[\"')\]]*$")


class Word(BaseModel):
    start: float
    end: float
    text: str
    probability: float = 1.0


class Segment(BaseModel):
    start: float
    end: float
    text: str
    words: list[Word] = []


class Sentence(BaseModel):
    start: float
    end: float
    text: str
    words: list[Word]


class Transcript(BaseModel):
    language: str = "en"
    duration: float
    segments: list[Segment]

    @cached_property
    def words(self) -> list[Word]:
        return [w for s in self.segments for w in s.words]

    @cached_property
    def sentences(self) -> list[Sentence]:
        """Sentences from word punctuation; falls back to segments when there are no words."""
        if not self.words:
            return [
                Sentence(start=s.start, end=s.end, text=s.text.strip(), words=[])
                for s in self.segments
            ]
        sentences: list[Sentence] = []
        current: list[Word] = []
        for word in self.words:
            current.append(word)
            if SENTENCE_END.search(word.text.strip()):
                sentences.append(_sentence(current))
                current = []
        if current:
            sentences.append(_sentence(current))
        return sentences

    @property
    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.segments)

    def words_between(self, start: float, end: float) -> list[Word]:
        """The words whose middle lies within [start, end]."""
        return [w for w in self.words if start <= (w.start + w.end) / 2 <= end]

    def text_between(self, start: float, end: float) -> str:
        return "".join(w.text for w in self.words_between(start, end)).strip()


def _sentence(words: list[Word]) -> Sentence:
    return Sentence(
        start=words[0].start,
        end=words[-1].end,
        text="".join(w.text for w in words).strip(),
        words=list(words),
    )
