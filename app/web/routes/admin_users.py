"""/admin/users: administrators list, create, disable and enable accounts, change roles and
reset passwords. Each form works as a plain post-redirect-get, and with HTMX swaps the panel
in place; errors show next to their field with what was typed kept (passwords excepted)."""

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel

from app.accounts import users
from app.plan.records import User
from app.plan.vocab import Role
from app.web.deps import AdminUser, SessionDep
from app.web.form_input import Errors, parse_form
from app.web.templating import done, is_htmx_partial, render

router = APIRouter(prefix="/admin/users", include_in_schema=False)

ROLES = [(r.value, r.label) for r in Role]


class ActiveInput(BaseModel):
    active: bool


def _list(request: Request, session: SessionDep, *, values: dict[str, Any] | None = None,
          errors: Errors | None = None, messages: list[str] | None = None, status: int = 200):
    context = {"users": users.list_users(session), "roles": ROLES,
               "values": values or {"role": Role.EDITOR.value}, "errors": errors or {},
               "messages": messages or []}
    return render(request, "admin/users.html", context, block="panel", status_code=status,
                  session=session)


def _detail(request: Request, session: SessionDep, target: User, *, form: str = "",
            errors: Errors | None = None, messages: list[str] | None = None,
            status: int = 200):
    context = {"target": target, "roles": ROLES, "form": form, "errors": errors or {},
               "values": {"role": target.role.value}, "messages": messages or []}
    return render(request, "admin/user.html", context, block="panel", status_code=status,
                  session=session)


def _target(session: SessionDep, user_id: int) -> User:
    target = users.get_user(session, user_id)
    if target is None:
        raise HTTPException(404, f"No account with id {user_id}.")
    return target


@router.get("")
def list_users(request: Request, admin: AdminUser, session: SessionDep):
    """Every account, and a form to create one."""
    return _list(request, session)


@router.post("")
async def create_user(request: Request, admin: AdminUser, session: SessionDep):
    """Create an account."""
    form = await request.form()
    data, errors = parse_form(users.NewUser, form)
    if data is not None:
        try:
            user = users.create_user(session, data)
        except users.UsernameTaken as taken:
            errors = {"username": str(taken)}
    if errors:
        values = {k: form.get(k, "") for k in ("username", "role")}
        return _list(request, session, values=values, errors=errors, status=422)
    message = f"Created {user.username} ({user.role.label.lower()})."
    if is_htmx_partial(request):
        return _list(request, session, messages=[message])
    return done(request, message, "/admin/users")


@router.get("/{user_id}")
def show_user(request: Request, user_id: int, admin: AdminUser, session: SessionDep):
    """One account, with its role, access and password forms."""
    return _detail(request, session, _target(session, user_id))


async def _change(request: Request, session: SessionDep, target: User, form_name: str,
                  model: type[BaseModel], apply) -> Any:
    data, errors = parse_form(model, await request.form())
    if data is not None:
        try:
            message = apply(data)
        except users.LastAdmin as refused:
            errors = {"": str(refused)}
            session.refresh(target)
    if errors:
        return _detail(request, session, target, form=form_name, errors=errors, status=422)
    if is_htmx_partial(request):
        return _detail(request, session, target, messages=[message])
    return done(request, message, f"/admin/users/{target.id}")


@router.post("/{user_id}/role")
async def change_role(request: Request, user_id: int, admin: AdminUser, session: SessionDep):
    """Give an account another role."""
    target = _target(session, user_id)

    def apply(data: users.RoleInput) -> str:
        users.update_access(session, target, role=data.role)
        return f"{target.username} is now {target.role.label.lower()}."

    return await _change(request, session, target, "role", users.RoleInput, apply)


@router.post("/{user_id}/active")
async def change_active(request: Request, user_id: int, admin: AdminUser,
                        session: SessionDep):
    """Disable an account (its sessions and tokens stop working at once) or enable it."""
    target = _target(session, user_id)

    def apply(data: ActiveInput) -> str:
        users.update_access(session, target, active=data.active)
        return f"{target.username} is {'enabled' if target.active else 'disabled'}."

    return await _change(request, session, target, "active", ActiveInput, apply)


@router.post("/{user_id}/password")
async def reset_password(request: Request, user_id: int, admin: AdminUser,
                         session: SessionDep):
    """Set a new password; the account's existing sessions end."""
    target = _target(session, user_id)

    def apply(data: users.PasswordInput) -> str:
        users.set_password(session, target, data.password)
        return f"New password set for {target.username}."

    return await _change(request, session, target, "password", users.PasswordInput, apply)
