"""/account: one's own password, and API tokens for scripts.

A token acts with its owner's role, so creating and revoking need an editor; a viewer's
token could do nothing a visitor cannot. The new token's value is in the response to the
post itself, never stored or redirected with, so it is shown exactly once.

A new password ends every session of the account but the one that set it, which starts
afresh (a new session and CSRF token): whoever else held a session loses it."""

import asyncio

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool

from app.accounts import csrf, throttle, users
from app.accounts.auth import sign_in
from app.plan.records import User
from app.web.deps import EditorUser, SessionDep, SignedInUser
from app.web.form_input import Errors, parse_form
from app.web.routes.auth import client_address, locked_message
from app.web.templating import done, is_htmx_partial, render

router = APIRouter(prefix="/account", include_in_schema=False)


def _page(request: Request, session: SessionDep, user: User, *, values=None,
          errors: Errors | None = None, messages: list[str] | None = None,
          new_token: str | None = None, status: int = 200):
    context = {"tokens": users.list_tokens(session, user), "values": values or {},
               "errors": errors or {}, "messages": messages or [], "new_token": new_token}
    return render(request, "account/tokens.html", context, block="panel",
                  status_code=status, session=session)


@router.get("/tokens")
def list_tokens(request: Request, user: SignedInUser, session: SessionDep):
    """Your API tokens."""
    return _page(request, session, user)


@router.post("/tokens")
async def create_token(request: Request, user: EditorUser, session: SessionDep):
    """A new token, shown once."""
    form = await request.form()
    data, errors = parse_form(users.TokenInput, form)
    if data is None:
        return _page(request, session, user, values={"name": form.get("name", "")},
                     errors=errors, status=422)
    token, value = users.create_token(session, user, data)
    response = _page(request, session, user, new_token=value,
                     messages=[f"Created the token “{token.name}”."])
    # Neither the browser's cache nor HTMX's history (hx-history="false") keeps the value.
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/tokens/{token_id}/revoke")
def revoke_token(request: Request, token_id: int, user: EditorUser, session: SessionDep):
    """Stop a token from working, at once and for good."""
    token = users.revoke_token(session, user, token_id)
    if token is None:
        raise HTTPException(404, f"You have no token with id {token_id}.")
    message = f"Revoked the token “{token.name}”."
    if is_htmx_partial(request):
        return _page(request, session, user, messages=[message])
    return done(request, message, "/account/tokens")


# --- One's own password ---


def _password_page(request: Request, session: SessionDep, *, errors: Errors | None = None,
                   status: int = 200):
    context = {"errors": errors or {}, "min_password": users.MIN_PASSWORD}
    return render(request, "account/password.html", context, status_code=status,
                  session=session)


@router.get("/password")
def password_form(request: Request, user: SignedInUser, session: SessionDep):
    """The form to change one's password."""
    return _password_page(request, session)


@router.post("/password")
async def change_password(request: Request, user: SignedInUser, session: SessionDep):
    """Check the current password, set the new one, end every other session."""
    if csrf.is_bearer(request):  # a script's token cannot take over its owner's account
        raise HTTPException(403, "Change your password in the browser, signed in.")
    data, errors = parse_form(users.PasswordChange, await request.form())
    if data is None:
        return _password_page(request, session, errors=errors, status=422)
    if data.password == data.current_password:
        return _password_page(request, session, status=422, errors={
            "password": "Choose a new password: it must differ from the current one."})
    attempt = throttle.Attempt(user.username, client_address(request))
    # As at sign-in: a name much guessed from everywhere waits, holding no thread.
    if wait := await run_in_threadpool(throttle.delay, session, attempt):
        await asyncio.sleep(wait)
    try:
        right = await run_in_threadpool(users.check_own_password, session, user,
                                        data.current_password, attempt.address)
    except throttle.LockedOut as locked:
        return _password_page(request, session, status=429,
                              errors={"current_password": locked_message(locked)})
    if not right:
        return _password_page(request, session, status=422, errors={
            "current_password": "This is not your current password."})
    await run_in_threadpool(_replace_password, request, session, user, data.password)
    return done(request, "Your password is changed. Every other browser signed in as you "
                "has been signed out.", "/account/password")


def _replace_password(request: Request, session: SessionDep, user: User, password: str) -> None:
    users.set_password(session, user, password)
    users.end_sessions(session, user)
    sign_in(request, session, user)
