"""Shared route dependencies as typed aliases."""

from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from app.auth import current_user, require_admin, require_editor, require_signed_in
from app.db import get_session
from app.models import User

SessionDep = Annotated[Session, Depends(get_session)]
CurrentUser = Annotated[User | None, Depends(current_user)]
SignedInUser = Annotated[User, Depends(require_signed_in)]
EditorUser = Annotated[User, Depends(require_editor)]
AdminUser = Annotated[User, Depends(require_admin)]
