"""Who is asking: the signed session cookie or an API token, and the role checks.

The web layer asks once per request, before the route (`WhoIsAskingMiddleware`), so every
page can show who is signed in; `current_user` is the dependency of the routes that check
a role, and answers from what was found then. An anonymous request costs no query.
"""

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from app.accounts import csrf, users
from app.db import get_session
from app.plan.records import User
from app.plan.vocab import Role

SESSION_KEY = "sid"
PASSWORD_KEY = "pwd"


async def current_user(request: Request, session: Annotated[Session, Depends(get_session)]
                       ) -> User | None:
    """The signed-in user, or None for anonymous visitors, disabled users, revoked
    tokens, and sessions from before a password change.

    A request carrying `Authorization: Bearer` is judged by its token alone, never by a
    cookie: such requests skip the CSRF check. An anonymous request is answered here on the
    event loop; looking up a token or a session is database work, done in a thread.
    """
    if hasattr(request.state, "user"):
        return request.state.user
    if signs_in(request):
        return await run_in_threadpool(signed_in_user, request, session)
    request.state.user = None
    return None


def signs_in(request: Request) -> bool:
    """Whether the request carries a token or a signed-in session to look up."""
    return (request.scope.get("session", {}).get(SESSION_KEY) is not None
            or csrf.is_bearer(request))


def signed_in_user(request: Request, session: Session) -> User | None:
    """`current_user` for a request with a token or a session cookie."""
    user = None
    if csrf.is_bearer(request):
        _, _, value = request.headers["authorization"].partition(" ")
        user = users.token_user(session, value.strip())
    elif (token := request.session.get(SESSION_KEY)) is not None:
        user = users.session_user(session, str(token))
        if user is not None and (
            request.session.get(PASSWORD_KEY) != users.password_fingerprint(user)
        ):
            user = None
    request.state.user = user
    return user


def sign_in(request: Request, session: Session, user: User) -> None:
    """Start a fresh session for `user`, recorded on the server, with a new CSRF token."""
    request.session.clear()
    request.session[SESSION_KEY] = users.start_session(session, user)
    request.session[PASSWORD_KEY] = users.password_fingerprint(user)
    csrf.token(request)
    request.state.user = user


def sign_out(request: Request, session: Session) -> None:
    """End this session on the server too: a copy of its cookie stops working."""
    if (token := request.session.get(SESSION_KEY)) is not None:
        users.end_session(session, str(token))
    request.session.clear()
    request.state.user = None


def _requires(role: Role):
    def check(user: Annotated[User | None, Depends(current_user)]) -> User:
        if user is None:
            raise HTTPException(401, "Sign in to do this.",
                                headers={"WWW-Authenticate": "Bearer"})
        if not user.can(role):
            raise HTTPException(403, f"This needs an account with the {role.label.lower()} "
                                f"role; yours is {user.role.label.lower()}.")
        return user

    check.__name__ = f"require_{role.value}"
    return check


require_signed_in = _requires(Role.VIEWER)
require_editor = _requires(Role.EDITOR)
require_admin = _requires(Role.ADMIN)
