"""Which network addresses a user's URL may reach, and yt-dlp made to obey it on every request.

A URL a web user submits must not make the server fetch from itself, its private network or a
cloud metadata service (SSRF). The rule is applied to the address each connection is actually
opened to (after resolving, so a DNS answer that changes between the check and the download
changes nothing), for the first request, every redirect and every HLS/DASH fragment, because
yt-dlp sends them all through the one request handler installed here.

The resolver and the connector are injectable: tests resolve made-up host names to public
addresses and connect those to a server on 127.0.0.1, without any other traffic.
"""

from __future__ import annotations

import functools
import http.client
import ipaddress
import socket
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from yt_dlp.networking._urllib import HTTPHandler, UrllibRH, _create_http_connection

from viralclipper.config import get_settings

Resolver = Callable[[str, int], list[str]]
Connector = Callable[[str, int, float | None, tuple[str, int] | None], socket.socket]

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_UNREACHABLE_BY_URL = ("file", "ftp")  # urllib handlers that would bypass the checked connect


class AddressNotAllowed(OSError):
    """A connection to a loopback, private, link-local, reserved or multicast address."""

    def __init__(self, host: str) -> None:
        super().__init__(f"{host}: address not allowed")
        self.host = host


def address_allowed(address: str) -> bool:
    """True for public unicast addresses only (IPv4 or IPv6, embedded IPv4 forms unwrapped)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return address_allowed(str(embedded))
        if ip.is_site_local:
            return False
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def direct_connector(
    address: str, port: int, timeout: float | None, source: tuple[str, int] | None
) -> socket.socket:
    if timeout is None:
        return socket.create_connection((address, port), source_address=source)
    return socket.create_connection((address, port), timeout, source)


@dataclass(frozen=True)
class NetGuard:
    """Resolves a host, refuses it if any of its addresses is not allowed, connects otherwise."""

    resolver: Resolver = system_resolver
    connector: Connector = direct_connector

    def check_url(self, url: str) -> None:
        """AddressNotAllowed if the URL's host resolves to an address that is not allowed.

        A host that does not resolve passes: the download says so later, in its own words."""
        parts = urlsplit(url)
        if not parts.hostname:
            return
        try:
            self._allowed_addresses(parts.hostname, parts.port or 443)
        except AddressNotAllowed:
            raise
        except OSError:
            return

    def connect(
        self,
        address: tuple[str, int],
        timeout: Any = socket._GLOBAL_DEFAULT_TIMEOUT,  # type: ignore[attr-defined]  # http.client's
        source_address: tuple[str, int] | None = None,
    ) -> socket.socket:
        """What http.client calls to open a connection: only to addresses that are allowed."""
        host, port = address
        seconds = None if timeout is socket._GLOBAL_DEFAULT_TIMEOUT else timeout  # type: ignore[attr-defined]
        error: OSError | None = None
        for ip in self._allowed_addresses(host, port):
            try:
                return self.connector(ip, port, seconds, source_address)
            except OSError as exc:
                error = exc
        raise error or OSError(f"{host}: no address")

    def _allowed_addresses(self, host: str, port: int) -> list[str]:
        addresses = self.resolver(host.strip("[]"), port)
        if not addresses:
            raise OSError(f"{host}: no address")
        if not all(address_allowed(a) for a in addresses):
            raise AddressNotAllowed(host)
        return addresses


def guard_for_user_urls() -> NetGuard | None:
    """The guard for URLs that users submit; None when `ALLOW_PRIVATE_URLS` lifts the rule."""
    return None if get_settings().allow_private_urls else NetGuard()


# --- yt-dlp -------------------------------------------------------------------------------------


class _GuardedHTTPHandler(HTTPHandler):
    """yt-dlp's HTTP handler with every connection opened through `NetGuard.connect`."""

    def __init__(self, guard: NetGuard, blocked: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._guard, self._blocked = guard, blocked

    def _connection(
        self, conn_class: type, *args: Any, **kwargs: Any
    ) -> http.client.HTTPConnection:
        connection = _create_http_connection(conn_class, self._source_address, *args, **kwargs)
        connection._create_connection = self._connect  # noqa: SLF001 - http.client's hook
        return connection

    def _connect(self, address: tuple[str, int], *args: Any) -> socket.socket:
        try:
            return self._guard.connect(address, *args)
        except AddressNotAllowed as exc:
            self._blocked.append(exc.host)
            raise

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        conn_class = self._make_conn_class(http.client.HTTPConnection, req)
        return self.do_open(functools.partial(self._connection, conn_class), req)

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        conn_class = self._make_conn_class(http.client.HTTPSConnection, req)
        return self.do_open(
            functools.partial(self._connection, conn_class), req, context=self._context
        )


class GuardedUrllibRH(UrllibRH):
    """yt-dlp's urllib request handler (http, https and data URLs only) behind a NetGuard;
    `blocked` collects every host it refused, so a skipped fragment is not missed."""

    _SUPPORTED_URL_SCHEMES = ("http", "https", "data")

    def __init__(self, *, guard: NetGuard, blocked: list[str], **kwargs: Any) -> None:
        kwargs.pop("enable_file_urls", None)
        super().__init__(**kwargs)
        self._guard, self._blocked = guard, blocked

    def _create_instance(self, **kwargs: Any) -> urllib.request.OpenerDirector:
        stock = super()._create_instance(**kwargs)
        opener = urllib.request.OpenerDirector()
        for handler in stock.handlers:
            if isinstance(handler, HTTPHandler):
                handler = _GuardedHTTPHandler(
                    self._guard,
                    self._blocked,
                    debuglevel=handler._debuglevel,  # noqa: SLF001
                    context=handler._context,  # noqa: SLF001
                    source_address=handler._source_address,  # noqa: SLF001
                )
            elif any(hasattr(handler, f"{scheme}_open") for scheme in _UNREACHABLE_BY_URL):
                continue
            opener.add_handler(handler)
        opener.addheaders = []
        return opener
