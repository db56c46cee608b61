"""Rows for tests, as plain functions."""

from functools import lru_cache

from sqlalchemy.orm import Session

from app.accounts import users
from app.plan.records import User
from app.plan.vocab import Role

PASSWORD = "correct horse battery"

# Argon2 is slow on purpose; one hash per password serves every test user (salt and all).
_hash = lru_cache(users.hash_password)


def make_user(session: Session, username: str, role: Role = Role.EDITOR,
              password: str = PASSWORD, active: bool = True) -> User:
    user = User(username=username, role=role, active=active,
                password_hash=_hash(password))
    session.add(user)
    session.commit()
    return user
