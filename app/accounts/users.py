"""Accounts: their input rules, password hashes, sign-in and API tokens.

Every account query and write lives here; routes and the console command call these.
"""

import hashlib
import re
import secrets
from datetime import timedelta
from functools import lru_cache

from pwdlib import PasswordHash
from pydantic import BaseModel, Field, ValidationInfo, field_validator
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.accounts import throttle
from app.plan.models import as_utc, utcnow
from app.plan.records import ApiToken, User, UserSession
from app.plan.vocab import Role

MIN_PASSWORD = 10
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,39}")

# --- Input ---


class PasswordInput(BaseModel):
    password: str = Field(min_length=MIN_PASSWORD, max_length=1024)
    password_confirm: str

    @field_validator("password_confirm")
    @classmethod
    def _confirmed(cls, value: str, info: ValidationInfo) -> str:
        if "password" in info.data and value != info.data["password"]:
            raise ValueError("The two passwords differ.")
        return value


class PasswordChange(PasswordInput):
    """One's own new password, given with the current one."""

    current_password: str = Field(min_length=1, max_length=1024)


class NewUser(PasswordInput):
    username: str
    role: Role = Role.VIEWER

    @field_validator("username", mode="before")
    @classmethod
    def _username(cls, value: str) -> str:
        value = str(value).strip().lower()
        if not USERNAME.fullmatch(value):
            raise ValueError("Use 2 to 40 letters, digits, dots, dashes or underscores, "
                             "starting with a letter or digit.")
        return value


class RoleInput(BaseModel):
    role: Role


class TokenInput(BaseModel):
    name: str = Field(min_length=1, max_length=80)

    @field_validator("name", mode="before")
    @classmethod
    def _strip(cls, value: str) -> str:
        return str(value).strip()


# --- Passwords ---


@lru_cache
def _hasher() -> PasswordHash:
    return PasswordHash.recommended()  # argon2id


# Checked against when the name is unknown, so both answers take as long: the hash of a
# random password nobody kept, with the same argon2id parameters as real ones. A constant,
# so that the first unknown name does not take longer (hashing it at run time would).
DECOY_HASH = ("$argon2id$v=19$m=65536,t=3,p=4$K1EiBhDb4ucnBPNBgFdrxg$"
              "n+UCY/zbD4oDVOTsQkwH7tjbuPVrnBeTGaCTtCjN5t4")


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def password_fingerprint(user: User) -> str:
    """Changes when the password does: a session carrying the old one is no longer valid."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


# --- Users ---


class UsernameTaken(ValueError):
    pass


def normalize(username: str) -> str:
    return username.strip().lower()[:100]


def count_users(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User)) or 0


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def create_user(session: Session, data: NewUser) -> User:
    if session.scalar(select(User.id).where(User.username == data.username)) is not None:
        raise UsernameTaken(f"There is already an account named {data.username}.")
    user = User(username=data.username, role=data.role, active=True,
                password_hash=hash_password(data.password))
    session.add(user)
    try:
        session.commit()
    except IntegrityError:  # created meanwhile by another process
        session.rollback()
        raise UsernameTaken(f"There is already an account named {data.username}.") from None
    return user


def _active_admins(session: Session) -> int:
    stmt = select(func.count()).where(User.role == Role.ADMIN, User.active.is_(True))
    return session.scalar(stmt) or 0


class LastAdmin(ValueError):
    pass


def update_access(session: Session, user: User, *, role: Role | None = None,
                  active: bool | None = None) -> None:
    """Change role or active state, refusing to leave no active administrator."""
    was_admin = user.can(Role.ADMIN)
    if role is not None:
        user.role = role
    if active is not None:
        user.active = active
        if not active:
            session.execute(update(UserSession).where(
                UserSession.user_id == user.id, UserSession.ended_at.is_(None))
                .values(ended_at=utcnow()))
    if was_admin and not user.can(Role.ADMIN):
        session.flush()
        if _active_admins(session) == 0:
            session.rollback()
            raise LastAdmin("This would leave no active administrator. Make another "
                            "account an administrator first.")
    session.commit()


# --- Sessions ---

#: The longest a sign-in lasts, however active; idle sessions end sooner, when their cookie
#: (re-sent with every response, `settings.session_max_age`) expires.
SESSION_LIFETIME = timedelta(days=30)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: User) -> str:
    """A new session for `user`; the token goes in the cookie and is not stored."""
    token = secrets.token_urlsafe(32)
    session.add(UserSession(user_id=user.id, token_hash=_digest(token)))
    session.commit()
    return token


def session_user(session: Session, token: str) -> User | None:
    """The active user of a live session, or None once it ended or ran out."""
    found = session.execute(
        select(User, UserSession.created_at).join(UserSession, UserSession.user_id == User.id)
        .where(UserSession.token_hash == _digest(token), UserSession.ended_at.is_(None))
    ).first()
    if found is None or not found[0].active:
        return None
    if as_utc(found[1]) < utcnow() - SESSION_LIFETIME:
        return None
    return found[0]


def end_session(session: Session, token: str) -> None:
    session.execute(update(UserSession).where(UserSession.token_hash == _digest(token))
                    .values(ended_at=utcnow()))
    session.commit()


def end_sessions(session: Session, user: User) -> int:
    """End every session of `user` (signed out everywhere, or the account disabled)."""
    ended = session.execute(update(UserSession).where(
        UserSession.user_id == user.id, UserSession.ended_at.is_(None)).values(ended_at=utcnow()))
    session.commit()
    return ended.rowcount


def set_password(session: Session, user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    throttle.forget_name(session, user.username)
    session.commit()


# --- Sign-in ---


class AccountDisabled(Exception):
    pass


def authenticate(session: Session, username: str, password: str, address: str = ""
                 ) -> User | None:
    """The user these credentials name, or None. Raises throttle.LockedOut while the name
    is locked for this address, or the address for every name (checking no password), and
    AccountDisabled for a right password on a disabled account. Unknown names and wrong
    passwords are counted alike. Any delay (throttle.delay) is the caller's to wait, so
    that waiting holds no thread."""
    attempt = throttle.Attempt(normalize(username), address)
    throttle.check(session, attempt)
    user = session.scalar(select(User).where(User.username == attempt.name))
    hasher = _hasher()
    valid, new_hash = hasher.verify_and_update(password, user.password_hash if user else
                                               DECOY_HASH)
    if user is None or not valid:
        if locked := throttle.failed(session, attempt):
            raise locked
        return None
    if not user.active:
        raise AccountDisabled
    if new_hash:  # parameters moved on since this hash was made
        user.password_hash = new_hash
    throttle.succeeded(session, attempt)
    session.commit()
    return user


def check_own_password(session: Session, user: User, password: str, address: str = "") -> bool:
    """Whether `password` is `user`'s own, asked of someone already signed in (to change
    it). Counted as a sign-in attempt on the name from this address, so a borrowed session
    guesses no faster than the sign-in form allows: raises throttle.LockedOut as
    `authenticate` does."""
    attempt = throttle.Attempt(user.username, address)
    throttle.check(session, attempt)
    if not _hasher().verify(password, user.password_hash):
        if locked := throttle.failed(session, attempt):
            raise locked
        return False
    throttle.succeeded(session, attempt)
    session.commit()
    return True


# --- API tokens ---

TOKEN_PREFIX = "pp_"
TOUCH_EVERY = timedelta(minutes=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def list_tokens(session: Session, user: User) -> list[ApiToken]:
    stmt = (select(ApiToken).where(ApiToken.user_id == user.id)
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc()))
    return list(session.scalars(stmt))


def create_token(session: Session, user: User, data: TokenInput) -> tuple[ApiToken, str]:
    """A new token and its value, which is not stored and cannot be shown again."""
    value = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=data.name, token_hash=_digest(value))
    session.add(token)
    session.commit()
    return token, value


def revoke_token(session: Session, user: User, token_id: int) -> ApiToken | None:
    token = session.scalar(select(ApiToken).where(ApiToken.id == token_id,
                                                  ApiToken.user_id == user.id))
    if token is not None and token.revoked_at is None:
        token.revoked_at = utcnow()
        session.commit()
    return token


def token_user(session: Session, value: str) -> User | None:
    """The active user a live token belongs to, noting its use at most once a minute."""
    if not value.startswith(TOKEN_PREFIX):
        return None
    row = session.execute(
        select(ApiToken, User).join(User, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == _digest(value), ApiToken.revoked_at.is_(None),
               User.active.is_(True))
    ).first()
    if row is None:
        return None
    token, user = row
    now = utcnow()
    if token.last_used_at is None or now - as_utc(token.last_used_at) >= TOUCH_EVERY:
        token.last_used_at = now
        session.commit()
    return user
