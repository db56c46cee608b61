"""Claims about a figure, and which one the row shows.

Every figure of a row (a contingent's troops, an asset's quantity, a force level, a
contribution's stage) is the outcome of the claims made about it: ranges from sources,
each graded for credibility (Admiralty 1-6) and ranked (preferred, normal, deprecated),
as UCDP keeps low/best/high estimates and Wikidata ranks statements. Rows keep the figure
shown in their own columns, so lists filter, sort and sum on plain columns; `settle`
brings them back in line whenever a row's claims change.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import combinations
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.plan.models import Asset, Citation, Deployment, ForceLevel
from app.plan.quantities import Range, format_range
from app.plan.vocab import Rank, Stage

#: The figures of each kind of row that claims are about: a range, or the stage.
FIGURES: dict[type, tuple[str, ...]] = {
    Deployment: ("troops", "stage"),
    Asset: ("quantity", "stage"),
    ForceLevel: ("troops",),
}
STAGE = "stage"
#: The columns of a range figure, after its name: troops_low, troops_high, troops_best.
PARTS = ("low", "high", "best")

FIGURE_RULE = (
    "The figure shown is the preferred claim's; without one, the most credible claim's "
    "(Admiralty 1 before 6), and of those the latest. Deprecated claims are kept but never "
    "shown. The row is disputed while claims that are not deprecated give ranges that do "
    "not overlap."
)
STAGE_RULE = (
    "The stage shown is the preferred claim's; without one, the latest claim's (the more "
    "credible first on the same day): a pledge moves through its stages over time."
)


def fields_of(model: type) -> tuple[str, ...]:
    return FIGURES.get(model, ())


def range_fields(model: type) -> tuple[str, ...]:
    return tuple(f for f in fields_of(model) if f != STAGE)


def claimed(claim: Any) -> Range:
    return Range(claim.low, claim.high)


def _credibility(claim: Any) -> int:
    # A claim not yet flushed has no column defaults: 6, "cannot be judged", as stored.
    return int(claim.credibility.value) if claim.credibility else 6


def _live(claims: Iterable[Any]) -> list[Any]:
    return [c for c in claims if c.rank != Rank.DEPRECATED]


def _latest(claim: Any) -> tuple[date, int]:
    return claim.claimed_on or date.min, claim.id or 0


def shown(claims: Sequence[Any]) -> Any | None:
    """The claim whose range a figure shows (see FIGURE_RULE)."""
    live = _live(claims)
    pool = [c for c in live if c.rank == Rank.PREFERRED] or live
    if not pool:
        return None
    best = min(_credibility(c) for c in pool)
    return max((c for c in pool if _credibility(c) == best), key=_latest)


def shown_stage(claims: Sequence[Any]) -> Any | None:
    """The claim whose stage a contribution shows (see STAGE_RULE)."""
    live = _live(claims)
    pool = [c for c in live if c.rank == Rank.PREFERRED] or live
    if not pool:
        return None
    return max(pool, key=lambda c: (c.claimed_on or date.min, -_credibility(c), c.id or 0))


def overlap(a: Range, b: Range) -> bool:
    """Whether two reported ranges can both be true. An unknown figure contradicts
    nothing; "up to" starts at nothing, "at least" has no end."""
    if not a.known or not b.known:
        return True
    a_low, b_low = a.low or 0, b.low or 0
    return (a.high is None or b_low <= a.high) and (b.high is None or a_low <= b.high)


def disagree(claims: Sequence[Any]) -> bool:
    """Whether claims that are not deprecated give ranges that cannot all be true."""
    return any(not overlap(claimed(a), claimed(b)) for a, b in combinations(_live(claims), 2))


def of_row(session: Session, row: Any) -> list[Citation]:
    """A row's claims, oldest first."""
    return list(session.scalars(
        select(Citation).where(Citation.subject_type == type(row).__tablename__,
                               Citation.subject_id == row.id, Citation.field.is_not(None))
        .order_by(Citation.claimed_on.nulls_first(), Citation.id)))


def settle(session: Session, row: Any, pending: Sequence[Any] = ()) -> None:
    """Bring the row's figures, its disputed flag and its claim count in line with its
    claims, `pending` ones (added, not yet flushed) included, so that the row and its
    claims are written in one flush. A figure nobody has claimed is left as it is."""
    with session.no_autoflush:
        claims = [c for c in of_row(session, row) if c not in session.deleted]
    claims += [c for c in pending if c not in claims]
    disputed = False
    for name in fields_of(type(row)):
        about = [c for c in claims if c.field == name]
        if name == STAGE:
            if (pick := shown_stage(about)) is not None and pick.stage is not None:
                _set(row, "stage", pick.stage)
            continue
        disputed = disputed or disagree(about)
        if (pick := shown(about)) is not None:
            _set(row, f"{name}_low", pick.low)
            _set(row, f"{name}_high", pick.high)
            _set(row, f"{name}_best", pick.best)
    _set(row, "disputed", disputed)
    _set(row, "claim_count", len(claims))


def _set(row: Any, name: str, value: Any) -> None:
    # Only a real change dirties the row, so settling twice records nothing.
    if getattr(row, name) != value:
        setattr(row, name, value)


@dataclass(frozen=True)
class Figure:
    """One figure of a row for display: what is shown, and from which claims."""

    name: str
    label: str
    claims: list[Any]
    pick: Any | None
    disputed: bool

    @property
    def text(self) -> str:
        return "no claim" if self.pick is None else describe(self.pick)


def describe(claim: Any) -> str:
    return say(claim.field, claim.low, claim.high, claim.best, claim.stage)


def say(field: str | None, low: int | None, high: int | None, best: int | None,
        stage: str | None) -> str:
    """What a claim says, in words: its stage, or its range with the best estimate where
    it gives one. From a claim's columns, or from a revision's record of them."""
    if field == STAGE:
        return Stage(stage).label if stage else "no stage"
    text = format_range(low, high)
    return f"{text} (best {best:,})" if best is not None else text


def figures(model: type, claims: Sequence[Any], labels: dict[str, str]) -> list[Figure]:
    out = []
    for name in fields_of(model):
        about = [c for c in claims if c.field == name]
        if name == STAGE:
            out.append(Figure(name, labels.get(name, "Stage"), about, shown_stage(about), False))
        else:
            out.append(Figure(name, labels.get(name, name), about, shown(about),
                              disagree(about)))
    return out
