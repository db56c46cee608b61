"""Every Cite box's CSL-JSON download answers, with the title and pinned address the box
shows."""

import json

import pytest

from tests.html import soup
from tests.test_cite import CSL_SCHEMA, permalink


@pytest.mark.parametrize("path", [
    "/", "/assets?country=US", "/map", "/brief?country=GB", "/deployments/1", "/sources/1",
    "/events?since=2025-01-01", "/search?q=drones", "/scenarios?a=proposed&b=committed",
    "/stances/timeline?country=FR"])
def test_the_csl_json_of_every_cite_box_downloads(path, client):
    page = client.get(path)
    box = soup(page).select_one("details#cite-this")
    download = box.select_one("a[download]")["href"]
    answer = client.get(download)
    assert answer.status_code == 200, (path, answer.text)
    item = json.loads(answer.text)
    CSL_SCHEMA.validate(item)
    assert item[0]["title"] in soup(page).select_one("title").get_text()
    assert item[0]["URL"].endswith(permalink(page))
