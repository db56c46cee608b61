"""Bulk import for editors: upload, preview every row with its errors, then write all or none.

The preview carries the file's text in the page, so the confirming request checks and
writes exactly what was previewed, whichever server process answers it.
"""

from typing import Annotated

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import PlainTextResponse

from app.editing import imports
from app.plan.kinds import KINDS
from app.plan.text import clean
from app.web.deps import EditorUser, SessionDep
from app.web.routes.editing import actor, finish
from app.web.templating import render

router = APIRouter(prefix="/admin/import", include_in_schema=False)


def _page(request, session, *, slug="assets", preview=None, text="", name="", problem=None,
          status=200):
    context = {"importable": [KINDS[s] for s in imports.IMPORTABLE], "slug": slug,
               "preview": preview, "text": text, "name": name, "problem": problem,
               "separator": imports.LIST_SEPARATOR,
               "guides": {s: imports.guide(KINDS[s]) for s in imports.IMPORTABLE}}
    return render(request, "admin/import.html", context, status_code=status, session=session)


@router.get("", name="import_form")
def import_form(request: Request, session: SessionDep, user: EditorUser, kind: str = "assets"):
    """Choose a kind and a file."""
    return _page(request, session, slug=kind if kind in imports.IMPORTABLE else "assets")


@router.get("/{slug}.csv", name="import_template")
def import_template(slug: str, user: EditorUser, session: SessionDep):
    """A CSV with the columns an import of this kind takes and an example row."""
    if slug not in imports.IMPORTABLE:
        return PlainTextResponse(f"Only {', '.join(imports.IMPORTABLE)} can be imported.",
                                 status_code=404)
    return PlainTextResponse(imports.template_csv(session, KINDS[slug]), media_type="text/csv",
                             headers={"Content-Disposition":
                                      f'attachment; filename="{slug}-import.csv"'})


@router.post("", name="import_preview")
async def import_preview(request: Request, session: SessionDep, user: EditorUser,
                         kind: Annotated[str, Form()],
                         file: Annotated[UploadFile | None, Form()] = None):
    """Check every row; nothing is written yet."""
    content = await file.read(imports.MAX_BYTES + 1) if file is not None else b""
    name = clean((file.filename if file is not None else "") or "upload")
    if len(content) > imports.MAX_BYTES:
        return _page(request, session, slug=kind, status=413,
                     problem=f"The file is over {imports.MAX_BYTES // 1024 // 1024} MB.")
    try:
        # Cleaned here, not only cell by cell: the preview carries the text in its page,
        # where the browser would turn a NUL into U+FFFD before it comes back to be written.
        text = clean(content.decode("utf-8-sig"))
    except UnicodeDecodeError:
        return _page(request, session, slug=kind, status=422,
                     problem="The file is not UTF-8 text (save it as CSV UTF-8 or JSON).")
    return _check(request, session, kind, text, name)


def _check(request, session, slug, text, name):
    try:
        preview = imports.preview(session, slug, text, name)
    except imports.UnreadableFile as error:
        return _page(request, session, slug=slug, text=text, name=name, problem=str(error),
                     status=422)
    return _page(request, session, slug=slug, preview=preview, text=text, name=name,
                 status=200 if preview.ok else 422)


@router.post("/confirm", name="import_confirm")
def import_confirm(request: Request, session: SessionDep, user: EditorUser,
                   kind: Annotated[str, Form()], text: Annotated[str, Form()],
                   name: Annotated[str, Form()] = "upload"):
    """Check again and write every row in one transaction, or none."""
    name = clean(name)  # it names the change
    try:
        preview = imports.preview(session, kind, text, name)
    except imports.UnreadableFile as error:
        return _page(request, session, slug=kind, problem=str(error), status=422)
    if not preview.ok:
        return _page(request, session, slug=kind, preview=preview, text=text, name=name,
                     status=422)
    change_id = imports.write(session, preview, actor(user), name)
    session.commit()
    return finish(request, f"Imported {len(preview.rows)} {preview.kind.plural.lower()}.",
                  f"/changes/{change_id}")
