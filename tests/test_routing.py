"""The list pages are matched before any other route (a request tries routes in order),
and no other route answers one of their addresses."""

from app.plan.kinds import KINDS
from app.web.routes import rows


def test_the_list_pages_come_first_and_alone(shared_app):
    # Before them only FastAPI's own schema route and the static files' mount.
    routers = [getattr(r, "original_router", None) for r in shared_app.router.routes]
    first = next(r for r in routers if r is not None)
    assert first is rows.lists
    assert sorted(r.path for r in rows.lists.routes) == sorted(f"/{k}" for k in KINDS)
    assert not any(r.path in {f"/{k}" for k in KINDS} for r in rows.router.routes)


def test_every_list_page_answers(client):
    for slug in KINDS:
        assert client.get(f"/{slug}").status_code == 200, slug
