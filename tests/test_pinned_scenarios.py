"""A cited scenarios page keeps its figures: the scenarios dated on a day of their own and
the troops-over-time chart are read as recorded up to the permalink's change, like the
rest of the page."""

import re
from datetime import UTC, datetime

from app.history import record
from app.history.asof import today
from app.plan.models import Deployment
from tests.html import soup
from tests.scripted import EDITOR
from tests.test_cite import permalink
from tests.test_scenarios import ranged  # noqa: F401  (a fixture)

#: How a figure of the present is dated: "as recorded today" on the page cited, the day
#: the permalink names on the permalink. The figures are what must not move.
_WHEN = re.compile(r"as recorded today|as of \d+ \w+ \d{4}")


def _shown(response) -> list[str]:
    """The two scenarios' figures, their differences, and the over-time table."""
    page = soup(response)
    cards = [page.select_one(f"#scenario-{n}") for n in ("a", "b")]
    tables = page.select("#table-side td, #table-contributor td, .timechart-table td")
    return ([f"{c['data-low']}..{c['data-high']}" for c in cards]
            + [page.select_one("#difference-total").get_text(" ", strip=True)]
            + [_WHEN.sub("(when)", td.get_text(" ", strip=True)) for td in tables])


def test_a_scenarios_permalink_keeps_its_dated_scenarios_after_later_edits(
        client, session, ranged):  # noqa: F811
    # One scenario dated today (the plan as it stands), one dated in the past.
    address = f"/scenarios?a=committed@{today().isoformat()}&b=committed@2025-03-02"
    page = client.get(address)
    assert page.status_code == 200
    cited, link = _shown(page), permalink(page)

    # Later: Germany's contingent grows, recorded now but dated 1 March (so the past
    # scenario would see it), and Poland's is counted today.
    record.attribute(session, EDITOR, "update", "Germany counted again",
                     at=datetime(2025, 3, 1, 13, tzinfo=UTC))
    session.get(Deployment, ranged["de"]).troops_low = 4000
    session.commit()
    record.attribute(session, EDITOR, "update", "Poland counted")
    poland = session.get(Deployment, ranged["pl"])
    poland.troops_low = poland.troops_high = 3000
    session.commit()

    assert _shown(client.get(address)) != cited  # the present moved on
    assert _shown(client.get(link)) == cited
