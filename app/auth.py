"""Who is asking. Placeholder until accounts land: nobody is signed in."""

from fastapi import HTTPException


def current_user():
    return None


def require_editor():
    raise HTTPException(401, "Sign in to do this.")


def require_admin():
    raise HTTPException(401, "Sign in to do this.")
