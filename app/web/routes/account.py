"""/account/tokens: each user's API tokens for scripts. A token acts with its owner's role,
so creating and revoking need an editor; a viewer's token could do nothing a visitor cannot.
The new token's value is in the response to the post itself, never stored or redirected
with, so it is shown exactly once."""

from fastapi import APIRouter, HTTPException, Request

from app.accounts import users
from app.plan.records import User
from app.web.deps import EditorUser, SessionDep, SignedInUser
from app.web.form_input import Errors, parse_form
from app.web.templating import done, is_htmx_partial, render

router = APIRouter(prefix="/account/tokens", include_in_schema=False)


def _page(request: Request, session: SessionDep, user: User, *, values=None,
          errors: Errors | None = None, messages: list[str] | None = None,
          new_token: str | None = None, status: int = 200):
    context = {"tokens": users.list_tokens(session, user), "values": values or {},
               "errors": errors or {}, "messages": messages or [], "new_token": new_token}
    return render(request, "account/tokens.html", context, block="panel",
                  status_code=status, session=session)


@router.get("")
def list_tokens(request: Request, user: SignedInUser, session: SessionDep):
    """Your API tokens."""
    return _page(request, session, user)


@router.post("")
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


@router.post("/{token_id}/revoke")
def revoke_token(request: Request, token_id: int, user: EditorUser, session: SessionDep):
    """Stop a token from working, at once and for good."""
    token = users.revoke_token(session, user, token_id)
    if token is None:
        raise HTTPException(404, f"You have no token with id {token_id}.")
    message = f"Revoked the token “{token.name}”."
    if is_htmx_partial(request):
        return _page(request, session, user, messages=[message])
    return done(request, message, "/account/tokens")
