"""Reading the app's HTML in tests."""

from bs4 import BeautifulSoup


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def result_ids(response, slug: str) -> set[int]:
    """Ids of the rows in the results table, read from their links to detail pages."""
    links = soup(response).select(f"tbody a[href^='/{slug}/']")
    return {int(a["href"].partition("?")[0].rsplit("/", 1)[1]) for a in links}


def form_values(form) -> dict:
    """What a form would send as it stands: each field's value, a select's chosen options,
    a radio group's checked one, and repeated hidden fields as a list."""
    data: dict = {}
    for control in form.select("[name]"):
        name = control["name"]
        if control.name == "select":
            data[name] = [o["value"] for o in control.select("option[selected]")]
        elif control.name == "textarea":
            data[name] = control.get_text()
        elif control.get("type") in ("radio", "checkbox"):
            if control.has_attr("checked"):
                data[name] = control["value"]
        elif name in data:
            previous = data[name]
            data[name] = [*(previous if isinstance(previous, list) else [previous]),
                          control.get("value", "")]
        else:
            data[name] = control.get("value", "")
    return data
