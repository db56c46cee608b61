"""Sign-in and sign-out."""

import asyncio
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse

from app.accounts import throttle, users
from app.accounts.auth import sign_in, sign_out
from app.plan.models import utcnow
from app.web.deps import SessionDep, SignedInUser
from app.web.templating import flash, render

router = APIRouter(include_in_schema=False)

WRONG = "The name or the password is wrong."


def safe_next(target: str | None) -> str:
    """`target` if it is a path on this site, else the overview: never an open redirect."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in target):
        return "/"
    return target


def locked_message(locked: throttle.LockedOut) -> str:
    minutes = max(1, round((locked.until - utcnow()).total_seconds() / 60))
    who = ("from your network address" if locked.scope == throttle.ADDRESS
           else "for this name from your network address")
    return (f"Too many failed sign-ins {who}. Try again after "
            f"{locked.until.strftime('%H:%M')} UTC (in about {minutes} minute"
            f"{'' if minutes == 1 else 's'}).")


def client_address(request: Request) -> str:
    """The peer's address, or the client's as a trusted proxy gives it (TRUSTED_PROXIES)."""
    return request.client.host if request.client else ""


@router.get("/login")
def login_form(request: Request, session: SessionDep, next: str = "/"):
    """The sign-in form."""
    context = {"values": {"username": "", "next": safe_next(next)}, "errors": {}}
    return render(request, "auth/login.html", context, session=session)


@router.post("/login")
async def login(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
):
    """Check the name and password; on success start a session and go where asked.

    Async so that the delay a much-guessed name imposes holds no worker thread; the
    database work runs in the thread pool as in any sync route."""
    attempt = throttle.Attempt(users.normalize(username), client_address(request))
    if wait := await run_in_threadpool(throttle.delay, session, attempt):
        await asyncio.sleep(wait)
    error = None
    try:
        user = await run_in_threadpool(users.authenticate, session, username, password,
                                       attempt.address)
        if user is None:
            error = WRONG
    except throttle.LockedOut as locked:
        error = locked_message(locked)
    except users.AccountDisabled:
        error = "This account is disabled. Ask an administrator to enable it."
    if error:
        context = {"values": {"username": username, "next": safe_next(next)},
                   "errors": {"": error}}
        return await run_in_threadpool(render, request, "auth/login.html", context,
                                       status_code=401, session=session)
    await run_in_threadpool(sign_in, request, session, user)
    flash(request, f"Signed in as {user.username}.")
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, session: SessionDep):
    """End the session."""
    sign_out(request, session)
    flash(request, "Signed out.")
    return RedirectResponse("/", status_code=303)


@router.post("/account/sessions/end")
def sign_out_everywhere(request: Request, session: SessionDep, user: SignedInUser):
    """End every session of this account, this one included: for a lost laptop, or a
    password seen by someone else."""
    ended = users.end_sessions(session, user)
    sign_out(request, session)
    flash(request, f"Signed out everywhere ({ended} session{'' if ended == 1 else 's'} ended).")
    return RedirectResponse("/login", status_code=303)
