"""Where the service may send a request: the connection that holds to its outbound policy.

The service calls the OctoPrint servers of plugin printers, at addresses makers typed.
Left alone, that would let any maker make the service call its own host or the fab-lab's
LAN (request forgery). So:
- a URL the service calls is http or https;
- the address it connects to must be one the policy allows
  (`orchestrator.core.outbound_policy`: public, or in a network the fab-lab allowed);
- the name is resolved when the connection is made, and the socket connects to the very
  address that was checked (then its peer is checked again), so a name that answers one
  address at registration and another later (DNS rebinding) gains nothing, and a refused
  address is never even connected to;
- no proxy from the environment, and no redirect is followed: each would carry the
  OctoPrint key to wherever it points.

`outbound_session` gives the `requests.Session` that holds to this. The printer agent
does not use this: it calls its maker's own OctoPrint, on the maker's LAN.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import requests
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.poolmanager import PoolManager
from urllib3.util.connection import allowed_gai_family, create_connection

from orchestrator.core.config import IpNetwork
from orchestrator.core.outbound_policy import address_allowed
from printers.octoprint.rest import DEFAULT_TIMEOUT_SECONDS, TimeoutAdapter, session_through


class AddressNotAllowed(Exception):
    """The service refused to connect to an address (not an OSError, so urllib3 and requests
    let it through as it is). Its message is for the person who typed the address."""

    def __init__(self, address: str) -> None:
        super().__init__("the address is on a private network the fab-lab has not allowed")
        self.address = address  # for the service's log, never for a user


# --- the connection -------------------------------------------------------------------


def _connect_checked(
    connection: HTTPConnection, networks_allowed: tuple[IpNetwork, ...]
) -> socket.socket:
    """Resolve, keep the allowed addresses, connect to one of them; urllib3's own errors
    for a name that does not resolve, a timeout, or no connection."""
    host = connection._dns_host.strip("[]")
    try:
        found = socket.getaddrinfo(host, connection.port, allowed_gai_family(), socket.SOCK_STREAM)
    except socket.gaierror as unresolved:
        raise NameResolutionError(connection.host, connection, unresolved) from unresolved
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in found]
    allowed = [a for a in dict.fromkeys(addresses) if address_allowed(a, networks_allowed)]
    if not allowed:
        raise AddressNotAllowed(", ".join(str(a) for a in addresses))
    last_failure: OSError | None = None
    for address in allowed:
        try:
            sock = create_connection(
                (str(address), connection.port),
                connection.timeout,
                source_address=connection.source_address,
                socket_options=connection.socket_options,
            )
        except TimeoutError as timeout:
            raise ConnectTimeoutError(
                connection, f"connection to {connection.host} timed out"
            ) from timeout
        except OSError as failure:
            last_failure = failure
            continue
        peer = ipaddress.ip_address(str(sock.getpeername()[0]).split("%")[0])
        if not address_allowed(peer, networks_allowed):
            sock.close()
            raise AddressNotAllowed(str(peer))
        return sock
    raise NewConnectionError(connection, f"failed to establish a new connection: {last_failure}")


class _CheckedHTTPConnection(HTTPConnection):
    def __init__(self, *args: Any, networks_allowed: tuple[IpNetwork, ...] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.networks_allowed = networks_allowed

    def _new_conn(self) -> socket.socket:
        return _connect_checked(self, self.networks_allowed)


class _CheckedHTTPSConnection(HTTPSConnection):
    def __init__(self, *args: Any, networks_allowed: tuple[IpNetwork, ...] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.networks_allowed = networks_allowed

    def _new_conn(self) -> socket.socket:
        return _connect_checked(self, self.networks_allowed)


_CHECKED_CONNECTIONS: dict[str, type[HTTPConnection]] = {
    "http": _CheckedHTTPConnection,
    "https": _CheckedHTTPSConnection,
}


class _CheckedPoolManager(PoolManager):
    """Gives every pool it makes the checked connections, and the networks allowed."""

    def __init__(self, networks_allowed: tuple[IpNetwork, ...], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.networks_allowed = networks_allowed

    def _new_pool(
        self, scheme: str, host: str, port: int, request_context: dict[str, Any] | None = None
    ) -> HTTPConnectionPool:
        pool = super()._new_pool(scheme, host, port, request_context)
        pool.ConnectionCls = _CHECKED_CONNECTIONS[scheme]
        pool.conn_kw["networks_allowed"] = self.networks_allowed
        return pool


class _CheckedAdapter(TimeoutAdapter):
    def __init__(self, timeout: float, networks_allowed: tuple[IpNetwork, ...]) -> None:
        self.networks_allowed = networks_allowed
        super().__init__(timeout)

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        self._pool_connections, self._pool_maxsize, self._pool_block = connections, maxsize, block
        self.poolmanager = _CheckedPoolManager(
            self.networks_allowed,
            num_pools=connections,
            maxsize=maxsize,
            block=block,
            **pool_kwargs,
        )


def outbound_session(
    networks_allowed: tuple[IpNetwork, ...], timeout: float = DEFAULT_TIMEOUT_SECONDS
) -> requests.Session:
    """A session that connects only where the policy allows, with a timeout on every
    request, no proxy or credentials from the environment, and no redirect followed."""
    session = session_through(_CheckedAdapter(timeout, networks_allowed))
    session.trust_env = False
    return session
