"""§15: a merchant's URL must not be a way into the platform's own network. Under production
settings a receiver is `https` and every address its host resolves to is public (no loopback,
private, link-local, multicast, reserved or unspecified address); checked when a subscription
is made and again at each delivery, after DNS (`tickets.delivery.post` then connects to the
address checked). `WEBHOOKS_ALLOW_PRIVATE=true` (development, tests) lifts both rules."""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from tickets.delivery import Refused, resolve


def restricted() -> bool:
    return not settings.WEBHOOKS_ALLOW_PRIVATE


def forbidden_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def refusal(url: str, addresses: list[str]) -> str | None:
    """Why `url` (whose host resolves to `addresses`) may not receive events, or None."""
    if not restricted():
        return None
    if urlsplit(url).scheme != "https":
        return _("Only https URLs can receive events.")
    for address in addresses:
        if forbidden_address(address):
            return _(
                "The URL's host resolves to %(address)s, a loopback, private or link-local "
                "address; events are only sent to public addresses."
            ) % {"address": address}
    return None


def check(url: str, addresses: list[str]) -> None:
    """The delivery's check (`Envelope.check`): raises `Refused`."""
    reason = refusal(url, addresses)
    if reason:
        raise Refused(reason)


def subscription_refusal(url: str) -> str | None:
    """The check when a subscription is made: the scheme, then the host's addresses now."""
    if not restricted():
        return None
    parts = urlsplit(url)
    if parts.scheme != "https":
        return _("Only https URLs can receive events.")
    try:
        addresses = resolve(parts.hostname or "", parts.port or 443)
    except (OSError, UnicodeError, ValueError, socket.gaierror):
        return _("The URL's host could not be resolved.")
    return refusal(url, addresses)
