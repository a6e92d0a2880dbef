"""A made-up public internet for download tests, with no traffic beyond 127.0.0.1.

An injected resolver gives test host names addresses (public or not); the injected connector
carries connections to the one public address to the test server on 127.0.0.1, and fails the
test if anything else would ever be connected to."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field

from viralclipper.pipeline.netguard import NetGuard, direct_connector

PUBLIC_ADDRESS = "93.184.216.34"
HOSTS = {
    "videos.example": PUBLIC_ADDRESS,
    "metadata.example": "169.254.169.254",
    "intranet.example": "10.20.30.40",
    "cgnat.example": "100.64.1.2",
    "mapped.example": "::ffff:127.0.0.1",
}


@dataclass
class FakeInternet:
    """`port` is where PUBLIC_ADDRESS's connections really go (a server on 127.0.0.1)."""

    port: int
    connected: list[tuple[str, int]] = field(default_factory=list)
    failure: OSError | None = None  # what connecting to the public address raises, if set

    def resolve(self, host: str, port: int) -> list[str]:
        if host in HOSTS:
            return [HOSTS[host]]
        try:
            return [socket.inet_ntoa(socket.inet_aton(host))]  # an IPv4 literal stays itself
        except OSError:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None

    def connect(
        self, address: str, port: int, timeout: float | None, source: tuple[str, int] | None
    ) -> socket.socket:
        self.connected.append((address, port))
        assert address == PUBLIC_ADDRESS, f"the guard let a connection to {address} through"
        if self.failure is not None:
            raise self.failure
        return direct_connector("127.0.0.1", self.port, timeout, source)

    def guard(self) -> NetGuard:
        return NetGuard(resolver=self.resolve, connector=self.connect)

    def url(self, host: str, path: str) -> str:
        return f"http://{host}:{self.port}/{path}"
