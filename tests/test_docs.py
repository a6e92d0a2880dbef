"""The README's settings table names every setting in `viralclipper/config.py`, and only those."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import AliasChoices

from viralclipper.config import Settings

README = Path(__file__).resolve().parent.parent / "README.md"


def environment_names() -> set[str]:
    """The environment variable each setting is read from."""
    names = set()
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names.add(str(alias.choices[0]))
        else:
            names.add((alias or name).upper())
    return names


def settings_table() -> set[str]:
    """The variables named in the first column of the table under the README's "## Settings"."""
    section = README.read_text().split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z0-9_]+)`", row.split("|")[1])}


def test_every_setting_is_in_the_readme_table():
    missing = environment_names() - settings_table()
    assert not missing, f"add these settings to the README's settings table: {sorted(missing)}"


def test_the_readme_table_names_only_real_settings():
    unknown = settings_table() - environment_names()
    assert not unknown, f"the README's settings table names unknown settings: {sorted(unknown)}"
