"""Criteria: what makes a moment worth clipping, as plain text a user can edit.

One file per criterion in the criteria directory (`criteria/*.txt` by default); the file name is
the criterion's key. Format (see criteria/README.md):

    First line: a short title
    Any number of lines of description, for the LLM and for people.

    signals: loudness, pace, question, numbers, claim   (optional; offline audio/text signals)
    - a phrase to look for
    - another phrase
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel


class Criterion(BaseModel):
    key: str
    title: str
    text: str
    enabled: bool = True

    @property
    def phrases(self) -> list[str]:
        return [
            line.strip()[2:].strip().lower()
            for line in self.text.splitlines()
            if line.strip().startswith("- ") and line.strip()[2:].strip()
        ]

    @property
    def signals(self) -> list[str]:
        for line in self.text.splitlines():
            if line.strip().lower().startswith("signals:"):
                return [s.strip().lower() for s in line.split(":", 1)[1].split(",") if s.strip()]
        return []

    @classmethod
    def parse(cls, key: str, text: str, enabled: bool = True) -> Criterion:
        first = next((line.strip() for line in text.splitlines() if line.strip()), key)
        return cls(key=key, title=first.lstrip("# ").strip(), text=text.strip(), enabled=enabled)


def load_criteria(directory: Path) -> list[Criterion]:
    """Every `*.txt` in `directory`, sorted by key; a new file is picked up as it is."""
    return [
        Criterion.parse(path.stem, path.read_text(encoding="utf-8"))
        for path in sorted(directory.glob("*.txt"))
    ]
