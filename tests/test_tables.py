"""A results table's rows, built in Python, escape what they print once and only once."""

from types import SimpleNamespace

import pytest

from app.web.tables import PLAIN, table_reads
from app.web.templating import sources


def test_citations_are_escaped_once():
    source = SimpleNamespace(title="A & B <x>", outlet='Le "Monde"', published_on=None)
    first = SimpleNamespace(source_id=1, id=5, quote='say "hi" & <b>', source=source)
    again = SimpleNamespace(source_id=1, id=6, quote="more & more", source=source)
    html = str(sources([first, again]))
    assert 'title="A &amp; B &lt;x&gt;: “say &#34;hi&#34; &amp; &lt;b&gt;”"' in html
    assert html.index("#q-5") < html.index("#q-6")
    assert "+1<span" in html and "&amp;amp;" not in html and "<b>" not in html


def test_no_citation_reads_none():
    assert str(sources([])) == '<span class="muted">none</span>'


def test_facet_choices_escape_and_check():
    from app.browse.queries import Facet, FacetValue
    from app.web.templating import facet_choices

    facet = Facet("country", "Operator <x>", [FacetValue("FR", "France & co", 3, True),
                                              FacetValue("DE", "Germany", 0, False)])
    html = str(facet_choices(facet))
    assert "<legend>Operator &lt;x&gt;</legend>" in html
    assert 'value="FR" id="f-country-FR" checked>' in html
    assert 'value="DE" id="f-country-DE" >' in html and "France &amp; co" in html
    assert str(facet_choices(Facet("country", "Operator", []))) == ""


@pytest.mark.parametrize("slug", sorted(PLAIN))
@pytest.mark.parametrize("sort", ["", "-quantity", "-troops", "country"])
def test_plain_rows_show_what_the_orm_rows_show(session, slug, sort):
    from app.browse import queries
    from app.plan.filters import parse
    from app.plan.kinds import KINDS

    kind = KINDS[slug]
    filters, _ = parse(kind.filters, {"sort": [sort]} if sort else {})
    full = queries.list_rows(session=session, kind=kind, filters=filters)
    plain = queries.list_rows(session=session, kind=kind, filters=filters,
                              reads=table_reads(kind))
    assert full.rows and [r.id for r in plain.rows] == [r.id for r in full.rows]
    cells = [[str(col.show(r)) for col in kind.table_columns] for r in full.rows]
    assert [[str(col.show(r)) for col in kind.table_columns] for r in plain.rows] == cells
    # The seeded plan has contingents at several sites and assets based somewhere.
    assert any('href="/sites/' in c for row in cells for c in row)
