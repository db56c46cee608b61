"""Which webhook addresses may be called: http or https to a host whose every address is
public. Checked when a subscription is saved and again before each request, since what a
name resolves to can change in between (and a name may resolve to several addresses)."""

import ipaddress
import socket
from urllib.parse import urlsplit

SCHEMES = ("http", "https")


class RefusedAddress(ValueError):
    """A webhook address the server will not call, with the reason in words."""


def _addresses(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError) as error:  # unknown, or not a host name
        raise RefusedAddress(f"the host {host} cannot be found") from error
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in found]


def check(url: str, allow_private: bool = False) -> str:
    """`url` if a webhook may be sent there, else RefusedAddress saying why."""
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
        return url
    for address in _addresses(parts.hostname, port):
        mapped = getattr(address, "ipv4_mapped", None) or address
        if not mapped.is_global or mapped.is_multicast:
            raise RefusedAddress(
                f"{parts.hostname} resolves to {address}, a loopback, private, link-local or "
                f"otherwise non-public address: webhooks go to public addresses only")
    return url
