"""Shared route dependencies as typed aliases."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.accounts.auth import current_user, require_admin, require_editor, require_signed_in
from app.db import get_session
from app.history import asof
from app.plan.records import User

CurrentUser = Annotated[User | None, Depends(current_user)]
SignedInUser = Annotated[User, Depends(require_signed_in)]
EditorUser = Annotated[User, Depends(require_editor)]
AdminUser = Annotated[User, Depends(require_admin)]
LiveSessionDep = Annotated[Session, Depends(get_session)]


async def get_view_session(
    request: Request,
    live: LiveSessionDep,
    as_of: Annotated[str | None, Query(
        # Checked below, for a message that says how to write it. Empty is the present, as
        # a cleared date field sends it.
        json_schema_extra={"anyOf": [{"type": "string", "format": "date"},
                                     {"type": "string", "format": "date-time"},
                                     {"type": "string", "maxLength": 0}]},
        description="Show the plan as it stood at the end of this day (UTC), YYYY-MM-DD, "
                    "or just before this moment, YYYY-MM-DDTHH:MM:SSZ; now or later is "
                    "the present.",
        examples=["2025-02-21"])] = None,
    change: Annotated[int | None, Query(
        ge=1, le=2**31 - 1,  # the largest id a PostgreSQL integer holds
        description="With `as_of`: only the changes recorded up to this one (a permalink's "
                    "pin), so later changes, even ones dated earlier, are not shown.")] = None,
) -> AsyncIterator[Session]:
    """The session a page reads: the live database, or with `?as_of=` the plan as it
    stood on that date, rebuilt from the change history (in a thread: the present needs
    none)."""
    if not as_of:
        yield live
        return
    try:
        when = asof.parse_when(as_of)
    except ValueError as error:
        # The same error as any bad parameter: a 400 page, or a 422 from the API.
        raise RequestValidationError([{"type": "value_error", "loc": ("query", "as_of"),
                                       "msg": str(error), "input": as_of}]) from None
    past = await run_in_threadpool(asof.view, live, when, change)
    if past is None:
        yield live
        return
    view, session = past
    # Read by the page banner and by the middleware that keeps `as_of` in links.
    request.state.as_of = view
    try:
        yield session
    finally:
        await run_in_threadpool(session.close)


SessionDep = Annotated[Session, Depends(get_view_session)]
