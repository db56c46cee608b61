"""Webhooks sent by real processes: `peaceplan serve` with its worker, or `peaceplan
worker` on its own, to a receiver process on 127.0.0.1 that records what arrives and
can be told to fail or to be slow. Signatures are checked with the Standard Webhooks
library; the database, SQLite or PostgreSQL, is the only state the workers share."""

import itertools
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session
from standardwebhooks.webhooks import Webhook

from app.accounts import users
from app.alerts import feeds, outbox, signing, subscriptions
from app.db import get_engine
from app.history import record
from app.plan.models import Asset, Citation, Deployment, Source, utcnow
from app.plan.records import (
    Alert,
    Change,
    DeliveryAttempt,
    Revision,
    Subscription,
)
from app.plan.vocab import AlertKind, Role, Stage
from tests.databases import BACKENDS, seeded_database
from tests.factories import make_user
from tests.live import app_process, serving

REPORT_QUOTE = "calling for the deployment of 30,000 European troops"
WORKER_ENV = {"WEBHOOK_ALLOW_PRIVATE": "true", "WEBHOOK_TIMEOUT": "3",
              "WEBHOOK_RETRY_DELAYS": "[1, 2, 2]"}


@pytest.fixture(params=BACKENDS)
def database(request, tmp_path_factory) -> Iterator[str]:
    with seeded_database(request.param, tmp_path_factory) as url:
        yield url


class Receiver:
    def __init__(self, url: str):
        self.url = url

    def control(self, **state) -> None:
        httpx.post(f"{self.url}/control", json=state).raise_for_status()

    def requests(self) -> list[dict]:
        return httpx.get(f"{self.url}/requests").json()


@contextmanager
def receiver() -> Iterator[Receiver]:
    process = subprocess.Popen([sys.executable, "-m", "tests.receiver", "300"],
                               stdout=subprocess.PIPE, text=True)
    try:
        port = int(process.stdout.readline())
        yield Receiver(f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def worker(database_url: str, **env: str) -> Iterator[subprocess.Popen]:
    with tempfile.TemporaryFile(mode="w+") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "worker"], stdout=log, stderr=subprocess.STDOUT,
            env={**os.environ, "DATABASE_URL": database_url, **WORKER_ENV, **env})
        try:
            yield process
        finally:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=15)


def wait_for(check: Callable[[], object], seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.1)
    pytest.fail(f"waited {seconds} s for {what}")


def _force(session: Session) -> Deployment:
    return session.scalars(select(Deployment).where(
        Deployment.key == "european-reassurance-force")).one()


def _report(session: Session) -> Source:
    return session.scalars(select(Source).where(Source.key == "report-2025-02-21")).one()


def _verified(sub_secret: str, request: dict) -> dict:
    """The body of a received webhook, verified by the library (raises if it is not)."""
    return Webhook(sub_secret).verify(request["body"], request["headers"])


def _subscribe(session: Session, user_id: int, url: str, **watch) -> Subscription:
    data = subscriptions.SubscriptionIn(events=list(AlertKind), url=url, **watch)
    return subscriptions.create(session, user_id, data, allow_private=True)


def _move_troops(session: Session, deployment_id: int, troops: int) -> None:
    record.attribute(session, record.Actor("ana"), "update", f"Troops now {troops}")
    row = session.get(Deployment, deployment_id)
    row.troops_low = row.troops_high = troops
    session.commit()


# --- The whole path: a saved view, a change through the API, a feed entry, a webhook ---


def _pledge_story(database: str) -> dict:
    """An analyst with an API token and a French contingent only announced."""
    engine = get_engine(database)
    with Session(engine, expire_on_commit=False) as session:
        analyst = make_user(session, "analyst", role=Role.EDITOR)
        _, token = users.create_token(session, analyst, users.TokenInput(name="script"))
        record.attribute(session, record.Actor("ana"), "create", "France pledges")
        french = Deployment(key="french-brigade", plan_id=_force(session).plan_id,
                            country_code="FR", role="French brigade", troops_low=2000,
                            troops_high=2000, stage=Stage.ANNOUNCED)
        session.add(french)
        session.flush()
        session.add(Citation(subject_type="deployment", subject_id=french.id,
                             source_id=_report(session).id, quote=REPORT_QUOTE))
        session.commit()
        return {"bearer": {"Authorization": f"Bearer {token}"}, "french": french.id,
                "force": _force(session).id, "report": _report(session).id,
                "feed": feeds.token(session, analyst.id, os.environ["SECRET_KEY"])}


def _watch_and_commit(app: str, hooks: Receiver, story: dict) -> str:
    """Through the API: save a view of French troops, watch it for "a pledge becomes
    committed", then commit the French contingent (and the unnamed European force, which
    is not in the view). Returns the webhook's signing secret."""
    saved = httpx.post(f"{app}/api/v1/views", headers=story["bearer"], json={
        "name": "French troops", "path": "/deployments?country=FR"})
    assert saved.status_code == 201, saved.text
    made = httpx.post(f"{app}/api/v1/subscriptions", headers=story["bearer"], json={
        "view": saved.json()["slug"], "events": ["stage_moved"], "stage": "committed",
        "url": f"{hooks.url}/hook"})
    assert made.status_code == 201, made.text
    for row_id in (story["french"], story["force"]):
        claim = httpx.post(f"{app}/api/v1/deployments/{row_id}/claims",
                           headers=story["bearer"],
                           json={"field": "stage", "stage": "committed",
                                 "source_id": story["report"], "quote": REPORT_QUOTE,
                                 "claimed_on": "2025-03-10", "reason": "Pledge firmed"})
        assert claim.status_code == 201, claim.text
    return made.json()["secret"]


def _one_alert_in_feed_and_webhook(app: str, story: dict, secret: str,
                                   arrived: list[dict]) -> None:
    for request in arrived:
        body = _verified(secret, request)
        assert body["type"] == "alert.stage_moved"
        assert body["data"]["subject"] == {
            "type": "deployment", "id": story["french"], "name": "deployment “French brigade”",
            "url": f"/deployments/{story['french']}"}
        assert body["data"]["details"] == {"from": "announced", "to": "committed"}
        assert body["data"]["change"]["reason"] == "Pledge firmed"
    entries = httpx.get(f"{app}/feeds/{story['feed']}.json").json()["items"]
    assert [e["title"] for e in entries] == ["Stage moved: deployment “French brigade”"]
    assert "Announced → Committed" in entries[0]["content_html"]


def test_a_pledge_becoming_committed_reaches_the_feed_and_the_webhook_once(
        database, monkeypatch):
    """`peaceplan serve` sends it, from its own worker."""
    for name, value in WORKER_ENV.items():
        monkeypatch.setenv(name, value)
    story = _pledge_story(database)
    serve = lambda port: [sys.executable, "-m", "app.cli", "serve", "--port", str(port)]  # noqa: E731
    with receiver() as hooks, serving(serve, database) as app:
        secret = _watch_and_commit(app, hooks, story)
        wait_for(hooks.requests, 30, "the webhook")
        time.sleep(2)  # time enough for a second one, were there one
        arrived = hooks.requests()
        assert len(arrived) == 1
        _one_alert_in_feed_and_webhook(app, story, secret, arrived)
    with Session(get_engine(database)) as session:
        alert = session.scalars(select(Alert)).one()
        assert alert.state == outbox.DELIVERED
        log = session.scalars(select(DeliveryAttempt)).all()
        assert [(a.attempt, a.status_code) for a in log] == [(1, 200)]
        assert arrived[0]["headers"]["webhook-id"] == signing.message_id(alert.id)


def test_a_pledge_becoming_committed_is_delivered_once_across_a_worker_restart(
        database, monkeypatch):
    """The app serves, `peaceplan worker` sends; the worker is killed while the receiver
    holds its request, and started again: the one alert arrives under one id."""
    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE", "true")
    story = _pledge_story(database)
    with receiver() as hooks, app_process(database) as app:
        hooks.control(delay=60)
        secret = _watch_and_commit(app, hooks, story)
        with worker(database) as first:
            wait_for(hooks.requests, 30, "the first request")
            first.send_signal(signal.SIGKILL)
            first.wait()
        hooks.control(delay=0)
        with worker(database):
            def delivered():
                with Session(get_engine(database)) as session:
                    return session.scalars(select(Alert.state)).all() == [outbox.DELIVERED]
            wait_for(delivered, 60, "the delivery after the restart")
            time.sleep(2)  # time enough for a third request, were there one
        arrived = hooks.requests()
        _one_alert_in_feed_and_webhook(app, story, secret, arrived)
    with Session(get_engine(database)) as session:
        alert = session.scalars(select(Alert)).one()
        log = session.execute(select(DeliveryAttempt.attempt, DeliveryAttempt.status_code)
                              .order_by(DeliveryAttempt.id)).all()
    # Sent twice (the first answer never reached the worker that died), both times as
    # the same message: a receiver that keeps the ids it has seen takes it once.
    assert [r["headers"]["webhook-id"] for r in arrived] == [signing.message_id(alert.id)] * 2
    assert log == [(1, None), (2, 200)]


# --- Restarts, retries and several workers ---


def test_no_alert_is_lost_or_doubled_when_the_worker_dies_mid_delivery(database):
    engine = get_engine(database)
    with receiver() as hooks:
        with Session(engine, expire_on_commit=False) as session:
            user = make_user(session, "watcher")
            force_id = _force(session).id
            sub = _subscribe(session, user.id, f"{hooks.url}/hook",
                             row={"kind": "deployments", "id": force_id})
            for troops in (31000, 32000, 33000):
                _move_troops(session, force_id, troops)
        hooks.control(delay=60)  # the receiver holds the first request
        with worker(database) as first:
            wait_for(hooks.requests, 30, "the first request")
            first.send_signal(signal.SIGKILL)
            first.wait()
        hooks.control(delay=0)
        with Session(engine, expire_on_commit=False) as session:
            _move_troops(session, force_id, 34000)  # while no worker runs
        with worker(database):
            def all_delivered():
                with Session(engine, expire_on_commit=False) as session:
                    states = session.scalars(select(Alert.state)).all()
                    return len(states) == 4 and set(states) == {outbox.DELIVERED}
            # The dead worker's lease (2 x timeout + 5 s) must run out first.
            wait_for(all_delivered, 60, "every alert delivered")
        arrived = hooks.requests()
    with Session(engine, expire_on_commit=False) as session:
        alerts = session.scalars(select(Alert).order_by(Alert.id)).all()
        ids = [signing.message_id(a.id) for a in alerts]
        log = session.execute(select(DeliveryAttempt.alert_id, DeliveryAttempt.status_code)
                              .order_by(DeliveryAttempt.id)).all()
    received = [r["headers"]["webhook-id"] for r in arrived]
    # Every alert arrived; only the one cut off arrived twice, under the same id, so a
    # receiver that keeps the ids it has seen takes it once.
    assert sorted(set(received)) == sorted(ids)
    assert received[0] == ids[0] and sorted(received) == sorted([ids[0], *ids])
    assert sorted({json.loads(r["body"])["data"]["details"]["figures"]["troops"]["after"]
                   ["low"] for r in arrived}) == [31000, 32000, 33000, 34000]
    for request in arrived:
        _verified(sub.secret, request)
    # The log shows the attempt left without an answer, then the one that worked.
    assert log[0] == (alerts[0].id, None)
    assert sorted(log[1:]) == [(a.id, 200) for a in alerts]


def test_a_failing_receiver_is_retried_with_growing_delays_then_given_up(database):
    engine = get_engine(database)
    with receiver() as hooks, worker(database, WEBHOOK_RETRY_DELAYS="[1, 2]"):
        with Session(engine, expire_on_commit=False) as session:
            user = make_user(session, "watcher")
            sub = _subscribe(session, user.id, f"{hooks.url}/hook", country="FR")
            hooks.control(fail=2, status=503)
            first = outbox.enqueue_test(session, sub)
            first_id = first.id

        def state_of(alert_id: int) -> str:
            with Session(engine, expire_on_commit=False) as session:
                return session.get(Alert, alert_id).state
        wait_for(lambda: state_of(first_id) == outbox.DELIVERED, 30, "the third attempt")
        arrived = hooks.requests()
        assert [r["headers"]["webhook-id"] for r in arrived] == \
            [signing.message_id(first_id)] * 3
        gaps = [b["at"] - a["at"] for a, b in itertools.pairwise(arrived)]
        assert gaps[0] >= 1 and gaps[1] >= 2, gaps
        for request in arrived:
            _verified(sub.secret, request)

        hooks.control(fail=10, status=500)
        with Session(engine, expire_on_commit=False) as session:
            second_id = outbox.enqueue_test(session, session.get(Subscription, sub.id)).id
        wait_for(lambda: state_of(second_id) == outbox.FAILED, 30, "giving up")
    with Session(engine, expire_on_commit=False) as session:
        codes = session.scalars(select(DeliveryAttempt.status_code)
                                .order_by(DeliveryAttempt.id)).all()
        errors = session.scalars(select(DeliveryAttempt.error).where(
            DeliveryAttempt.alert_id == second_id)).all()
    assert codes == [503, 503, 200, 500, 500, 500]
    assert errors == ["answered 500 Internal Server Error"] * 3


def test_two_workers_share_the_outbox_without_sending_anything_twice(database):
    engine = get_engine(database)
    with receiver() as hooks:
        with Session(engine, expire_on_commit=False) as session:
            user = make_user(session, "watcher")
            sub = _subscribe(session, user.id, f"{hooks.url}/hook", country="FR")
            queued = [outbox.enqueue_test(session, sub).id for _ in range(40)]
        hooks.control(delay=0.05)
        with worker(database), worker(database):
            def done():
                with Session(engine, expire_on_commit=False) as session:
                    return session.scalar(select(func.count()).where(
                        Alert.state == outbox.DELIVERED)) == len(queued)
            wait_for(done, 60, "every alert delivered")
        received = [r["headers"]["webhook-id"] for r in hooks.requests()]
    assert sorted(received) == sorted(signing.message_id(i) for i in queued)


def test_the_worker_refuses_an_address_that_turned_private(database):
    """Checked again before each request: a name may resolve elsewhere by then."""
    engine = get_engine(database)
    with receiver() as hooks:
        with Session(engine, expire_on_commit=False) as session:
            user = make_user(session, "watcher")
            sub = _subscribe(session, user.id, f"{hooks.url}/hook", country="FR")
            alert_id = outbox.enqueue_test(session, sub).id
        with worker(database, WEBHOOK_ALLOW_PRIVATE="false", WEBHOOK_RETRY_DELAYS="[]"):
            def failed():
                with Session(engine, expire_on_commit=False) as session:
                    return session.get(Alert, alert_id).state == outbox.FAILED
            wait_for(failed, 30, "the refusal")
        assert hooks.requests() == []
    with Session(engine, expire_on_commit=False) as session:
        error = session.scalars(select(DeliveryAttempt.error)).one()
    assert error.startswith("not sent: 127.0.0.1 resolves to 127.0.0.1, a loopback")


def test_a_change_committed_after_a_later_one_is_still_read(tmp_path_factory):
    """Change ids are taken as a transaction starts writing, so on PostgreSQL a lower one
    may commit after a higher one has been read: it is read when it comes, not skipped.
    (SQLite has one writer at a time, so ids there commit in order.)"""
    with seeded_database("postgresql", tmp_path_factory) as url:
        engine = get_engine(url)
        with Session(engine, expire_on_commit=False) as session:
            user = make_user(session, "watcher")
            force_id = _force(session).id
            asset_id = session.scalars(select(Asset.id)).first()
            for kind, row_id in (("deployments", force_id), ("assets", asset_id)):
                _subscribe(session, user.id, None, row={"kind": kind, "id": row_id})
        slow, quick, reader = (Session(engine) for _ in range(3))
        with slow, quick, reader:
            # The slow writer's change takes its id, written as the history writes it but
            # by hand: an ORM write of plan data also bumps the one-row data version, and
            # its row lock would make the quick writer wait for the slow one's commit.
            before = slow.get(Deployment, force_id)
            state = {"troops_low": before.troops_low, "troops_high": before.troops_high}
            change_id = slow.connection().execute(insert(Change).values(
                at=utcnow(), recorded_at=utcnow(), actor="ana", action="update",
                summary="Slow to commit").returning(Change.id)).scalar_one()
            slow.connection().execute(insert(Revision).values(
                change_id=change_id, subject_type="deployment", subject_id=force_id,
                action="update", before=state, after={**state, "troops_high": 40000}))
            record.attribute(quick, record.Actor("bo"), "update", "Quick")
            quick.get(Asset, asset_id).quantity_low = 3
            quick.commit()
            outbox.fan_out(reader)
            assert reader.scalars(select(Alert.subject_type)).all() == ["asset"]
            slow.commit()
            outbox.fan_out(reader)
            found = sorted(reader.scalars(select(Alert.subject_type)).all())
            ids = sorted(reader.scalars(select(Alert.change_id)).all())
            assert found == ["asset", "deployment"] and ids[0] == change_id
            assert outbox._cursor(reader).change_id == ids[-1]
