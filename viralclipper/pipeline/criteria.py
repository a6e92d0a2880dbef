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

from viralclipper.config import Criterion, get_settings

__all__ = ["Criterion", "enabled_criteria", "load_criteria"]


def load_criteria(directory: Path) -> list[Criterion]:
    """Every non-empty `*.txt` in `directory`, sorted by key; a new file is picked up as it is."""
    texts = {
        path.stem: path.read_text(encoding="utf-8") for path in sorted(directory.glob("*.txt"))
    }
    return [Criterion.parse(key, text) for key, text in texts.items() if text.strip()]


def enabled_criteria(criteria: list[Criterion] | None) -> list[Criterion]:
    """The enabled ones of `criteria`; None means the files in the criteria dir."""
    chosen = criteria if criteria is not None else load_criteria(get_settings().criteria_dir)
    return [c for c in chosen if c.enabled]
