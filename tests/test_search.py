"""Search: the words people see find rows, in the lists' `q` and on `/search`, on SQLite and
PostgreSQL alike, and the index follows every write."""

import pytest
from sqlalchemy import select

from app.plan.kinds import KINDS
from app.plan.models import Asset, Site, Stakeholder
from app.search import words
from tests.html import result_ids, soup

BACKSTOP = {"us-fighter-jets-backstop", "us-missiles-backstop"}


def ids_of(session, slug: str, keys: set[str]) -> set[int]:
    model = KINDS[slug].model
    return set(session.scalars(select(model.id).where(model.key.in_(keys))))


# --- The words people see, in every list's `q` ---

SEEN = [
    ("assets", "Missiles", {"us-missiles-backstop"}),
    ("assets", "missile", {"us-missiles-backstop"}),
    ("assets", "missil", {"us-missiles-backstop"}),
    ("assets", "Fighter jets", {"us-fighter-jets-backstop"}),
    ("assets", "fighter jet", {"us-fighter-jets-backstop"}),
    ("assets", "Eastern Europe", BACKSTOP),
    ("assets", "Drones", {"european-drones"}),
    ("assets", "drone", {"european-drones"}),
    ("assets", "United States", BACKSTOP),  # the operator's name, not only its code
    ("assets", "on standby", BACKSTOP),  # a posture's label
    ("sites", "Odessa", {"candidate-port-odesa"}),
    ("sites", "odesa", {"candidate-port-odesa"}),
    ("sites", "ÓDESA", {"candidate-port-odesa"}),  # case and accents folded
    ("stakeholders", "Zelenskyy", {"volodymyr-zelensky"}),
    ("stakeholders", "Zelenskiy", {"volodymyr-zelensky"}),
    ("stakeholders", "zelensky", {"volodymyr-zelensky"}),
]


@pytest.mark.parametrize(("slug", "q", "keys"), SEEN)
def test_a_list_finds_rows_by_the_words_on_the_page(client, session, slug, q, keys):
    expected = ids_of(session, slug, keys)
    assert len(expected) == len(keys)
    page = client.get(f"/{slug}", params={"q": q})
    assert page.status_code == 200
    assert result_ids(page, slug) == expected
    api = client.get(f"/api/v1/{slug}", params={"q": q})
    assert api.status_code == 200
    assert {item["id"] for item in api.json()["items"]} == expected
    csv = client.get(f"/{slug}.csv", params={"q": q})
    assert csv.status_code == 200
    assert {int(line.split(",")[0]) for line in csv.text.splitlines()[1:]} == expected


def test_a_list_search_needs_every_word(client, session):
    page = client.get("/assets", params={"q": "missiles drones"})
    assert result_ids(page, "assets") == set()
