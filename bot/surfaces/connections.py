"""Connection limits below HTTP, where the ASGI app cannot see: slow and piled-up connections.

uvicorn closes idle keep-alive connections, but a connection that has begun a request head and sends a
byte now and then is held forever, and every connection counts against the process's file descriptors:
2 x 10,050 connections that never finished their headers once kept /healthz failing for 16 s. So, in
uvicorn's own HTTP protocol:

- a request head must be complete within `header_timeout_s` of the connection opening (or of the
  previous response on a keep-alive connection) and within `max_head_bytes`; else the connection closes;
- at most `max_connections` open connections, and at most `max_per_client` from one address (trusted
  proxies carry many clients and are exempt); beyond either a new connection gets 503 and is closed.
"""
from __future__ import annotations

import asyncio
import ipaddress
from collections import Counter
from dataclasses import dataclass, field

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# Request line and headers: browsers send a few KiB; nginx's default buffers hold 4 x 8 KiB.
MAX_HEAD_BYTES = 32 * 1024
_BUSY_BODY = b'{"error": {"message": "Too many connections.", "type": "server_error", "code": "overloaded"}}'
_BUSY = (b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\n"
         b"connection: close\r\ncontent-length: %d\r\n\r\n%s" % (len(_BUSY_BODY), _BUSY_BODY))
_HEAD_TOO_LARGE = b"HTTP/1.1 431 Request Header Fields Too Large\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"


@dataclass
class ConnectionLimits:
    header_timeout_s: float
    max_connections: int
    max_per_client: int
    trusted_proxies: list[str] = field(default_factory=list)
    max_head_bytes: int = MAX_HEAD_BYTES

    def exempt(self, host: str) -> bool:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in ipaddress.ip_network(proxy, strict=False) for proxy in self.trusted_proxies)


def limited_protocol(limits: ConnectionLimits) -> type[HttpToolsProtocol]:
    """An HTTP protocol class for `uvicorn.Config(http=...)`; each call gets its own connection counts."""
    return type("LimitedHttpToolsProtocol", (LimitedHttpToolsProtocol,), {"limits": limits, "open": Counter()})


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    limits: ConnectionLimits
    open: Counter[str]  # open connections per client address, shared by one server's connections

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._host = self.client[0] if self.client else ""
        self.open[self._host] += 1
        self._head_timer: asyncio.TimerHandle | None = None
        if len(self.connections) > self.limits.max_connections or (
                self.open[self._host] > self.limits.max_per_client and not self.limits.exempt(self._host)):
            transport.write(_BUSY)
            transport.close()
            return
        self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self.open[self._host] -= 1
        if self.open[self._host] <= 0:
            del self.open[self._host]
        self._stop_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.transport.is_closing():  # refused, timed out or too large: nothing more is read
            return
        if self._head_timer is not None:
            self._head_bytes += len(data)
        super().data_received(data)
        # Still no complete head after this data (which may also carry the start of a body otherwise).
        if self._head_timer is not None and self._head_bytes > self.limits.max_head_bytes:
            self._stop_head_timer()
            self.transport.write(_HEAD_TOO_LARGE)
            self.transport.close()

    def on_headers_complete(self) -> None:
        self._stop_head_timer()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        pipelined = bool(self.pipeline)
        super().on_response_complete()
        if not pipelined and not self.transport.is_closing():
            self._await_head()  # the next request on this keep-alive connection

    def _await_head(self) -> None:
        self._stop_head_timer()
        self._head_bytes = 0
        self._head_timer = self.loop.call_later(self.limits.header_timeout_s, self._head_timed_out)

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            self.transport.close()
