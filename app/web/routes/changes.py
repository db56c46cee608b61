"""The history: one change with its differences, reverting it, and the change log."""

from fastapi import APIRouter, HTTPException, Request

from app.history import changelog, record, revert
from app.plan.filters import parse
from app.plan.records import Change
from app.plan.vocab import Role
from app.web.deps import EditorUser, SessionDep
from app.web.routes.editing import actor, finish
from app.web.templating import query_lists, render

router = APIRouter(include_in_schema=False)


@router.get("/changes/{change_id}", name="show_change")
def show_change(change_id: int, request: Request, session: SessionDep):
    """One change: who, when, and every row it touched, before and after."""
    detail = changelog.change_detail(session, change_id) if 0 < change_id < 2**31 else None
    if detail is None:
        raise HTTPException(404, f"No change with id {change_id}.")
    reverted_by = session.query(Change).filter(Change.reverts_id == change_id).first()
    return render(request, "changes/show.html",
                  {"detail": detail, "reverted_by": reverted_by, "problems": []},
                  session=session)


@router.post("/changes/{change_id}/revert", name="revert_change")
def revert_change(change_id: int, request: Request, session: SessionDep, user: EditorUser):
    """Undo a change as a new change. Editors undo their own; admins any."""
    change = session.get(Change, change_id) if 0 < change_id < 2**31 else None
    if change is None:
        raise HTTPException(404, f"No change with id {change_id}.")
    if not user.can(Role.ADMIN) and change.user_id != user.id:
        raise HTTPException(403, "Editors can revert their own changes; this needs an admin.")
    try:
        revert.revert(session, change, actor(user))
    except revert.RevertConflict as conflict:
        session.rollback()
        detail = changelog.change_detail(session, change_id)
        return render(request, "changes/show.html",
                      {"detail": detail, "reverted_by": None, "problems": conflict.problems},
                      status_code=409, session=session)
    undo_id = record.change_id(session)
    session.commit()
    return finish(request, f"Reverted change {change_id}.", f"/changes/{undo_id}")


@router.get("/admin/changes", name="change_log")
def change_log(request: Request, session: SessionDep, user: EditorUser):
    """Every change, newest first, by user, kind of row and date."""
    filters, problems = parse(changelog.ChangeFilters, query_lists(request))
    log = changelog.change_log(session, filters)
    return render(request, "changes/log.html",
                  {"filters": filters, "log": log, "problems": problems},
                  block="results", status_code=400 if problems else 200, session=session)
