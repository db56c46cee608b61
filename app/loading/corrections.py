"""Corrections to the seed data, each recorded in the history as a change with its reason.

`seeds/corrections.yaml` lists what a re-reading of the sources changed: for a field of
some seeded rows, the value it had (`was`) and why it changed; or rows added, and why. The
seed files themselves hold the corrected data. A database seeded before a correction gets
it as a change of its own; a new database is loaded as the data was first read, then
corrected, so that every database's history shows the same corrections and reasons.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

FILE = "corrections.yaml"


@dataclass(frozen=True)
class Correction:
    section: str
    keys: tuple[str, ...]
    reason: str
    field: str | None = None  # None: the rows were added on re-reading
    was: Any = None

    @property
    def summary(self) -> str:
        what = f"{self.field.replace('_', ' ')} of" if self.field else "added"
        rows = ", ".join(self.keys)
        return f"Correction: {what} {self.section.replace('_', ' ')} {rows}"[:300]


def read(seeds_dir: Path) -> list[Correction]:
    path = seeds_dir / FILE
    if not path.exists():
        return []
    entries = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("corrections", [])
    out = []
    for entry in entries:
        keys = entry.get("keys") or [entry["key"]]
        if entry.get("added"):
            out.append(Correction(entry["section"], tuple(keys), entry["reason"]))
        else:
            out.append(Correction(entry["section"], tuple(keys), entry["reason"],
                                  entry["field"], entry.get("was")))
    return out


def earlier(fixes: list[Correction], section: str, key: str) -> dict[str, Any]:
    """The values a row's corrected fields had before their corrections, by field."""
    out: dict[str, Any] = {}
    for fix in reversed(fixes):  # the first correction of a field knows its first value
        if fix.field and fix.section == section and key in fix.keys:
            out[fix.field] = fix.was
    return out


def added(fixes: list[Correction]) -> set[tuple[str, str]]:
    return {(fix.section, key) for fix in fixes if fix.field is None for key in fix.keys}
