"""For load balancers: `/healthz` says the process answers, `/readyz` that it can reach
its database (503 while it cannot)."""

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.web.deps import LiveSessionDep

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
def healthz():
    return {"status": "ok"}


@router.get("/readyz")
def readyz(session: LiveSessionDep):
    try:
        session.execute(text("SELECT 1"))
    except DBAPIError:
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, 503,
                            headers={"Retry-After": "5"})
    return {"status": "ready", "database": "reachable"}
