"""A cited row's page keeps answering with what was cited after the row is deleted, and a
saved view's permalink after the view is deleted."""

from sqlalchemy import select

from app.plan.models import Demand
from tests.html import soup
from tests.test_cite import permalink
from tests.test_views import alice, save  # noqa: F401  (a fixture)


def test_a_row_cited_then_deleted_still_shows_as_cited(session, editor_client, client):
    demand = session.scalars(select(Demand)).first()
    page = client.get(f"/demands/{demand.id}")
    cited = soup(page).select_one("dl.fields").get_text(" ", strip=True)
    link = permalink(page)
    item = editor_client.get(f"/api/v1/demands/{demand.id}").json()
    deleted = editor_client.delete(f"/api/v1/demands/{demand.id}?version={item['version']}")
    assert deleted.status_code in (200, 204), deleted.text
    assert client.get(f"/demands/{demand.id}").status_code == 404
    again = client.get(link)
    assert again.status_code == 200
    assert soup(again).select_one("dl.fields").get_text(" ", strip=True) == cited


def test_a_views_permalink_outlives_the_view(alice, client):  # noqa: F811
    address = save(alice, "Ports", "/sites?kind=port", public=True)
    page = client.get(address)
    link = permalink(page)
    assert link.startswith("/sites?kind=port&")
    ids = [tr.get("id") for tr in soup(page).select("#results tbody tr")]
    edit = soup(alice.get(address + "/edit"))
    token = edit.select_one("[name=csrf_token]")["value"]
    assert alice.post(address + "/delete", data={"csrf_token": token}).status_code in (200, 303)
    assert client.get(address).status_code == 410
    assert [tr.get("id") for tr in soup(client.get(link)).select("#results tbody tr")] == ids
