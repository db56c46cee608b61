"""Sign-in and sign-out."""

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from app.accounts import users
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


def _locked_message(until) -> str:
    minutes = max(1, round((until - utcnow()).total_seconds() / 60))
    return (f"Too many failed sign-ins for this name. Try again after "
            f"{until.strftime('%H:%M')} UTC (in about {minutes} minute"
            f"{'' if minutes == 1 else 's'}).")


@router.get("/login")
def login_form(request: Request, session: SessionDep, next: str = "/"):
    """The sign-in form."""
    context = {"values": {"username": "", "next": safe_next(next)}, "errors": {}}
    return render(request, "auth/login.html", context, session=session)


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
):
    """Check the name and password; on success start a session and go where asked."""
    error = None
    try:
        user = users.authenticate(session, username, password)
        if user is None:
            error = WRONG
    except users.LockedOut as locked:
        error = _locked_message(locked.until)
    except users.AccountDisabled:
        error = "This account is disabled. Ask an administrator to enable it."
    if error:
        context = {"values": {"username": username, "next": safe_next(next)},
                   "errors": {"": error}}
        return render(request, "auth/login.html", context, status_code=401, session=session)
    sign_in(request, session, user)
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
