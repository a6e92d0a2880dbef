"""The default criteria files: all present, parsed, and a new file is picked up as it is."""

from __future__ import annotations

import shutil
from pathlib import Path

from viralclipper.config import CRITERIA_DIR
from viralclipper.pipeline.criteria import load_criteria
from viralclipper.pipeline.offline_analyzer import SIGNALS

DEFAULT_KEYS = {
    "emotional_peaks",
    "viral_hooks",
    "humor",
    "hot_takes",
    "actionable_value",
    "storytelling",
}


def test_every_default_criterion_loads_with_description_signals_and_phrases():
    criteria = {c.key: c for c in load_criteria(CRITERIA_DIR)}
    assert set(criteria) >= DEFAULT_KEYS
    for criterion in criteria.values():
        assert criterion.enabled
        assert criterion.title and criterion.title[0].isupper(), criterion.key
        description = [
            line
            for line in criterion.text.splitlines()[1:]
            if line.strip() and not line.startswith(("- ", "signals:"))
        ]
        assert len(" ".join(description)) > 80, criterion.key
        assert 10 <= len(criterion.phrases) <= 25, criterion.key
        assert len(set(criterion.phrases)) == len(criterion.phrases), criterion.key
        assert criterion.signals and set(criterion.signals) <= set(SIGNALS), criterion.key


def test_phrases_and_signals_are_parsed_from_the_file():
    humor = next(c for c in load_criteria(CRITERIA_DIR) if c.key == "humor")
    assert humor.title == "Humor"
    assert humor.signals == ["exclamation", "pace", "loudness"]
    assert "you can't make this up" in humor.phrases
    assert "funny" in humor.phrases
    assert not any(p.startswith("-") or "signals" in p for p in humor.phrases)


def test_a_new_file_is_picked_up_without_code_changes(tmp_path: Path):
    directory = tmp_path / "criteria"
    shutil.copytree(CRITERIA_DIR, directory)
    (directory / "cliffhangers.txt").write_text(
        "Cliffhangers\nMoments that stop on an open question.\n\n"
        "signals: question, pace\n- and then\n- you will never guess\n- to be continued\n",
        encoding="utf-8",
    )
    criteria = {c.key: c for c in load_criteria(directory)}
    assert set(criteria) == DEFAULT_KEYS | {"cliffhangers"} | {
        c.key for c in load_criteria(CRITERIA_DIR)
    }
    new = criteria["cliffhangers"]
    assert new.title == "Cliffhangers"
    assert new.signals == ["question", "pace"]
    assert new.phrases == ["and then", "you will never guess", "to be continued"]
