"""Which webhook addresses may be called: http or https to a host whose every address is
public. Checked when a subscription is saved and again before each request, since what a
name resolves to can change in between (and a name may resolve to several addresses); the
request then goes to the address checked, so a name cannot turn private in the moment
between the check and the connection."""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

SCHEMES = ("http", "https")


class RefusedAddress(ValueError):
    """A webhook address the server will not call, with the reason in words."""


def _addresses(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError) as error:  # unknown, or not a host name
        raise RefusedAddress(f"the host {host} cannot be found") from error
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in found]


@dataclass(frozen=True)
class Target:
    """Where to send: the address as given, and the public address its host was found
    at (None when private addresses are allowed and nothing is pinned)."""

    url: str
    host: str
    address: str | None = None

    def request(self) -> tuple[str, dict[str, str], dict[str, str]]:
        """(url, headers, extensions) that connect to the address checked, not to
        whatever the name resolves to a moment later, while TLS still verifies the name."""
        if self.address is None:
            return self.url, {}, {}
        parts = urlsplit(self.url)
        ip = f"[{self.address}]" if ":" in self.address else self.address
        netloc = ip + (f":{parts.port}" if parts.port else "")
        host = parts.hostname + (f":{parts.port}" if parts.port else "")
        return (urlunsplit(parts._replace(netloc=netloc)), {"host": host},
                {"sni_hostname": parts.hostname})


def check(url: str, allow_private: bool = False) -> Target:
    """Where a webhook to `url` may be sent, else RefusedAddress saying why."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise RefusedAddress(f"not a web address: {error}") from error
    if parts.scheme not in SCHEMES:
        raise RefusedAddress("only http:// and https:// addresses can receive webhooks")
    if not parts.hostname:
        raise RefusedAddress("the address names no host")
    if parts.username or parts.password:
        raise RefusedAddress("the address may not carry a user name or password")
    if allow_private:
        return Target(url, parts.hostname)
    found = _addresses(parts.hostname, port)
    for address in found:
        mapped = getattr(address, "ipv4_mapped", None) or address
        if not mapped.is_global or mapped.is_multicast:
            raise RefusedAddress(
                f"{parts.hostname} resolves to {address}, a loopback, private, link-local or "
                f"otherwise non-public address: webhooks go to public addresses only")
    return Target(url, parts.hostname, str(found[0]))
