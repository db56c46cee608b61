"""Evidence pages' writes: claims added and ranked on a row's page, a source's text read
from an uploaded file. A refused post shows the row's page again with the message next
to the field and every typed value kept (422)."""

from typing import Any

from fastapi import APIRouter, HTTPException, Request, UploadFile
from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.browse import queries
from app.config import get_settings
from app.editing import claiming
from app.evidence import claims, quotes, texts
from app.history import record
from app.plan.kinds import KINDS, Kind
from app.plan.models import Source, utcnow
from app.plan.vocab import Rank
from app.web.deps import EditorUser, SessionDep
from app.web.form_input import field_errors
from app.web.routes.editing import Posted, actor, finish
from app.web.routes.rows import render_detail

router = APIRouter(include_in_schema=False)


def _row(session: Session, kind: Kind, row_id: int) -> Any:
    row = queries.get_row(session=session, kind=kind, row_id=row_id)
    if row is None:
        raise HTTPException(404, f"No {kind.singular} with id {row_id}.")
    return row


def _register(kind: Kind) -> None:
    slug = kind.slug

    def add_claim(row_id: int, request: Request, session: SessionDep, user: EditorUser,
                  data: Posted):
        row = _row(session, kind, row_id)
        values = {k: v.strip() for k, v in data.items() if isinstance(v, str) and k != "csrf"}
        try:
            claim = claiming.ClaimIn.model_validate(
                {k: v for k, v in values.items() if v and k in claiming.ClaimIn.model_fields})
            errors = claiming.problems(session, kind, claim)
        except ValidationError as error:
            errors = field_errors(error)
        if errors:
            return render_detail(request, session, kind, row, errors=errors, values=values,
                                 status_code=422)
        citation = claiming.add(session, kind, row, claim, actor(user))
        session.commit()
        return finish(request, "Claim added.", f"/{slug}/{row_id}#claim-{citation.id}")

    def rank_claim(row_id: int, claim_id: int, request: Request, session: SessionDep,
                   user: EditorUser, data: Posted):
        row = _row(session, kind, row_id)
        citation = claiming.find(session, kind, row, claim_id)
        if citation is None:
            raise HTTPException(404, f"No claim {claim_id} on this {kind.singular}.")
        current = {name: getattr(citation, name) for name in claiming.ClaimIn.model_fields
                   if hasattr(citation, name)}
        reason = str(data.get("rank_reason") or "").strip() or None
        try:
            claim = claiming.ClaimIn.model_validate(
                {**current, "rank": str(data.get("rank") or ""), "rank_reason": reason,
                 "reason": reason})
            errors = claiming.problems(session, kind, claim)
        except ValidationError as error:
            errors = field_errors(error)
        if errors:
            raise HTTPException(422, " ".join(errors.values()))
        claiming.update(session, kind, row, citation, claim, actor(user))
        session.commit()
        verb = "deprecated" if claim.rank == Rank.DEPRECATED else f"ranked {claim.rank.label}"
        return finish(request, f"Claim {verb}.", f"/{slug}/{row_id}#claim-{claim_id}")

    router.add_api_route(f"/{slug}/{{row_id}}/claims", add_claim, methods=["POST"],
                         name=f"add_claim_{slug}")
    router.add_api_route(f"/{slug}/{{row_id}}/claims/{{claim_id}}/rank", rank_claim,
                         methods=["POST"], name=f"rank_claim_{slug}")


@router.post("/sources/{row_id}/text", name="read_source_text")
async def read_text(row_id: int, request: Request, session: SessionDep, user: EditorUser,
                    file: UploadFile):
    kind = KINDS["sources"]
    source: Source = _row(session, kind, row_id)
    data = await file.read(texts.MAX_BYTES + 1)
    try:
        if len(data) > texts.MAX_BYTES:
            raise texts.Unreadable("The file is over 20 MB; upload the article itself.")
        text = texts.read(file.filename or "", file.content_type, data)
        if not text:
            raise texts.Unreadable("The file holds no text.")
        if len(text) > (longest := get_settings().source_text_max_length):
            raise texts.Unreadable(f"The file holds {len(text):,} characters of text; a "
                                   f"source holds at most {longest:,}.")
    except texts.Unreadable as error:
        return render_detail(request, session, kind, source, errors={"file": str(error)},
                             status_code=422)
    record.attribute(session, actor(user), "update",
                     f"Read the text of source “{source.title}” from {file.filename}"[:300])
    source.text = text
    source.sha256 = quotes.fingerprint(text)
    source.retrieved_at = utcnow()
    session.commit()
    return finish(request, f"Read {len(text):,} characters from {file.filename}.",
                  f"/sources/{row_id}#text-h")


for _kind in KINDS.values():
    if claims.fields_of(_kind.model):
        _register(_kind)
