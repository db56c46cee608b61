"""Claims as input: what a claim holds, the rules it must meet, and writing one.

A claim is what one source says one figure of a row is (`app.evidence.claims`). The HTML
form on a row's page and the API's `/claims` take the same fields, validated by one model.
"""

from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from app.editing import writes
from app.editing.forms import quote_problem
from app.evidence import claims
from app.history import record
from app.plan import text
from app.plan.kinds import Kind
from app.plan.models import Citation, Source
from app.plan.vocab import Credibility, Rank, Stage, vocab_value

Count = Annotated[int, Field(ge=0, le=10_000_000)]
Words = text.field(5000)


class ClaimIn(BaseModel):
    """A claim about one figure of a row."""

    model_config = ConfigDict(extra="forbid")

    field: str = Field(max_length=40, description="The figure: `troops`, `quantity` or `stage`")
    source_id: int = Field(gt=0)
    quote: Words | None = Field(None, description="The source's words, as its text has them")
    low: Count | None = None
    high: Count | None = None
    best: Count | None = Field(None, description="A best estimate within low..high")
    stage: vocab_value(Stage, "stage") | None = Field(None,
                                                      description="For a claim about the stage")
    claimed_on: date | None = Field(None, description="When the claim was made; "
                                    "the source's date when left out")
    credibility: vocab_value(Credibility, "credibility") = Field(
        Credibility.CANNOT_JUDGE, description="Admiralty 1 (confirmed) to 6 (cannot judge)")
    rank: vocab_value(Rank, "rank") = Rank.NORMAL
    rank_reason: text.field(300, min_length=0) \
        | None = Field(None, description="Why a claim is deprecated (required then)")
    reason: Words | None = Field(None, description="Why the claim is added or changed, "
                                 "kept in the history")


def problems(session: Session, kind: Kind, claim: ClaimIn) -> dict[str, str]:
    """What is wrong with a claim for a row of this kind, by field."""
    errors: dict[str, str] = {}
    fields = claims.fields_of(kind.model)
    if claim.field not in fields:
        errors["field"] = (f"{kind.a_singular.capitalize()} has no figure '{claim.field}': "
                           f"choose from {', '.join(fields) or 'none'}.")
        return errors
    source = session.get(Source, claim.source_id)
    if source is None:
        errors["source_id"] = f"No source with id {claim.source_id}."
    elif claim.quote and (message := quote_problem(source, claim.quote)):
        errors["quote"] = message
    if claim.field == claims.STAGE:
        if claim.stage is None:
            errors["stage"] = "Say which stage the source gives."
    else:
        if claim.stage is not None:
            errors["stage"] = "A stage belongs to a claim about the stage."
        if claim.low is not None and claim.high is not None and claim.low > claim.high:
            errors["high"] = "The upper figure cannot be below the lower one."
        elif claim.best is not None and not (
                (claim.low is None or claim.low <= claim.best)
                and (claim.high is None or claim.best <= claim.high)):
            errors["best"] = "The best estimate must lie within the range."
    if claim.rank == Rank.DEPRECATED and not claim.rank_reason:
        errors["rank_reason"] = "Say why this claim is deprecated; it stays on the record."
    return errors


def _apply(session: Session, kind: Kind, row: Any, citation: Citation,
           claim: ClaimIn) -> None:
    values = claim.model_dump(exclude={"reason"})
    if values["claimed_on"] is None:
        source = session.get(Source, claim.source_id)
        values["claimed_on"] = source.published_on if source else None
    if claim.field == claims.STAGE:
        values.update(low=None, high=None, best=None)
    if claim.rank != Rank.DEPRECATED:
        values["rank_reason"] = None
    if (values["quote"], values["source_id"]) != (citation.quote, citation.source_id):
        citation.prefix = citation.suffix = None
    for name, value in values.items():
        setattr(citation, name, value)
    writes.anchor(session, citation)
    session.add(citation)
    session.flush()
    if claim.rank == Rank.PREFERRED:
        writes.demote(session, kind, row, claim.field, keep=citation.id)
    claims.settle(session, row)
    session.flush()


def _named(session: Session, actor: record.Actor, action: str, kind: Kind, row: Any,
           claim: ClaimIn | None, verb: str) -> None:
    record.attribute(session, actor, action,
                     f"{verb} on {kind.singular} “{kind.title(row)}”"[:300],
                     reason=claim.reason if claim else None)


def add(session: Session, kind: Kind, row: Any, claim: ClaimIn,
        actor: record.Actor) -> Citation:
    _named(session, actor, "claim", kind, row, claim, f"Claim about the {claim.field} added")
    citation = Citation(subject_type=kind.subject_type, subject_id=row.id)
    _apply(session, kind, row, citation, claim)
    return citation


def update(session: Session, kind: Kind, row: Any, citation: Citation, claim: ClaimIn,
           actor: record.Actor) -> Citation:
    _named(session, actor, "claim", kind, row, claim, f"Claim about the {claim.field} changed")
    _apply(session, kind, row, citation, claim)
    return citation


def only_support(session: Session, row: Any, citation: Citation) -> bool:
    """Whether this is the last claim left about its figure: removing it would leave the
    figure without a source (deprecate it instead, or add the claim that replaces it)."""
    return not any(c.id != citation.id and c.field == citation.field
                   for c in claims.of_row(session, row))


def delete(session: Session, kind: Kind, row: Any, citation: Citation,
           actor: record.Actor, reason: str | None = None) -> None:
    record.attribute(session, actor, "claim",
                     f"Claim about the {citation.field} removed from {kind.singular} "
                     f"“{kind.title(row)}”"[:300], reason=reason)
    session.delete(citation)
    session.flush()
    claims.settle(session, row)
    session.flush()


def find(session: Session, kind: Kind, row: Any, claim_id: int) -> Citation | None:
    citation = session.get(Citation, claim_id)
    if citation is None or citation.field is None or (
            citation.subject_type, citation.subject_id) != (kind.subject_type, row.id):
        return None
    return citation
