"""Forms for every registered kind of row: add, edit, delete, cite a source.

Like `rows.py`, one handler per route shape, registered once per kind. A form that fails
validation comes back with every typed value and a message next to each bad field (status
422); with HTMX only the form block is swapped, without JavaScript the page reloads.
"""

from typing import Annotated, Any

import pycountry
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from app.browse import queries
from app.editing import forms, merging, writes
from app.history import changelog, record
from app.plan.kinds import KINDS, Kind
from app.plan.text import clean
from app.plan.vocab import country_name
from app.web.deps import EditorUser, SessionDep
from app.web.routes.rows import render_detail
from app.web.templating import done, flash, is_htmx_partial, render

router = APIRouter(include_in_schema=False)


async def posted(request: Request) -> FormData:
    # Cleaned as it arrives: a refused form is shown again as typed, and a browser sends
    # a NUL shown to it back as U+FFFD, which no later cleaning would drop.
    form = await request.form()
    return FormData([(k, clean(v) if isinstance(v, str) else v) for k, v in form.multi_items()])


Posted = Annotated[FormData, Depends(posted)]


def actor(user: Any) -> record.Actor:
    return record.Actor(user.username, user.id)


def finish(request: Request, message: str, url: str) -> Response:
    """After a successful write: HTMX follows the location, a plain form is redirected."""
    if is_htmx_partial(request):
        return Response(status_code=204, headers={"HX-Location": url})
    return done(request, message, url)


def _countries() -> list[tuple[str, str]]:
    return sorted(((c.alpha_2, country_name(c.alpha_2)) for c in pycountry.countries),
                  key=lambda pair: pair[1])


COUNTRIES = _countries()


def form_page(request: Request, session: Session, form: forms.Form, *, action: str,
              values: dict[str, Any], errors: dict[str, str], row: Any = None,
              conflict: dict[str, Any] | None = None, notes: list[str] | None = None,
              status: int = 200) -> Response:
    kind = form.kind
    context = {
        "kind": kind, "form": form, "row": row, "action": action, "values": values,
        "errors": errors, "choices": forms.choices(session, form), "countries": COUNTRIES,
        "conflict": conflict, "notes": notes or [],
    }
    return render(request, "rows/form.html", context, block="form", status_code=status,
                  session=session)


def _row(session: Session, kind: Kind, row_id: int) -> Any:
    row = queries.get_row(session=session, kind=kind, row_id=row_id)
    if row is None:
        raise HTTPException(404, f"No {kind.singular} with id {row_id}.")
    return row


def _conflict(session: Session, form: forms.Form, row: Any,
              merged: merging.Merge) -> dict[str, Any]:
    """What the editor needs to choose: who saved since, their values beside ours, a
    choice for each true conflict, and what of theirs the save keeps."""
    latest = changelog.row_history(session, form.kind, row.id, limit=1)
    return {
        "version": row.version,
        "change": latest[0].change if latest else None,
        "theirs": forms.values_of(form, row),
        "differs": [n for clash in merged.clashes for n in clash.unit.names],
        "clashes": {clash.unit.names[-1]: clash for clash in merged.clashes},
        "kept": merged.kept,
        "base_known": merged.base_known,
    }


def _merged_values(form: forms.Form, row: Any, raw: dict[str, Any],
                   merged: merging.Merge) -> dict[str, Any]:
    """The form's values after a merge: theirs where only they changed, the links of both."""
    theirs = forms.values_of(form, row)
    return {**raw, **{n: theirs[n] for n in merged.theirs},
            **{n: [str(i) for i in ids] for n, ids in merged.links.items()}}


def _clashed(request: Request, session: Session, form: forms.Form, row: Any,
             raw: dict[str, Any], merged: merging.Merge, action: str) -> Response:
    return form_page(request, session, form, action=action, errors={}, row=row,
                     values=_merged_values(form, row, raw, merged),
                     conflict=_conflict(session, form, row, merged), status=409)


def _register(kind: Kind) -> None:
    slug = kind.slug

    def new_form(request: Request, session: SessionDep, user: EditorUser):
        form = forms.form_for(kind, creating=True)
        values = {f.name: None for f in form.fields}
        values.update(certainty="reported", **{k: v for k, v in request.query_params.items()
                                               if k in values})
        return form_page(request, session, form, action=f"/{slug}/new", values=values,
                         errors={})

    def create_row(request: Request, session: SessionDep, user: EditorUser, data: Posted):
        form = forms.form_for(kind, creating=True)
        raw = forms.raw_values(form, data)
        values, errors = forms.validate(session, form, raw)
        if errors:
            return form_page(request, session, form, action=f"/{slug}/new", values=raw,
                             errors=errors, status=422)
        row = writes.create(session, form, values, actor(user))
        session.commit()
        return finish(request, f"Added {kind.singular} “{kind.title(row)}”.",
                      f"/{slug}/{row.id}")

    def edit_form(row_id: int, request: Request, session: SessionDep, user: EditorUser):
        form = forms.form_for(kind)
        row = _row(session, kind, row_id)
        values = {**forms.values_of(form, row), "version": str(row.version)}
        return form_page(request, session, form, action=f"/{slug}/{row_id}/edit", values=values,
                         errors={}, row=row)

    def update_row(row_id: int, request: Request, session: SessionDep, user: EditorUser,
                   data: Posted):
        form = forms.form_for(kind)
        row = _row(session, kind, row_id)
        raw = forms.raw_values(form, data)
        action = f"/{slug}/{row_id}/edit"
        opened = str(data.get("version") or "")
        if not opened.isdigit():
            return form_page(request, session, form, action=action, status=422, row=row,
                             values={**raw, "version": opened}, errors={
                                 "": "This form has no row version: reload the page and try "
                                     "again."})
        version = int(opened)
        # After a conflict, the editor chose per field: their value, or the one typed.
        taken = [key for key in data.getlist("conflicts") if data.get(f"take_{key}") == "theirs"]
        raw = merging.choose(session, form, row, raw, version, taken)
        mine, errors = forms.parse(form, raw)
        merged = None
        if mine is not None and version != row.version:
            merged = merging.merge(session, form, row, mine, version)
            if merged.clashes:
                return _clashed(request, session, form, row, raw, merged, action)
            raw = _merged_values(form, row, raw, merged)
        values, errors = (None, errors) if errors else forms.validate(session, form, raw,
                                                                     row_id=row_id)
        if errors:
            # Shown on the version merged onto: saving again must not undo their changes.
            return form_page(request, session, form, action=action, errors=errors, row=row,
                             values={**raw, "version": str(row.version if merged else version)},
                             notes=[merged.message()] if merged and merged.kept else [],
                             status=422)
        try:
            writes.update(session, form, row, values, row.version, actor(user))
        except writes.Conflict as conflict:  # saved by someone else this very moment
            current = conflict.row
            return _clashed(request, session, form, current, raw,
                            merging.merge(session, form, current, mine, version), action)
        session.commit()
        if merged and merged.kept:
            flash(request, merged.message())
        return finish(request, f"Saved {kind.singular} “{kind.title(row)}”.",
                      f"/{slug}/{row_id}")

    def delete_form(row_id: int, request: Request, session: SessionDep, user: EditorUser):
        row = _row(session, kind, row_id)
        context = {"kind": kind, "row": row,
                   "users": writes.references(session, kind, row_id)}
        return render(request, "rows/delete.html", context, session=session)

    def delete_row(row_id: int, request: Request, session: SessionDep, user: EditorUser):
        row = _row(session, kind, row_id)
        title = kind.title(row)
        try:
            writes.delete(session, kind, row, actor(user))
        except writes.InUse as in_use:
            context = {"kind": kind, "row": row, "users": in_use.users}
            return render(request, "rows/delete.html", context, status_code=409,
                          session=session)
        change_id = record.change_id(session)
        session.commit()
        return finish(request, f"Deleted {kind.singular} “{title}”. It can be restored from "
                      f"change {change_id}.", f"/changes/{change_id}")

    def cite_source(row_id: int, request: Request, session: SessionDep, user: EditorUser,
                    data: Posted):
        row = _row(session, kind, row_id)
        source_id = str(data.get("source_id") or "")
        source = queries.get_row(session=session, kind=KINDS["sources"],
                                 row_id=int(source_id)) if source_id.isdigit() else None
        if source is None:
            raise HTTPException(422, "Choose a source to cite.")
        quote = str(data.get("quote") or "").strip() or None
        if quote and (problem := forms.quote_problem(source, quote)):
            return render_detail(request, session, kind, row, errors={"cite_quote": problem},
                                 values={"cite_source_id": source_id, "cite_quote": quote},
                                 status_code=422)
        record.attribute(session, actor(user), "cite",
                         f"Cited “{source.title}” for {kind.singular} “{kind.title(row)}”"[:300])
        writes.cite(session, kind, row, writes.Citing(source.id, quote))
        session.commit()
        return finish(request, f"Cited “{source.title}”.", f"/{slug}/{row_id}#sources-h")

    def uncite_source(row_id: int, source_id: int, request: Request, session: SessionDep,
                      user: EditorUser):
        row = _row(session, kind, row_id)
        cited = queries.citations(session=session, kind=kind, ids=[row_id]).get(row_id, [])
        # Claims are removed through their own form: they hold a figure's evidence.
        citation = next((c for c in cited if c.source_id == source_id and c.field is None),
                        None)
        if citation is None:
            raise HTTPException(404, f"This {kind.singular} does not cite source {source_id}.")
        if len(cited) == 1:
            raise HTTPException(409, f"This is the only source of this {kind.singular}: cite "
                                "another before removing it.")
        record.attribute(session, actor(user), "uncite",
                         f"Removed source “{citation.source.title}” from {kind.singular} "
                         f"“{kind.title(row)}”"[:300])
        session.delete(citation)
        session.commit()
        return finish(request, "Source removed.", f"/{slug}/{row_id}#sources-h")

    router.add_api_route(f"/{slug}/new", new_form, name=f"new_{slug}")
    router.add_api_route(f"/{slug}/new", create_row, methods=["POST"], name=f"create_{slug}")
    router.add_api_route(f"/{slug}/{{row_id}}/edit", edit_form, name=f"edit_{slug}")
    router.add_api_route(f"/{slug}/{{row_id}}/edit", update_row, methods=["POST"],
                         name=f"update_{slug}")
    router.add_api_route(f"/{slug}/{{row_id}}/delete", delete_form, name=f"confirm_delete_{slug}")
    router.add_api_route(f"/{slug}/{{row_id}}/delete", delete_row, methods=["POST"],
                         name=f"delete_{slug}")
    if kind.cited:
        router.add_api_route(f"/{slug}/{{row_id}}/sources", cite_source, methods=["POST"],
                             name=f"cite_{slug}")
        router.add_api_route(f"/{slug}/{{row_id}}/sources/{{source_id}}/delete",
                             uncite_source, methods=["POST"], name=f"uncite_{slug}")


for _kind in KINDS.values():
    _register(_kind)
