"""The layering holds: ui -> queue -> pipeline, ui -> models, queue -> models, api -> queue,
api -> models (ui -> api only to mount it); pipeline and models import nothing of ours but config
and stages (docs/ARCHITECTURE.md)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "viralclipper"
BASE = {"config", "stages", "logs"}
MAY_IMPORT = {
    "config": set(),
    "stages": set(),
    "logs": {"config"},
    "models": {"models"} | BASE,
    "migrations": {"models"} | BASE,
    "pipeline": {"pipeline"} | BASE,
    "queue": {"queue", "models", "pipeline"} | BASE,
    "api": {"api", "queue", "models"} | BASE,
    "ui": {"ui", "api", "queue", "models"} | BASE,
}
ENTRY_POINTS = {"cli", "__main__", "__init__"}  # they may use every layer


def layer(module: str) -> str:
    """`viralclipper.queue.runner` -> `queue`."""
    return module.split(".")[1].removesuffix(".py")


def imports_of(path: Path) -> set[str]:
    """The modules of ours that a file imports, at any depth (imports inside functions too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found |= {name for name in names if name.startswith("viralclipper.")}
    return found


def test_each_layer_imports_only_what_it_may():
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        importer = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
        if importer in ENTRY_POINTS:
            continue
        allowed = MAY_IMPORT.get(importer)
        if allowed is None:
            wrong.append(f"{importer} is a new layer: give it a rule in MAY_IMPORT")
            continue
        for module in imports_of(path):
            if layer(module) not in allowed:
                wrong.append(f"{path.relative_to(PACKAGE)} imports {module}")
    assert not wrong, "\n".join(sorted(set(wrong)))
