"""Webhook signatures as the Standard Webhooks specification defines them, made by its
reference library (`standardwebhooks`): HMAC-SHA256 over "id.timestamp.body" with the
subscription's secret, sent in the `webhook-id`, `webhook-timestamp` and
`webhook-signature` headers."""

import base64
import secrets
from datetime import datetime

from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A random signing key in the specification's form: "whsec_" and base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def message_id(alert_id: int) -> str:
    """The id a receiver deduplicates by: the same for every retry of one alert."""
    return f"msg_alert_{alert_id}"


def headers(secret: str, msg_id: str, sent_at: datetime, body: str) -> dict[str, str]:
    signature = Webhook(secret).sign(msg_id=msg_id, timestamp=sent_at, data=body)
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(sent_at.timestamp())),
            "webhook-signature": signature, "content-type": "application/json"}
