"""The worker: turns new changes into alerts and sends the webhooks that are due.

It keeps nothing in memory between rounds: what is read, what is owed and what was tried
are all in the database (`app.alerts.outbox`), so it can be stopped at any moment, run
as `peaceplan worker` on any number of machines, or beside the web server in one
(`start_in_background`).
"""

import json
import logging
import os
import socket
import threading
import time
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy.orm import Session, sessionmaker

from app.alerts import addresses, feeds, outbox, signing
from app.config import Settings, get_settings
from app.db import WRITING, get_engine
from app.plan.records import Subscription

log = logging.getLogger("peaceplan.worker")
#: Seconds between rounds when there is nothing to do.
POLL = 1.0


class Worker:
    def __init__(self, settings: Settings | None = None, name: str | None = None):
        self.settings = settings or get_settings()
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
        self.sessions = sessionmaker(get_engine(self.settings.database_url),
                                     expire_on_commit=False)
        # A lease long enough for the request and the bookkeeping around it: a worker
        # that stops holding it is taken for dead and its alerts are sent again.
        self.lease = timedelta(seconds=2 * self.settings.webhook_timeout + 5)
        self.client = httpx.Client(timeout=self.settings.webhook_timeout,
                                   follow_redirects=False,
                                   headers={"user-agent": "Peaceplan-Webhooks/1"})

    def round(self) -> int:
        """One round: fan out new changes, then send what is due. Returns the number of
        alerts written and attempts made."""
        WRITING.set(False)
        with self.sessions() as session:
            if not outbox.has_work(session):
                return 0
        # On SQLite, take the write lock as each transaction begins: a transaction that
        # read first could not take it later while a web request writes.
        WRITING.set(True)
        with self.sessions() as session:
            done = outbox.fan_out(session)
            claimed = outbox.claim(session, self.name, self.lease)
            for item in claimed:
                self._send(session, item)
        return done + len(claimed)

    def _send(self, session: Session, item: outbox.Claimed) -> None:
        alert = item.alert
        sub = session.get(Subscription, alert.subscription_id)
        body = json.dumps(feeds.payload(feeds.describe(session, [alert])[0],
                                        self.settings.public_url), ensure_ascii=False)
        outbox.begin_attempt(session, item, self.lease)  # commits: none open over the request
        status, error, started = None, None, time.monotonic()
        try:
            if sub is None or not sub.url:
                raise addresses.RefusedAddress("the subscription has no webhook address")
            target = addresses.check(sub.url, self.settings.webhook_allow_private)
            url, pinned, extensions = target.request()
            headers = signing.headers(sub.secret, signing.message_id(alert.id),
                                      datetime.now(UTC), body)
            # Only the status is read: a receiver cannot make the worker hold a large body.
            with self.client.stream("POST", url, content=body.encode(),
                                    headers={**headers, **pinned},
                                    extensions=extensions) as response:
                status = response.status_code
            if not 200 <= status < 300:
                error = f"answered {status} {response.reason_phrase}"
        except addresses.RefusedAddress as refused:
            error = f"not sent: {refused}"
        except httpx.HTTPError as failed:
            error = f"{type(failed).__name__}: {failed}" if str(failed) else \
                type(failed).__name__
        state = outbox.finish(session, item, self.name, status, error,
                              int((time.monotonic() - started) * 1000),
                              self.settings.webhook_retry_delays)
        log.info("alert %s attempt %s: %s (%s)", alert.id, alert.attempts,
                 status or error, state)

    def run(self, stop: threading.Event) -> None:
        """Rounds until `stop` is set; a round that fails (the database away) is logged
        and tried again after a pause."""
        while not stop.is_set():
            try:
                busy = self.round()
            except Exception:
                log.exception("alert worker round failed; trying again")
                busy = 0
            if not busy:
                stop.wait(POLL)
        self.client.close()


def start_in_background(settings: Settings | None = None) -> threading.Event:
    """The worker in a daemon thread of this process; set the event returned to stop it."""
    stop = threading.Event()
    thread = threading.Thread(target=Worker(settings).run, args=(stop,), daemon=True,
                              name="peaceplan-worker")
    thread.start()
    return stop
