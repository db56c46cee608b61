"""Evidence: which claim a figure shows, disputes, anchored quotes, stages, fingerprints, and
no figure changed without its source, through every way in."""

import csv
import hashlib
import io
import re
from datetime import date
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from app.evidence import claims, quotes
from app.plan.models import Asset, Citation, Deployment, Source
from app.plan.quantities import Range
from app.plan.records import Change
from app.plan.vocab import Credibility, Rank
from tests.html import soup
from tests.test_editing import _drone, _edit, _report
from tests.test_importing import HEADER, _upload

# --- Quotes ---

TEXT = ("The UK said “30,000 troops” would go.\nLater, a minister said 30,000 troops\n"
        "would stay, and up to 10,000 from us.")


def test_a_quote_is_found_as_the_text_holds_it():
    anchor = quotes.find(TEXT, "up to 10,000 from us")
    assert anchor is not None and TEXT[anchor.start:anchor.end] == "up to 10,000 from us"
    assert anchor.prefix.endswith("would stay, and ") and anchor.suffix == "."


def test_spacing_and_quote_marks_are_forgiven_and_nothing_else():
    anchor = quotes.find(TEXT, 'said "30,000   troops" would')
    assert anchor is not None and anchor.exact == "said “30,000 troops” would"
    assert quotes.find(TEXT, "said 30,000 troops would go") is None  # the marks are words
    assert quotes.find(TEXT, "up to 20,000 from us") is None
    assert quotes.find(TEXT, "") is None and quotes.find(None, "troops") is None


def test_the_words_around_a_quote_tell_repeats_apart():
    first = quotes.find(TEXT, "30,000 troops")
    assert first.start == TEXT.index("30,000 troops")
    later = quotes.find(TEXT, "30,000 troops", prefix="a minister said", suffix="would stay")
    assert later.start == TEXT.rindex("30,000 troops")


def test_the_fingerprint_is_the_sha256_of_the_text():
    assert quotes.fingerprint("abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    assert quotes.fingerprint(None) is None


def test_overlapping_quotes_cut_the_text_without_nesting():
    a, b = quotes.find(TEXT, "UK said “30,000"), quotes.find(TEXT, "“30,000 troops”")
    pieces = quotes.segments(TEXT, [(1, a), (2, b)])
    assert "".join(p.text for p in pieces) == TEXT
    assert [p.quotes for p in pieces if p.quotes] == [(1,), (1, 2), (2,)]
    assert [p.starts for p in pieces if p.starts] == [(1,), (2,)]


# --- Which claim a figure shows ---


def claim(id, low, high, credibility="6", rank="normal", on=date(2025, 2, 21), best=None):
    return SimpleNamespace(id=id, low=low, high=high, best=best, field="troops",
                           credibility=Credibility(credibility), rank=Rank(rank),
                           claimed_on=on, stage=None)


def test_the_preferred_claim_is_shown_whatever_the_others_say():
    found = [claim(1, 30000, 30000, "2"), claim(2, 25000, 40000, "6", "preferred")]
    assert claims.shown(found).id == 2


def test_without_a_preferred_claim_the_most_credible_then_the_latest_is_shown():
    older = claim(1, 30000, 30000, "2", on=date(2025, 2, 21))
    newer = claim(2, 25000, 40000, "2", on=date(2025, 3, 1))
    vaguer = claim(3, 0, 10000, "5", on=date(2025, 4, 1))
    assert claims.shown([older, newer, vaguer]).id == 2
    assert claims.shown([older, vaguer]).id == 1


def test_deprecated_claims_are_never_shown_nor_disputing():
    kept = claim(1, 30000, 30000)
    wrong = claim(2, 1, 1, "1", "deprecated")
    assert claims.shown([kept, wrong]).id == 1
    assert not claims.disagree([kept, wrong])
    assert claims.shown([wrong]) is None


@pytest.mark.parametrize(("a", "b", "disputed"), [
    (Range(30000, 30000), Range(25000, 40000), False),
    (Range(30000, 30000), Range(None, 10000), True),  # "up to 10,000"
    (Range(30000, 30000), Range(40000, None), True),  # "at least 40,000"
    (Range(30000, 30000), Range(), False),  # unknown contradicts nothing
    (Range(None, 30000), Range(20000, None), False),
])
def test_claims_dispute_only_when_their_ranges_cannot_both_be_true(a, b, disputed):
    found = [claim(1, a.low, a.high), claim(2, b.low, b.high)]
    assert claims.disagree(found) is disputed


# --- Claims through the API and the pages ---


def _force(session) -> Deployment:
    return session.scalars(select(Deployment).where(
        Deployment.key == "european-reassurance-force")).one()


def _claim_body(session, **changes) -> dict:
    return {"field": "troops", "source_id": _report(session).id,
            "quote": "fewer troops than Ukraine's President", "low": None, "high": 10000,
            "claimed_on": "2025-03-01", "credibility": "6", **changes}


def test_a_disagreeing_claim_makes_the_row_disputed_everywhere(session, client,
                                                               editor_client):
    force = _force(session)
    before = client.get(f"/api/v1/deployments/{force.id}").json()
    assert (before["disputed"], before["claims"]) == (False, 3)
    added = editor_client.post(f"/api/v1/deployments/{force.id}/claims",
                               json=_claim_body(session, reason="A minister's lower figure"))
    assert added.status_code == 201, added.text
    assert added.json()["shown"] is True  # as credible as the report's, and later
    item = client.get(f"/api/v1/deployments/{force.id}").json()
    assert (item["disputed"], item["claims"]) == (True, 4)
    assert (item["troops_low"], item["troops_high"]) == (None, 10000)
    listed = client.get("/api/v1/deployments?disputed=yes").json()
    assert [i["id"] for i in listed["items"]] == [force.id]
    facet = next(f for f in listed["facets"] if f["param"] == "disputed")
    assert {v["value"]: v["count"] for v in facet["values"]}["yes"] == 1
    assert client.get("/api/v1/deployments?disputed=no").json()["total"] == 0

    page = soup(client.get(f"/deployments/{force.id}"))
    assert page.select_one("#claims-h .badge.disputed")
    rows = page.select("#figure-troops + .table-wrap tbody tr")
    assert len(rows) == 4 and all("unnamed outlet, 21 Feb 2025" in r.text for r in rows)
    assert "up to 10,000" in page.select_one("tr.shown").text
    assert "How the figure is chosen" in page.select_one("p.rule").text
    listing = soup(client.get("/deployments?disputed=yes"))
    assert listing.select_one("tbody .badge.disputed")
    # Totals say how many of the rows they add are disputed.
    troops = soup(client.get("/")).select_one("#h-troops").find_parent("section")
    assert "1 disputed" in troops.select_one("tbody").text

    # Preferring the report's claim brings its figure back; the dispute stays on record.
    report_claim = next(c for c in client.get(f"/api/v1/deployments/{force.id}/claims").json()
                        if c["field"] == "troops" and c["high"] == 30000)
    body = {k: report_claim[k] for k in ("field", "source_id", "quote", "low", "high",
                                         "best", "claimed_on", "credibility")}
    ranked = editor_client.put(f"/api/v1/deployments/{force.id}/claims/{report_claim['id']}",
                               json={**body, "rank": "preferred"})
    assert ranked.status_code == 200, ranked.text
    item = client.get(f"/api/v1/deployments/{force.id}").json()
    assert (item["troops_low"], item["troops_high"], item["disputed"]) == (30000, 30000, True)


def test_a_claim_quoting_words_its_source_lacks_is_refused(session, editor_client):
    force = _force(session)
    response = editor_client.post(f"/api/v1/deployments/{force.id}/claims",
                                  json=_claim_body(session, quote="Poland sends 10,000"))
    assert response.status_code == 422
    assert any(e["loc"][-1] == "quote" and "not in the text" in e["msg"]
               for e in response.json()["detail"])
    # The form on the row's page says so next to the field and keeps what was typed.
    page = editor_client.post(f"/deployments/{force.id}/claims", data={
        "field": "troops", "source_id": str(_report(session).id), "high": "10000",
        "quote": "Poland sends 10,000", "credibility": "6", "rank": "normal"})
    assert page.status_code == 422
    html = soup(page)
    assert "not in the text" in html.select_one("#claim-quote-error").text
    assert html.select_one("#claim-quote").text == "Poland sends 10,000"
    assert html.select_one("#claim-high")["value"] == "10000"


def test_deprecating_needs_a_reason_and_the_last_claim_of_a_figure_stays(session,
                                                                         editor_client):
    drone = _drone(session)
    found = editor_client.get(f"/api/v1/assets/{drone.id}/claims").json()
    quantity = next(c for c in found if c["field"] == "quantity")
    body = {k: quantity[k] for k in ("field", "source_id", "quote", "low", "high", "best",
                                     "claimed_on", "credibility")}
    refused = editor_client.put(f"/api/v1/assets/{drone.id}/claims/{quantity['id']}",
                                json={**body, "rank": "deprecated"})
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"][-1] == "rank_reason"
    assert editor_client.delete(
        f"/api/v1/assets/{drone.id}/claims/{quantity['id']}").status_code == 409


# --- No figure without its source ---


def test_changing_a_figure_in_the_form_without_a_source_is_refused(session, editor_client):
    drone = _drone(session)
    data = {**_edit(editor_client, drone, quantity_low="12"), "source_id": "", "quote": "",
            "reason": ""}
    response = editor_client.post(f"/assets/{drone.id}/edit", data=data)
    assert response.status_code == 422
    page = soup(response)
    assert "choose the source that gives the new value" in page.select_one(
        "#f-source_id-error").text
    assert "Say why" in page.select_one("#f-reason-error").text
    assert page.select_one("#f-quantity_low")["value"] == "12"  # nothing typed is lost
    session.refresh(drone)
    assert drone.quantity_low is None


def test_a_sourced_change_becomes_the_preferred_claim_and_the_history_says_why(
        session, client, editor_client):
    drone = _drone(session)
    data = _edit(editor_client, drone, quantity_low="2", quantity_high="4",
                 source_id=str(_report(session).id), quote="reconnaissance aircraft, drones",
                 reason="A count of the drones")
    assert editor_client.post(f"/assets/{drone.id}/edit", data=data,
                              follow_redirects=False).status_code == 303
    found = client.get(f"/api/v1/assets/{drone.id}/claims").json()
    new = next(c for c in found if c["rank"] == "preferred")
    assert (new["low"], new["high"], new["shown"], new["field"]) == (2, 4, True, "quantity")
    assert new["quote_url"] == f"/sources/{_report(session).id}#q-{new['id']}"
    change = session.scalars(select(Change).order_by(Change.id.desc())).first()
    assert change.reason == "A count of the drones"
    shown = soup(client.get(f"/changes/{change.id}"))
    assert "A count of the drones" in shown.select_one("dd.reason").text
    assert "Claim from" in shown.text and "quantity: 2–4" in shown.text


def test_changing_a_figure_through_the_api_without_a_source_is_refused(session, editor_client):
    drone = _drone(session)
    item = editor_client.get(f"/api/v1/assets/{drone.id}").json()
    body = {k: item[k] for k in ("quantity_low", "quantity_high", "posture", "stage", "role",
                                 "certainty")}
    body |= {"plan_id": drone.plan_id, "asset_type": "drone", "quantity_low": 12,
             "version": item["version"], "country_note": item["country_note"]}
    response = editor_client.put(f"/api/v1/assets/{drone.id}", json=body)
    assert response.status_code == 422
    assert {e["loc"][-1] for e in response.json()["detail"]} >= {"source_id", "reason"}
    sourced = editor_client.put(f"/api/v1/assets/{drone.id}", json={
        **body, "source_id": _report(session).id, "quote": "drones", "reason": "Counted"})
    assert sourced.status_code == 200, sourced.text
    assert (sourced.json()["quantity_low"], sourced.json()["claims"]) == (12, 2)


def test_an_import_row_without_its_source_or_with_a_foreign_quote_is_refused(
        session, admin_client):
    plan_id = session.scalar(select(Asset.plan_id).limit(1))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerow([plan_id, "PL", "drone", 10, 12, "monitoring", "committed", "Drones",
                     "reported", "", ""])
    writer.writerow([plan_id, "NL", "drone", 4, 4, "monitoring", "committed", "Drones",
                     "reported", _report(session).id, "the Netherlands sends four drones"])
    preview = _upload(admin_client, buffer.getvalue())
    assert preview.status_code == 422
    rows = soup(preview).select("tbody tr")
    assert "required" in rows[0].text.lower()
    assert "not in the text" in rows[1].text


# --- Stages ---


def test_a_stage_claim_moves_the_contribution_and_the_pledged_total(session, client,
                                                                    editor_client):
    force = _force(session)
    assert client.get("/api/v1/deployments?stage=committed").json()["total"] == 0
    response = editor_client.post(f"/api/v1/deployments/{force.id}/claims", json={
        "field": "stage", "stage": "committed", "source_id": _report(session).id,
        "quote": "calling for the deployment of 30,000 European troops",
        "claimed_on": "2025-03-10", "reason": "A test of stages"})
    assert response.status_code == 201, response.text
    listed = client.get("/api/v1/deployments?stage=committed").json()
    assert [i["id"] for i in listed["items"]] == [force.id]
    exported = list(csv.DictReader(io.StringIO(client.get("/deployments.csv?stage=committed")
                                               .text)))
    assert [row["stage"] for row in exported] == ["committed"]
    assert exported[0]["disputed"] == "False" and exported[0]["claims"] == "4"
    assert "unnamed outlet, 2025-02-21" in exported[0]["sources"]
    cards = {c.select_one(".card-label").text: c for c in soup(client.get("/")).select(".card")}
    assert cards["Pledged"].select_one(".figure").text == "30,000"


# --- Sources as evidence ---


def test_a_source_takes_its_text_and_answers_with_its_fingerprint(session, editor_client):
    text = "Minister: up to 10,000 troops from us.\nNo decision yet."
    response = editor_client.post("/api/v1/sources", json={
        "kind": "news_report", "title": "A test report", "publisher": "Test Wire",
        "published_on": "2025-03-01", "reliability": "B", "language": "en", "text": text})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["sha256"] == hashlib.sha256(text.encode()).hexdigest()
    assert body["reliability"] == "B"
    page = soup(editor_client.get(f"/sources/{body['id']}"))
    assert body["sha256"] in page.select_one("code.fingerprint").text


def test_a_source_page_highlights_every_cited_quote_and_links_its_rows(session, client):
    report = _report(session)
    page = soup(client.get(f"/sources/{report.id}"))
    quoted = session.scalars(select(Citation).where(Citation.source_id == report.id,
                                                    Citation.quote.is_not(None))).all()
    for citation in quoted:
        assert page.select_one(f"#q-{citation.id}") is not None, citation.quote
        # The marks covering this citation hold exactly its words.
        marked = [m.text for m in page.select(".source-text mark[data-quotes]")
                  if str(citation.id) in m["data-quotes"].split()]
        assert quotes.normalise("".join(marked)) == quotes.normalise(citation.quote)
    assert page.select("sup.cited-by a[href^='/deployments/']")
    # The report's outlet is unknown: its grade is F, "cannot be judged", on every claim.
    grades = soup(client.get(f"/deployments/{_force(session).id}")).select(
        ".claims-table td[title^='F:']")
    assert grades and all(td.text == "F" for td in grades)


def test_a_text_is_read_from_an_uploaded_html_file(session, editor_client):
    source = session.scalars(select(Source).where(Source.text.is_(None))).first()
    html = (b"<html><head><script>var x = 1;</script><style>p{}</style></head><body>"
            b"<nav>Home</nav><article><h1>Talks</h1><p>Up to 10,000 troops.</p></article>"
            b"</body></html>")
    response = editor_client.post(f"/sources/{source.id}/text",
                                  files={"file": ("story.html", html, "text/html")},
                                  follow_redirects=False)
    assert response.status_code == 303
    session.refresh(source)
    assert source.text == "Talks\nUp to 10,000 troops."
    assert source.sha256 == hashlib.sha256(source.text.encode()).hexdigest()
    assert source.retrieved_at is not None
    refused = editor_client.post(f"/sources/{source.id}/text",
                                 files={"file": ("a.docx", b"PK\x03\x04",
                                                 "application/vnd.openxmlformats")})
    assert refused.status_code == 422
    assert "HTML, PDF or plain-text" in soup(refused).select_one("#text-h ~ form .error").text


def tiny_pdf(line: str) -> bytes:
    """A one-page PDF whose text layer holds `line` (Helvetica, no compression)."""
    stream = f"BT /F1 12 Tf 20 100 Td ({line}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 144] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (i, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


def test_a_text_is_read_from_a_pdf_and_a_scan_without_text_is_refused(session, editor_client):
    source = session.scalars(select(Source).where(Source.text.is_(None))).first()
    response = editor_client.post(
        f"/sources/{source.id}/text",
        files={"file": ("statement.pdf", tiny_pdf("Up to 10,000 troops."), "application/pdf")},
        follow_redirects=False)
    assert response.status_code == 303
    session.refresh(source)
    assert source.text == "Up to 10,000 troops."
    blank = editor_client.post(f"/sources/{source.id}/text",
                               files={"file": ("scan.pdf", tiny_pdf(""), "application/pdf")})
    assert blank.status_code == 422
    assert "no text layer" in soup(blank).select_one("#text-h ~ form .error").text


def test_every_citation_names_its_outlet_and_date(client):
    for path in ("/", "/assets", "/deployments", "/stances", "/brief", "/map"):
        links = soup(client.get(path)).select("a.cite:not(.more)")
        assert links, path
        assert all(", " in a.text and not a.text[0].isdigit() for a in links), path


# --- The past ---


def test_a_claim_added_later_is_not_in_the_view_of_an_earlier_date(session, client,
                                                                   editor_client):
    force = _force(session)
    editor_client.post(f"/api/v1/deployments/{force.id}/claims",
                       json=_claim_body(session, reason="Later"))
    now = soup(client.get(f"/deployments/{force.id}"))
    then = soup(client.get(f"/deployments/{force.id}?as_of=2025-03-01"))
    assert len(now.select("#figure-troops + .table-wrap tbody tr")) == 4
    assert len(then.select("#figure-troops + .table-wrap tbody tr")) == 3
    assert not then.select("#claims-h .badge.disputed")


def test_a_source_text_names_the_rows_citing_it_not_their_ids(client):
    page = soup(client.get("/sources/1"))
    marks = [a.text for a in page.select("sup.cited-by a")]
    assert marks and not any(re.fullmatch(r"\w+ \d+", m) for m in marks)
    assert "Keir Starmer" in " ".join(marks) or "European reassurance force" in " ".join(marks)
