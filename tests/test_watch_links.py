"""From what a reader is looking at to an alert on it: a saved view's page, a row's page
and a page filtered to countries each link a signed-in reader to the subscription form
with that view, row or country already chosen, and sending the form as it comes watches it."""

from urllib.parse import urlsplit

from sqlalchemy import select

from app.plan.models import Deployment
from app.plan.records import SavedView, Subscription
from tests.html import form_values, soup
from tests.test_views import alice, save  # noqa: F401  (a fixture)


def _follow(client, page_path: str, selector: str):
    """Follow the page's watch link: the subscription form as it opens from it."""
    link = soup(client.get(page_path)).select_one(selector)
    assert link is not None, f"no watch link ({selector}) on {page_path}"
    url = urlsplit(link["href"])
    assert (url.path, url.fragment) == ("/account/alerts", "h-new-sub")
    page = client.get(f"{url.path}?{url.query}")
    assert page.status_code == 200
    return soup(page).select_one("form.new-subscription")


def _subscribe(client, form, session, **chosen) -> Subscription:
    data = {**form_values(form), **chosen}
    response = client.post("/account/alerts", data=data, follow_redirects=False)
    assert response.status_code == 303, response.text
    return session.scalars(select(Subscription).order_by(Subscription.id.desc())).first()


def test_a_saved_view_is_watched_from_its_page(alice, client, session):  # noqa: F811
    save(alice, "Announced contingents", "/deployments?stage=announced")
    view = session.scalars(select(SavedView)).one()
    form = _follow(alice, f"/views/{view.slug}", ".view-note a[href^='/account/alerts']")
    assert form.select_one("input[name=watch][value=view]").has_attr("checked")
    assert form_values(form)["view"] == [view.slug]
    sub = _subscribe(alice, form, session, events=["stage_moved"], stage="committed")
    assert sub.view_id == view.id and sub.events == ["stage_moved"]
    # The list of views offers the same.
    assert _follow(alice, "/views", f"a[aria-label='Watch {view.name}']") is not None
    # Not offered to a reader without an account, who could not subscribe.
    assert soup(client.get(f"/views/{view.slug}")).select_one(
        "a[href^='/account/alerts']") is None


def test_a_row_is_watched_from_its_page(alice, client, session):  # noqa: F811
    row = session.scalars(select(Deployment)).first()
    form = _follow(alice, f"/deployments/{row.id}", ".watch-row a")
    assert form.select_one("input[name=watch][value=row]").has_attr("checked")
    values = form_values(form)
    assert (values["row_kind"], values["row_id"]) == (["deployments"], str(row.id))
    sub = _subscribe(alice, form, session, events=["figure_changed"])
    assert (sub.subject_type, sub.subject_id) == ("deployment", row.id)
    assert soup(client.get(f"/deployments/{row.id}")).select_one(".watch-row") is None
    # A page of the past cannot be watched: it does not change.
    assert soup(alice.get(f"/deployments/{row.id}?as_of=2025-03-01")).select_one(
        ".watch-row") is None


def test_a_country_chosen_in_a_filter_is_watched_from_the_page(alice, session):  # noqa: F811
    assert soup(alice.get("/assets")).select_one(".watch-countries") is None
    links = soup(alice.get("/assets?country=FR&country=us")).select(".watch-countries a")
    assert [a.get_text() for a in links] == ["watch France", "watch United States"]
    form = _follow(alice, "/?country=DE", ".watch-countries a")
    assert form.select_one("input[name=watch][value=country]").has_attr("checked")
    assert form_values(form)["country"] == ["DE"]
    sub = _subscribe(alice, form, session, events=["stance_changed"])
    assert sub.country_code == "DE"
    # The HTMX fragment of a list carries the link for the countries it now shows.
    fragment = alice.get("/assets?country=GB", headers={"HX-Request": "true"})
    assert soup(fragment).select_one(".watch-countries a")["href"].endswith(
        "country=GB#h-new-sub")


def test_a_form_opened_with_nonsense_says_nothing_is_chosen(alice):  # noqa: F811
    form = soup(alice.get("/account/alerts?watch=row&row_kind=nope&country=zz"
                          "&view=<b>")).select_one("form.new-subscription")
    assert form_values(form).get("country") == []
    assert form_values(form).get("view", []) == []
