"""Saved views: a user's name for a page of the plan with its filter.

A view keeps the page's address (`path`, as `/assets?country=FR&asset_type=drone`). Only
the pages that take a filter can be saved: the overview, the brief, the map and each
kind's list. The address is checked by the page's own filter model and kept in its
normal form, so a view always opens with the filter it was saved with.

`resolve(session, slug)` and `target(view)` are how other parts of the app read a view:
the view a slug names (following renames), then the page and the parsed filter it shows.
"""

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl, urlsplit

from slugify import slugify
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.browse.overview import OverviewFilters
from app.plan import kinds
from app.plan.filters import FilterQuery, parse
from app.plan.models import utcnow
from app.plan.records import SavedView, SavedViewAlias, User
from app.plan.vocab import Role

MAX_NAME = 120
MAX_SLUG = 80
MAX_PATH = 2000
#: Addresses under /views/ that are pages of their own, not views.
RESERVED = {"new"}
#: Parameters of every page that say when, not what: a view follows the present.
NOT_FILTERS = ("as_of", "change")


@dataclass(frozen=True)
class Target:
    """The page a view shows, and its filter."""

    page: str  # "/", "/brief", "/map" or "/<kind>"
    kind: kinds.Kind | None  # the kind listed (the map lists sites); None for the overview
    filters: FilterQuery

    @property
    def path(self) -> str:
        return self.page + self.filters.query()


def _filter_model(page: str) -> tuple[type[FilterQuery], kinds.Kind | None] | None:
    if page in ("/", "/brief"):
        return OverviewFilters, None
    if page == "/map":
        return kinds.SITES.filters, kinds.SITES
    kind = kinds.KINDS.get(page.removeprefix("/"))
    return (kind.filters, kind) if kind is not None and page.startswith("/") else None


class BadPath(ValueError):
    """An address that is not a page a view can show, or with a filter it cannot take."""


def parse_path(path: str) -> Target:
    """The page and filter of an address, or BadPath saying what is wrong with it."""
    if not isinstance(path, str) or not path.strip():
        raise BadPath("give the address of a page, such as /assets?country=FR")
    path = path.strip()
    if len(path) > MAX_PATH:
        raise BadPath(f"the address is longer than {MAX_PATH} characters")
    parts = urlsplit(path)
    if parts.scheme or parts.netloc or not path.startswith("/") or path.startswith("//"):
        raise BadPath("give the address within this site, starting with /, without a "
                      "scheme or host (such as /assets?country=FR)")
    if parts.fragment:
        raise BadPath("the address cannot have a #fragment")
    found = _filter_model(parts.path)
    if found is None:
        raise BadPath(f"'{parts.path}' is not a page a view can show: choose the overview (/), "
                      f"/brief, /map or a list ({', '.join('/' + s for s in kinds.KINDS)})")
    model, kind = found
    query: dict[str, list[str]] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        query.setdefault(key, []).append(value)
    dated = [k for k in NOT_FILTERS if k in query]
    if dated:
        raise BadPath("a view follows the plan as it changes: remove as_of and change "
                      "(a page's Cite box gives an address pinned to a date)")
    unknown = sorted(set(query) - set(model.model_fields))
    if unknown:
        raise BadPath(f"{parts.path} takes no {', '.join(repr(u) for u in unknown)}: it takes "
                      f"{', '.join(model.model_fields)}")
    filters, problems = parse(model, query)  # type: ignore[arg-type]
    if problems:
        raise BadPath("; ".join(f"{p.param}: {p.message}" for p in problems))
    return Target(parts.path, kind, filters)


def target(view: SavedView) -> Target:
    """The page a saved view shows and its parsed filter (its path was checked when saved)."""
    return parse_path(view.path)


# --- Reading ---


class Gone(Exception):
    """The view was deleted: its address answers 410."""

    def __init__(self, view: SavedView):
        self.view = view


@dataclass(frozen=True)
class Found:
    view: SavedView
    #: The view's current slug when the one asked for is a name it had before.
    moved_to: str | None = None


def may_see(view: SavedView, user: User | None) -> bool:
    return view.public or (user is not None and (
        user.id == view.owner_id or user.can(Role.ADMIN)))


def may_change(view: SavedView, user: User | None) -> bool:
    return user is not None and user.active and (
        user.id == view.owner_id or user.can(Role.ADMIN))


def find(session: Session, slug: str, user: User | None) -> Found | None:
    """The view a slug names, as `user` may see it: None when there is none or it is
    private to someone else (so its existence is not told), Gone when it was deleted."""
    view = session.scalar(select(SavedView).where(SavedView.slug == slug))
    moved = None
    if view is None:
        view = session.scalar(select(SavedView).join(
            SavedViewAlias, SavedViewAlias.view_id == SavedView.id)
            .where(SavedViewAlias.slug == slug))
        if view is None:
            return None
        moved = view.slug
    if not may_see(view, user):
        return None
    if view.deleted_at is not None:
        raise Gone(view)
    return Found(view, moved)


def resolve(session: Session, slug: str) -> SavedView | None:
    """The live view a slug names, following renames, whoever may see it; None when there
    is none or it was deleted. For code acting on a view's behalf (alerts), not for pages."""
    view = session.scalar(select(SavedView).where(SavedView.slug == slug))
    if view is None:
        view = session.scalar(select(SavedView).join(
            SavedViewAlias, SavedViewAlias.view_id == SavedView.id)
            .where(SavedViewAlias.slug == slug))
    return view if view is not None and view.deleted_at is None else None


def visible(session: Session, user: User | None) -> list[SavedView]:
    """Views `user` may see: their own and the public ones, by name."""
    mine = SavedView.owner_id == user.id if user is not None else False
    stmt = (select(SavedView).where(SavedView.deleted_at.is_(None))
            .where(or_(SavedView.public, mine) if user is not None else SavedView.public)
            .order_by(SavedView.name, SavedView.id))
    return list(session.scalars(stmt))


def public(session: Session, limit: int = 20) -> list[SavedView]:
    stmt = (select(SavedView).where(SavedView.deleted_at.is_(None), SavedView.public)
            .order_by(SavedView.updated_at.desc(), SavedView.id.desc()).limit(limit))
    return list(session.scalars(stmt))


def owners(session: Session, views: list[SavedView]) -> dict[int, str]:
    ids = {v.owner_id for v in views}
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.username).where(User.id.in_(ids))).all())


# --- Writing ---


def clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValueError("give the view a name")
    if len(name) > MAX_NAME:
        raise ValueError(f"a name has at most {MAX_NAME} characters")
    if not slugify(name):
        raise ValueError("a name needs letters or digits")
    return name


def _taken(session: Session, slug: str, view_id: int | None = None) -> bool:
    """Whether another view holds `slug`, now or as a name it had (its address must keep
    leading to it), or the slug is a page of its own."""
    if slug in RESERVED:
        return True
    owner = session.scalar(select(SavedView.id).where(SavedView.slug == slug))
    if owner is not None and owner != view_id:
        return True
    alias = session.scalar(select(SavedViewAlias.view_id).where(SavedViewAlias.slug == slug))
    return alias is not None and alias != view_id


def unique_slug(session: Session, name: str, view_id: int | None = None) -> str:
    base = slugify(name, max_length=MAX_SLUG - 6, word_boundary=True) or "view"
    slug, n = base, 1
    while _taken(session, slug, view_id):
        n += 1
        slug = f"{base}-{n}"
    return slug


def create(session: Session, *, owner: User, name: str, path: str,
           public: bool = False) -> SavedView:
    name = clean_name(name)
    page = parse_path(path)
    now = utcnow()
    view = SavedView(slug=unique_slug(session, name), name=name, path=page.path,
                     public=bool(public), owner_id=owner.id, created_at=now, updated_at=now)
    session.add(view)
    session.flush()
    return view


def update(session: Session, view: SavedView, *, name: str | None = None,
           public: bool | None = None, path: str | None = None) -> SavedView:
    """Rename (the old slug keeps leading here), make public or private, or change the
    filter."""
    if name is not None:
        name = clean_name(name)
        slug = unique_slug(session, name, view.id)
        if slug != view.slug:
            # A slug taken back from this view's own past names is no longer an alias.
            stale = session.get(SavedViewAlias, slug)
            if stale is not None:
                session.delete(stale)
            session.add(SavedViewAlias(slug=view.slug, view_id=view.id))
            view.slug = slug
        view.name = name
    if public is not None:
        view.public = bool(public)
    if path is not None:
        view.path = parse_path(path).path
    view.updated_at = utcnow()
    session.flush()
    return view


def delete(session: Session, view: SavedView, when: datetime | None = None) -> None:
    """Kept as a row, so its addresses answer 410 rather than 404."""
    view.deleted_at = when or utcnow()
    view.updated_at = view.deleted_at
    session.flush()
