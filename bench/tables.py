"""Plain-text tables for the benchmarks' output."""

from __future__ import annotations


def table(title: str, header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [title, line.format(*header), line.format(*["-" * w for w in widths])]
    out += [line.format(*map(str, r)) for r in rows]
    return "\n".join(out)
