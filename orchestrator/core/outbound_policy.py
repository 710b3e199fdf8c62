"""Which addresses the service may send a request to (pure: no socket, no name lookup).

The service calls the OctoPrint servers of plugin printers, at addresses makers typed, so
an address it connects to must be public: not loopback, private, link-local, shared,
reserved, unspecified or multicast, nor an IPv4-mapped, NAT64, 6to4 or Teredo form of one,
unless it lies in a network the fab-lab allowed (`MAKERLINE_ALLOWED_PRIVATE_NETWORKS`).

One rule, two places that hold to it: the connection checks every address it resolves
(`orchestrator.link.outbound`), and a printer's registration refuses at once a URL whose
host is a refused address (`orchestrator.services.fleet`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

from orchestrator.core.config import IpNetwork

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _forms(address: IpAddress) -> list[IpAddress]:
    """The address and every IPv4 address it carries inside it."""
    forms: list[IpAddress] = [address]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            forms.append(address.ipv4_mapped)
        if address.sixtofour is not None:
            forms.append(address.sixtofour)
        if address.teredo is not None:
            forms.extend(address.teredo)
        if address in _NAT64:
            forms.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return forms


def address_allowed(address: IpAddress, networks_allowed: Iterable[IpNetwork]) -> bool:
    """Whether the service may connect to `address`: public, or in a network allowed."""
    forms = _forms(address)
    if any(form in network for form in forms for network in networks_allowed):
        return True
    return all(form.is_global and not form.is_multicast for form in forms)


def literal_address_refused(url: str, networks_allowed: Iterable[IpNetwork]) -> bool:
    """Whether `url`'s host is an address (not a name) the service may not connect to.
    Names are left to the connection, which resolves them when it is made."""
    host = urlsplit(url).hostname or ""
    try:
        address = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False
    return not address_allowed(address, networks_allowed)
