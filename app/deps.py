"""Shared route dependencies as typed aliases."""

from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from app.db import get_session

SessionDep = Annotated[Session, Depends(get_session)]
from typing import Any  # noqa: E402

from app.auth import current_user, require_admin, require_editor  # noqa: E402

CurrentUser = Annotated[Any, Depends(current_user)]
EditorUser = Annotated[Any, Depends(require_editor)]
AdminUser = Annotated[Any, Depends(require_admin)]
