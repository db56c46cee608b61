"""Jinja2 set-up, the HTMX partial rule, and URL helpers for filter state."""

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import humanize
from fastapi import Request
from jinja2_fragments.fastapi import Jinja2Blocks
from markupsafe import Markup, escape
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from app.accounts import csrf
from app.browse.dataset import dataset_info
from app.history.asof import today
from app.plan.kinds import KINDS, NAV
from app.plan.quantities import format_date, format_range
from app.plan.vocab import SiteKind, country_name
from app.web.citing import TEMPLATE_GLOBALS as CITING
from app.web.navigation import CHANGE_LOG, EDIT_HISTORY, GROUPS
from app.web.static import static_url

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"



def _who(request: Request) -> dict[str, Any]:
    # Set by the app-wide `current_user` dependency; absent on pages no route rendered.
    return {"user": getattr(request.state, "user", None)}


templates = Jinja2Blocks(directory=TEMPLATES_DIR, context_processors=[_who])
# Templates change only with the code: checking each file's time on every render cost a
# page more than its SQL (`peaceplan serve --reload` restarts on a template change instead).
templates.env.auto_reload = False
templates.env.globals.update(kinds=KINDS, nav=NAV, nav_groups=GROUPS, change_log=CHANGE_LOG,
                             edit_history=EDIT_HISTORY,
                             site_kinds=list(SiteKind),
                             static_url=static_url, **csrf.TEMPLATE_GLOBALS, **CITING)


def cited(source: Any) -> str:
    """A source as a citation names it: its outlet and its date, never a bare date."""
    when = format_date(source.published_on) if source.published_on else "undated"
    return f"{source.outlet}, {when}"


def ago(day: date) -> str:
    """How long before today a date is, in words a reader takes in at a glance."""
    days = (today() - day).days
    if days <= 0:
        return "today" if days == 0 else "a future date"
    if days == 1:
        return "yesterday"
    return f"{humanize.naturaldelta(days * 86400)} ago"


def sources(citations: Sequence[Any]) -> Markup:
    """Citations named by outlet and date, one link per source to its first quoted
    passage, then one small link per further passage of the same source."""
    if not citations:
        return Markup('<span class="muted">none</span>')
    groups: dict[int, list[Any]] = {}
    for c in sorted(citations, key=lambda c: c.source_id):
        groups.setdefault(c.source_id, []).append(c)
    # Plain strings of escaped values, made Markup once: Markup's own `%` escapes each
    # argument through helper objects, which cost a 50-row table more than its SQL.
    parts = []
    for source_id, group in groups.items():
        first = group[0]
        name = escape(cited(first.source))
        quoted = f": “{escape(first.quote)}”" if first.quote else ""
        title = f"{escape(first.source.title)}{quoted}"
        anchor = f"#q-{first.id}" if first.quote else ""
        html = f'<a class="cite" href="/sources/{source_id}{anchor}" title="{title}">{name}</a>'
        more = [c for c in group[1:] if c.quote]
        for n, c in enumerate(more, start=1):
            html += (f' <a class="cite more" href="/sources/{source_id}#q-{c.id}" '
                     f'title="“{escape(c.quote)}”">+{n}<span class="visually-hidden"> '
                     f'(another passage of {name})</span></a>')
        parts.append(html)
    return Markup("; ".join(parts))



def facet_choices(facet: Any) -> Markup:
    """A facet's checkboxes, each value with its count; nothing for a dimension no row has
    a value for (it offers nothing to choose). Built here for the reason `sources` is:
    a list page has some fifty of them."""
    if not facet.values:
        return Markup("")
    param = escape(facet.param)
    parts = [f'<fieldset class="facet">\n  <legend>{escape(facet.label)}</legend>']
    for v in facet.values:
        value = escape(v.value)
        checked = "checked" if v.selected else ""
        parts.append(f'  <label>\n    <input type="checkbox" name="{param}" value="{value}" '
                     f'id="f-{param}-{value}" {checked}>\n    {escape(v.label)} '
                     f'<span class="count" aria-label="{v.count} matching">{v.count}</span>\n'
                     f'  </label>')
    parts.append("</fieldset>")
    return Markup("\n".join(parts))


templates.env.globals.update(cite_sources=sources, facet_html=facet_choices)


#: Who made a change, for actors that are not people.
ACTORS = {"seed": "the seed data", "system": "the system"}


templates.env.filters.update(
    ago=ago,
    actor=lambda name: ACTORS.get(name, name),
    range=lambda r: format_range(r.low, r.high), day=format_date, country=country_name,
    cited=cited,
    claimed=lambda pair: format_range(*pair),
    vocab_option=lambda member: (member.value, member.label),
    claim_option=lambda name, figures: (name, next(f.label for f in figures if f.name == name)),
)


def is_htmx_partial(request: Request) -> bool:
    """An HTMX request for a fragment: not a boosted page load, not a history restore."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Boosted") != "true"
        and headers.get("HX-History-Restore-Request") != "true"
    )


def flash(request: Request, message: str) -> None:
    """A message for the next full page this browser loads (after a redirect)."""
    request.session.setdefault("flash", []).append(message)


def done(request: Request, message: str, url: str) -> Response:
    """After a successful form post without HTMX: the message, then redirect (303) to GET."""
    flash(request, message)
    return RedirectResponse(url, status_code=303)


def flashes(request: Request) -> list[str]:
    return request.session.pop("flash", []) if "session" in request.scope else []


def query_lists(request: Request) -> dict[str, list[str]]:
    """Query parameters as lists, the shape `filters.parse` takes."""
    out: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        out.setdefault(key, []).append(value)
    return out


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    block: str | None = None,
    status_code: int = 200,
    session: Session | None = None,
) -> Response:
    """Render a page, or only `block` of it for an HTMX partial request.

    A full page also shows when the data was last updated, which needs the `session`.
    """
    partial = block if is_htmx_partial(request) else None
    context = {**context, "partial": partial is not None}
    if partial is None:
        context["messages"] = [*flashes(request), *context.get("messages", [])]
    if session is not None:
        # A fragment too: it sends the page's Cite box again, for its new address.
        context["info"] = dataset_info(session, sources=partial is None)
    response = templates.TemplateResponse(
        request, name, context, block_name=partial, status_code=status_code
    )
    response.headers["Vary"] = "HX-Request, HX-Boosted, HX-History-Restore-Request"
    if context.get("user") or getattr(request.state, "user", None) is not None:
        # A page made for one person (their name, their Edit links) is kept by nobody
        # else: the page cache refuses `private` even if it took the request for public.
        response.headers["Cache-Control"] = "private, no-cache"
    return response
