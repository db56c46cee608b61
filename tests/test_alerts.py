"""Alerts read from the history: each kind fires on exactly its events, for exactly the
subscriptions watching the row; subscriptions through the API and the pages; private
feeds in both formats; webhook addresses that would reach the server's own network are
refused."""

import json
from datetime import date, timedelta

import feedparser
import pytest
from sqlalchemy import select

from app.alerts import addresses, feeds, outbox, subscriptions
from app.history import record
from app.plan.models import Citation, Deployment, Site, Source, Stance
from app.plan.records import Alert, DataStamp, SavedView, Subscription, User
from app.plan.vocab import AlertKind, SourceKind
from tests.factories import make_user
from tests.html import soup

ALL = [k.value for k in AlertKind]
REPORT_QUOTE = "calling for the deployment of 30,000 European troops"


def _force(session) -> Deployment:
    return session.scalars(select(Deployment).where(
        Deployment.key == "european-reassurance-force")).one()


def _report(session) -> Source:
    return session.scalars(select(Source).where(Source.key == "report-2025-02-21")).one()


def _stance(session) -> Stance:
    return session.scalars(select(Stance).where(Stance.key == "starmer-leads")).one()


def _subscribe(client, **body) -> dict:
    response = client.post("/api/v1/subscriptions", json={"events": ALL, **body})
    assert response.status_code == 201, response.text
    return response.json()


def _new_alerts(session, seen: set[int]) -> dict[int, set[tuple]]:
    """Fan out, then the alerts written since `seen`, per subscription."""
    outbox.fan_out(session)
    out: dict[int, set[tuple]] = {}
    for alert in session.scalars(select(Alert).where(Alert.id.not_in(seen or {0}))):
        seen.add(alert.id)
        out.setdefault(alert.subscription_id, set()).add(
            (alert.kind, alert.subject_type, alert.subject_id))
    return out


def _claim(client, session, row, **body):
    response = client.post(f"/api/v1/deployments/{row.id}/claims", json={
        "source_id": _report(session).id, "quote": REPORT_QUOTE, "claimed_on": "2025-03-10",
        "reason": "A test of alerts", **body})
    assert response.status_code == 201, response.text


def _view(session, owner_id: int, slug: str, path: str, public: bool = False) -> SavedView:
    view = SavedView(slug=slug, name=slug.replace("-", " ").title(), path=path,
                     public=public, owner_id=owner_id)
    session.add(view)
    session.commit()
    return view


# --- Each kind fires on exactly its events ---


def test_each_alert_kind_fires_on_exactly_its_events(session, editor_client):
    force, stance = _force(session), _stance(session)
    site = session.scalars(select(Site)).first()
    row = _subscribe(editor_client, row={"kind": "deployments", "id": force.id})["id"]
    stance_sub = _subscribe(editor_client, row={"kind": "stances", "id": stance.id})["id"]
    approved = _subscribe(editor_client, row={"kind": "deployments", "id": force.id},
                          events=["stage_moved"], stage="approved")["id"]
    committed = _subscribe(editor_client, row={"kind": "deployments", "id": force.id},
                           events=["stage_moved"], stage="committed")["id"]
    figures = _subscribe(editor_client, row={"kind": "deployments", "id": force.id},
                         events=["figure_changed"])["id"]
    seen: set[int] = set()
    subject = ("deployment", force.id)

    # A stage claim: the stage moves, a claim is added; the report was cited already.
    _claim(editor_client, session, force, field="stage", stage="committed")
    found = _new_alerts(session, seen)
    assert found.pop(row) == {("claim_added", *subject), ("stage_moved", *subject)}
    assert found.pop(committed) == {("stage_moved", *subject)}
    assert found == {}  # not the stance's, not "approved", not figures

    # A more credible claim of another range: the figure changes and the row is disputed.
    _claim(editor_client, session, force, field="troops", low=None, high=10000,
           credibility="1")
    found = _new_alerts(session, seen)
    assert found.pop(row) == {("claim_added", *subject), ("figure_changed", *subject),
                              ("became_disputed", *subject)}
    assert found.pop(figures) == {("figure_changed", *subject)}
    assert found == {}

    # Another claim that changes neither the figure shown nor the dispute.
    _claim(editor_client, session, force, field="troops", low=30000, high=30000,
           credibility="6")
    assert _new_alerts(session, seen) == {row: {("claim_added", *subject)}}

    # A source the row never cited before, cited without a claim.
    record.attribute(session, record.Actor("ana"), "create", "New source cited")
    other = Source(key="wire-2025-03-11", kind=SourceKind.NEWS_REPORT, title="A wire story",
                   publisher="Test Wire", published_on=date(2025, 3, 11))
    session.add(other)
    session.flush()
    session.add(Citation(subject_type="deployment", subject_id=force.id, source_id=other.id))
    session.commit()
    assert _new_alerts(session, seen) == {row: {("source_cited", *subject)}}

    # The stance moves; a site's rename concerns nobody here.
    response = editor_client.patch(f"/api/v1/stances/{stance.id}", json={
        "version": stance.version, "position": "conditional"})
    assert response.status_code == 200, response.text
    assert _new_alerts(session, seen) == {stance_sub: {("stance_changed", "stance",
                                                        stance.id)}}
    record.attribute(session, record.Actor("ana"), "update", "Renamed")
    site.name = site.name + " (renamed)"
    session.commit()
    assert _new_alerts(session, seen) == {}
    assert approved not in {a.subscription_id for a in session.scalars(select(Alert))}


def test_an_event_is_written_once_however_often_it_is_read(session, editor_client):
    force = _force(session)
    _subscribe(editor_client, row={"kind": "deployments", "id": force.id})
    _claim(editor_client, session, force, field="stage", stage="committed")
    assert outbox.has_work(session)
    assert outbox.fan_out(session) == 2
    assert not outbox.has_work(session)  # feed-only: nothing to send
    assert outbox.fan_out(session) == 0
    # Even read again from the start (a second worker with an old cursor), no copies.
    outbox._cursor(session).change_id = 0
    session.commit()
    outbox.fan_out(session)
    assert len(session.scalars(select(Alert)).all()) == 2


def test_views_countries_and_rows_each_see_their_own(session, editor_client):
    force = _force(session)
    user = session.scalars(select(User.id).where(User.username == "editor")).one()
    floated = _view(session, user, "floated", "/deployments?stage=floated")
    committed = _view(session, user, "committed", "/deployments?stage=committed")
    french = _view(session, user, "french", "/deployments?country=FR")
    assets = _view(session, user, "all-assets", "/assets")
    overview = _view(session, user, "overview", "/?country=FR")
    # Words are found by the search index, which recorded states do not hold.
    words = _view(session, user, "words", "/deployments?q=reassurance")
    other_words = _view(session, user, "other-words", "/deployments?q=brigade")
    found_subs = {name: _subscribe(editor_client, view=view.slug,
                                   events=["stage_moved"])["id"]
                  for name, view in [("floated", floated), ("committed", committed),
                                     ("french", french), ("assets", assets),
                                     ("overview", overview), ("words", words),
                                     ("other words", other_words)]}
    uk = _subscribe(editor_client, country="GB", events=["stance_changed"])["id"]
    seen: set[int] = set()
    _new_alerts(session, seen)
    _claim(editor_client, session, force, field="stage", stage="committed")
    found = _new_alerts(session, seen)
    # Left the floated view, entered the committed one; not French, not an asset.
    assert set(found) == {found_subs["floated"], found_subs["committed"], found_subs["words"]}
    stance = _stance(session)  # Keir Starmer's: the United Kingdom's
    editor_client.patch(f"/api/v1/stances/{stance.id}", json={
        "version": stance.version, "position": "supports"})
    assert set(_new_alerts(session, seen)) == {uk}


# --- Subscriptions through the API ---


def test_api_lists_shows_and_stops_only_your_own(session, editor_client, viewer_client):
    force = _force(session)
    mine = _subscribe(editor_client, row={"kind": "deployments", "id": force.id},
                      events=["stage_moved"], stage="committed")
    assert mine["secret"].startswith("whsec_") and mine["stage"] == "committed"
    theirs = _subscribe(viewer_client, country="FR", events=["stance_changed"])
    listed = editor_client.get("/api/v1/subscriptions").json()
    assert [s["id"] for s in listed] == [mine["id"]]
    assert editor_client.get(f"/api/v1/subscriptions/{theirs['id']}").status_code == 404
    assert editor_client.delete(f"/api/v1/subscriptions/{theirs['id']}").status_code == 404
    assert editor_client.delete(f"/api/v1/subscriptions/{mine['id']}").status_code == 204
    assert editor_client.get(f"/api/v1/subscriptions/{mine['id']}").json()["stopped_at"]
    editor_client.cookies.clear()
    editor_client.headers.pop("X-CSRF-Token")
    assert editor_client.get("/api/v1/subscriptions").status_code == 401


@pytest.mark.parametrize(("body", "where", "words"), [
    ({"events": ["stage_moved"]}, [], "exactly one thing to watch"),
    ({"country": "FR", "row": {"kind": "sites", "id": 1}, "events": ["stage_moved"]}, [],
     "exactly one thing to watch"),
    ({"country": "FR", "events": []}, ["events"], "at least one kind of change"),
    ({"country": "FR", "events": ["stage_moved", "nonsense"]}, ["events", 1], "stage_moved"),
    ({"country": "FR", "events": ["figure_changed"], "stage": "committed"}, [],
     "goes with the event stage_moved"),
    ({"country": "XX", "events": ["stage_moved"]}, ["country"], "XX"),
    ({"row": {"kind": "spaceships", "id": 1}, "events": ["stage_moved"]}, ["row", "kind"],
     "no kind 'spaceships'"),
    ({"row": {"kind": "sites", "id": 99999}, "events": ["stage_moved"]}, ["row", "id"],
     "no site 99999"),
    ({"view": "nobody-has-it", "events": ["stage_moved"]}, ["view"], "no saved view"),
    ({"country": "FR", "events": ["stage_moved"], "url": "ftp://example.org/hook"},
     ["url"], "only http:// and https://"),
    ({"country": "FR", "events": ["stage_moved"], "url": "http://127.0.0.1:9/hook"},
     ["url"], "loopback, private"),
    ({"country": "FR", "events": ["stage_moved"], "url": "http://10.1.2.3/hook"},
     ["url"], "loopback, private"),
    ({"country": "FR", "events": ["stage_moved"], "url": "http://169.254.169.254/latest"},
     ["url"], "loopback, private"),
    ({"country": "FR", "events": ["stage_moved"], "url": "http://[::1]:8000/"},
     ["url"], "loopback, private"),
    ({"country": "FR", "events": ["stage_moved"], "url": "http://localhost/hook"},
     ["url"], "loopback, private"),
    ({"country": "FR", "events": ["stage_moved"], "url": "http://exa mple.org/\x00"},
     ["url"], "no spaces or control characters"),
    ({"view": "\x00", "events": ["stage_moved"]}, ["view"], "no text"),
])
def test_api_refuses_bad_input_with_a_422_saying_what(session, editor_client, body, where,
                                                      words):
    response = editor_client.post("/api/v1/subscriptions", json=body)
    assert response.status_code == 422, response.text
    problems = response.json()["detail"]
    assert any(p["loc"][1:] == where and words in p["msg"] for p in problems), problems
    assert session.scalars(select(Subscription)).first() is None


def test_a_private_view_of_someone_else_cannot_be_watched(session, editor_client):
    other = make_user(session, "other")
    _view(session, other.id, "their-private", "/deployments?country=FR")
    _view(session, other.id, "their-public", "/deployments?country=DE", public=True)
    refused = editor_client.post("/api/v1/subscriptions", json={
        "view": "their-private", "events": ["stage_moved"]})
    assert refused.status_code == 422
    assert _subscribe(editor_client, view="their-public")["view"] == "their-public"
    _view(session, other.id, "a-search", "/search?q=odesa", public=True)
    unwatchable = editor_client.post("/api/v1/subscriptions", json={
        "view": "a-search", "events": ["stage_moved"]})
    assert unwatchable.status_code == 422
    assert "'/search' is not a page a view can show" in unwatchable.json()["detail"][0]["msg"]


def test_a_request_goes_to_the_address_checked(monkeypatch):
    """A name that resolved to a public address is not looked up again to connect: the
    request goes to that address, naming the host for HTTP and for TLS."""
    looked_up = []

    def resolver(host, port, **_):
        looked_up.append(host)
        return [(2, 1, 6, "", ("93.184.215.14", port))]
    monkeypatch.setattr("socket.getaddrinfo", resolver)
    target = addresses.check("https://hooks.example.org:8443/in?x=1")
    assert target.request() == ("https://93.184.215.14:8443/in?x=1",
                                {"host": "hooks.example.org:8443"},
                                {"sni_hostname": "hooks.example.org"})
    assert looked_up == ["hooks.example.org"]
    v6 = addresses.Target("http://hooks.example.org/", "hooks.example.org", "2606:2800::1")
    assert v6.request()[0] == "http://[2606:2800::1]/"


def test_the_address_check_refuses_what_resolves_inward_unless_allowed():
    for url in ("http://127.0.0.2/", "https://192.168.1.1/", "http://[fe80::1]/",
                "http://0.0.0.0/", "http://[::ffff:127.0.0.1]/", "http://100.64.0.1/"):
        with pytest.raises(addresses.RefusedAddress):
            addresses.check(url)
    assert addresses.check("http://127.0.0.1:9/", allow_private=True).request() == (
        "http://127.0.0.1:9/", {}, {})
    assert addresses.check("http://93.184.215.14/hook").address == "93.184.215.14"
    with pytest.raises(addresses.RefusedAddress, match="only http"):
        addresses.check("file:///etc/passwd", allow_private=True)


# --- Pages ---


def test_pages_create_list_and_stop_a_subscription(session, viewer_client):
    force = _force(session)
    page = viewer_client.get("/account/alerts")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    bad = viewer_client.post("/account/alerts", data={
        "csrf_token": viewer_client.csrf_token, "watch": "row", "row_kind": "deployments",
        "row_id": "", "events": ["stage_moved"]})
    assert bad.status_code == 422
    assert soup(bad).select_one("#sub-row_id-error")
    missing = viewer_client.post("/account/alerts", data={
        "csrf_token": viewer_client.csrf_token, "watch": "country", "country": "FR"})
    assert missing.status_code == 422 and soup(missing).select_one("#sub-events-error")
    made = viewer_client.post("/account/alerts", follow_redirects=False, data={
        "csrf_token": viewer_client.csrf_token, "watch": "row", "row_kind": "deployments",
        "row_id": str(force.id), "events": ["stage_moved", "claim_added"],
        "stage": "committed"})
    assert made.status_code == 303, made.text
    detail = soup(viewer_client.get(made.headers["location"]))
    assert "deployment “European reassurance force monitoring the ceasefire” #" in \
        detail.select_one("h1").text
    listed = soup(viewer_client.get("/account/alerts"))
    assert "stage moved to committed" in listed.select_one("table.subscriptions").text
    sub = session.scalars(select(Subscription)).one()
    viewer_client.post(f"/account/alerts/{sub.id}/stop", data={
        "csrf_token": viewer_client.csrf_token})
    session.refresh(sub)
    assert sub.stopped_at is not None


def test_the_test_event_button_queues_a_signed_delivery(session, editor_client, monkeypatch):
    monkeypatch.setattr("app.web.routes.alerts._allow_private", lambda: True)
    sub = _subscribe(editor_client, country="FR", url="http://127.0.0.1:9/hook")
    response = editor_client.post(f"/account/alerts/{sub['id']}/test",
                                  follow_redirects=False)
    assert response.status_code == 303
    queued = session.scalars(select(Alert).where(Alert.subscription_id == sub["id"])).one()
    assert queued.kind == "test" and queued.state == "pending"
    assert "Send a test event" in editor_client.get(f"/account/alerts/{sub['id']}").text


# --- Feeds ---


def test_the_private_feed_lists_matching_events_in_both_formats(session, editor_client,
                                                                client):
    force = _force(session)
    _subscribe(editor_client, row={"kind": "deployments", "id": force.id},
               events=["stage_moved"], stage="committed")
    _claim(editor_client, session, force, field="stage", stage="committed")
    outbox.fan_out(session)
    page = soup(editor_client.get("/account/alerts"))
    atom_url = page.select_one("#feed-atom")["href"]
    json_url = page.select_one("#feed-json")["href"]
    heads = {link["type"]: link["href"] for link in page.select("head link[rel=alternate]")
             if link["href"].startswith("/feeds/")}
    assert heads == {"application/atom+xml": atom_url, "application/feed+json": json_url}

    atom = client.get(atom_url)  # no cookie: the address is the key
    assert atom.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(atom.content)
    assert parsed.bozo == 0 and parsed.version == "atom10"
    assert [e.title for e in parsed.entries] == [
        "Stage moved: deployment “European reassurance force monitoring the ceasefire”"]
    assert "Floated → Committed" in parsed.entries[0].content[0].value

    body = client.get(json_url)
    assert body.headers["content-type"] == "application/feed+json"
    _check_json_feed(body.json(), 1)

    editor_client.post("/account/alerts/feed/rotate")
    assert client.get(atom_url).status_code == 404
    assert client.get("/feeds/1-forged.atom").status_code == 404


def _check_json_feed(feed: dict, items: int) -> None:
    """The fields JSON Feed 1.1 requires, with the types it gives them."""
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(feed["title"], str) and feed["title"]
    assert len(feed["items"]) == items
    for item in feed["items"]:
        assert isinstance(item["id"], str) and item["id"]
        assert isinstance(item.get("content_html") or item.get("content_text"), str)
        date.fromisoformat(item["date_published"][:10])
    json.dumps(feed)


def test_the_public_change_feed_has_a_json_twin(client, scripted):
    atom = feedparser.parse(client.get("/changes.atom").content)
    twin = client.get("/changes.json")
    assert twin.headers["content-type"] == "application/feed+json"
    feed = twin.json()
    _check_json_feed(feed, len(atom.entries))
    assert [i["title"] for i in feed["items"]] == [e.title for e in atom.entries]
    assert [i["id"] for i in feed["items"]] == [e.id for e in atom.entries]
    assert feed["feed_url"].endswith("/changes.json")
    us = client.get("/changes.json?country=us").json()
    assert "Odesa named" not in [i["title"] for i in us["items"]]
    assert client.get("/changes.json?country=XX").status_code == 422
    for path in ("/", "/assets", "/compare"):
        links = soup(client.get(path)).select("head link[rel=alternate]")
        assert {(link["type"], link["href"]) for link in links} == {
            ("application/atom+xml", "/changes.atom"),
            ("application/feed+json", "/changes.json")}


def test_describing_an_alert_of_a_deleted_row_names_it_from_history(session, editor_client):
    sub = _subscribe(editor_client, country="UA", events=ALL)
    alert = Alert(subscription_id=sub["id"], change_id=None, subject_type="site",
                  subject_id=987654, kind="stage_moved", details={"from": "floated",
                                                                  "to": "committed"},
                  state="feed")
    described = feeds.describe(session, [alert])[0]
    assert described.path is None and "(deleted)" in described.title
    assert described.lines == ["Stage: Floated → Committed"]
    assert subscriptions.events_text(session.get(Subscription, sub["id"])).startswith(
        "figure changed")


def test_reading_alerts_leaves_the_data_version_alone(session, editor_client):
    """The worker writes every round; cached pages of the plan must not be thrown away
    for that."""
    force = _force(session)
    _subscribe(editor_client, row={"kind": "deployments", "id": force.id})
    _claim(editor_client, session, force, field="stage", stage="committed")
    before = session.scalar(select(DataStamp.version))
    assert outbox.fan_out(session) == 2
    outbox.claim(session, "test", timedelta(seconds=30))
    assert session.scalar(select(DataStamp.version)) == before


def test_a_disabled_account_gets_no_alerts_and_its_feed_closes(session, editor_client,
                                                               admin_client, client):
    force = _force(session)
    _subscribe(editor_client, row={"kind": "deployments", "id": force.id})
    feed_url = soup(editor_client.get("/account/alerts")).select_one("#feed-json")["href"]
    assert client.get(feed_url).status_code == 200
    editor = session.scalars(select(User).where(User.username == "editor")).one()
    editor.active = False
    session.commit()
    _claim(admin_client, session, force, field="stage", stage="committed")
    assert outbox.fan_out(session) == 0
    assert client.get(feed_url).status_code == 404


def test_a_view_is_watched_by_a_name_it_had_before_a_rename(session, editor_client):
    """The API takes a view's old slug as its page does: it leads to the renamed view."""
    from app.following import views

    owner = session.scalars(select(User).where(User.username == "editor")).one()
    view = views.create(session, owner=owner, name="French contingents",
                        path="/deployments?country=FR")
    session.commit()
    views.update(session, view, name="France")
    session.commit()
    sub = _subscribe(editor_client, view="french-contingents")
    assert sub["view"] == "france"


def test_a_view_unshared_or_deleted_alerts_no_one_more(session, editor_client, new_client):
    """Another's public view is watched while it is shared; made private, its other
    watchers learn nothing more of what it shows; deleted, not even its owner does."""
    from app.following import views
    from tests.conftest import sign_in

    make_user(session, "owner")
    owner = session.scalars(select(User).where(User.username == "owner")).one()
    owner_client = new_client()
    sign_in(owner_client, "owner")
    view = views.create(session, owner=owner, name="Floated", path="/deployments?stage=floated",
                        public=True)
    session.commit()
    theirs = _subscribe(owner_client, view="floated", events=["figure_changed"])["id"]
    mine = _subscribe(editor_client, view="floated", events=["figure_changed"])["id"]
    force, seen = _force(session), set()
    _new_alerts(session, seen)

    def grow(troops: int) -> set[int]:
        item = editor_client.get(f"/api/v1/deployments/{force.id}").json()
        changed = editor_client.patch(f"/api/v1/deployments/{force.id}", json={
            "version": item["version"], "troops_low": troops, "troops_high": troops,
            "source_id": _report(session).id, "quote": REPORT_QUOTE, "reason": "Counted"})
        assert changed.status_code == 200, changed.text
        return set(_new_alerts(session, seen))

    assert grow(31000) == {theirs, mine}
    views.update(session, view, public=False)
    session.commit()
    assert grow(32000) == {theirs}
    listed = soup(editor_client.get("/account/alerts")).select_one(
        f"a[href='/account/alerts/{mine}']").get_text()
    assert "no longer shared" in listed
    views.delete(session, view)
    session.commit()
    assert grow(33000) == set()
    assert "since deleted" in owner_client.get("/api/v1/subscriptions").json()[0]["watching"]


def test_watching_a_stakeholder_watches_their_stances(session, editor_client):
    from app.plan.models import Stakeholder

    stance = _stance(session)  # Keir Starmer's
    other = session.scalars(select(Stakeholder).where(
        Stakeholder.id != stance.stakeholder_id)).first()
    starmer = _subscribe(editor_client, row={"kind": "stakeholders",
                                             "id": stance.stakeholder_id},
                         events=["stance_changed"])["id"]
    _subscribe(editor_client, row={"kind": "stakeholders", "id": other.id},
               events=["stance_changed"])
    seen: set[int] = set()
    _new_alerts(session, seen)
    changed = editor_client.patch(f"/api/v1/stances/{stance.id}", json={
        "version": stance.version, "position": "supports"})
    assert changed.status_code == 200, changed.text
    assert _new_alerts(session, seen) == {starmer: {("stance_changed", "stance", stance.id)}}
