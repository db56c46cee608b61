"""A results table's rows, built in Python, escape what they print once and only once."""

from types import SimpleNamespace

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
