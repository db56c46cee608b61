"""A scripted change history: the seed (21 Feb 2025), then a figure edited, an asset
deleted and a site added on dates of their own."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.history import record
from app.plan.models import Asset, Citation, Site

EDITOR = record.Actor("ana", user_id=7)
EDITED, DELETED, ADDED = (datetime(2025, 3, d, 12, tzinfo=UTC) for d in (1, 5, 10))


def asset(session, key: str) -> Asset:
    return session.scalars(select(Asset).where(Asset.key == key)).one()


@pytest.fixture
def scripted(session):
    """The seed (21 Feb 2025), then: a figure edited on 1 March, an asset deleted on
    5 March, a site added on 10 March."""
    jets = asset(session, "us-fighter-jets-backstop")
    record.attribute(session, EDITOR, "update", "Jets counted", at=EDITED)
    jets.quantity_low = jets.quantity_high = 24
    session.commit()

    gone = asset(session, "european-surveillance")
    record.attribute(session, EDITOR, "delete", "Surveillance dropped", at=DELETED)
    for citation in session.scalars(select(Citation).where(
            Citation.subject_type == "asset", Citation.subject_id == gone.id)):
        session.delete(citation)
    session.delete(gone)
    session.commit()

    record.attribute(session, EDITOR, "create", "Odesa named", at=ADDED)
    port = Site(key="odesa-port", name="Port of Odesa", kind="port", basis="candidate",
                country_code="UA")
    session.add(port)
    session.commit()
    return {"jets": jets.id, "gone": gone.id, "port": port.id}
