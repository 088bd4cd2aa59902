"""Security headers on every response: no MIME sniffing, a Content-Security-Policy that lets Gradio's
pages run and nothing load from elsewhere, and framing rules per page.

The staff lookup must not be framed by anyone (clickjacking a signed-in agent); the widget exists to be
framed by the vendor's site, whatever its origin; everything else may be framed by this origin only.
Gradio's front end needs inline scripts and styles (its config and theme are inlined), blob: workers and
data: images and fonts; it loads nothing from other hosts, and neither may catalog or customer text.
"""
from __future__ import annotations

from bot.surfaces.guard import ASGIApp, Message, Receive, Scope, Send

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "media-src 'self' data: blob:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "frame-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
])
NOT_FRAMED = "frame-ancestors 'none'"
SAME_ORIGIN_FRAMES = "frame-ancestors 'self'"


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


class SecurityHeaders:
    """ASGI middleware; `unframed` paths may not be framed at all, `framed` ones by any site."""

    def __init__(self, app: ASGIApp, *, unframed: tuple[str, ...] = ("/staff",),
                 framed: tuple[str, ...] = ("/widget",)) -> None:
        self.app, self.unframed, self.framed = app, unframed, framed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = self._headers(scope.get("path", ""))

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *((name, value) for name, value in headers if name not in present)]
            await send(message)

        await self.app(scope, receive, with_headers)

    def _headers(self, path: str) -> list[tuple[bytes, bytes]]:
        headers = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin")]
        if any(_under(path, prefix) for prefix in self.unframed):
            return [*headers, (b"content-security-policy", f"{CSP}; {NOT_FRAMED}".encode()),
                    (b"x-frame-options", b"DENY")]
        if any(_under(path, prefix) for prefix in self.framed):
            return [*headers, (b"content-security-policy", CSP.encode())]
        return [*headers, (b"content-security-policy", f"{CSP}; {SAME_ORIGIN_FRAMES}".encode()),
                (b"x-frame-options", b"SAMEORIGIN")]
