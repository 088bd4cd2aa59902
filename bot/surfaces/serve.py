"""`kbbot serve`: build the bot once (ingesting the bundled catalog on first start), then serve everything."""
from __future__ import annotations

import socket
import sqlite3
import sys
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

import click

from bot.surfaces.logbook import Logbook, default_log_path

if TYPE_CHECKING:
    import uvicorn

    from bot.surfaces.settings import ServeSettings

# Gradio prints a failed event's inputs whole (a 300 KB question became one 300 KB line of the server's
# output): no line of it is longer than this, so nothing a client sends can fill the disk through the log.
MAX_LOG_LINE_CHARS = 2_000
PAGES = (("chat", "/"), ("widget", "/widget/"), ("embed demo", "/embed-demo"), ("staff lookup", "/staff/"),
         ("API", "/v1/chat/completions"), ("health", "/healthz"))


class CappedLines:
    """A text stream (stdout, stderr) that cuts every line at `limit` characters and marks the cut."""

    MARK = " …[cut]"

    def __init__(self, stream: TextIO, limit: int = MAX_LOG_LINE_CHARS) -> None:
        self.stream, self.limit = stream, limit
        self._column = 0  # characters of the current line seen so far, written or not

    def write(self, text: str) -> int:
        out: list[str] = []
        lines = text.split("\n")
        for index, part in enumerate(lines):
            room = self.limit - self._column
            if len(part) <= room:
                out.append(part)
            elif room >= 0:
                out.append(part[:room] + self.MARK)
            self._column += len(part)
            if index < len(lines) - 1:
                out.append("\n")
                self._column = 0
        self.stream.write("".join(out))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def server_config(app: Any, host: str, port: int, settings: ServeSettings) -> uvicorn.Config:
    """How `kbbot serve` runs uvicorn: connection limits and timeouts below HTTP, and X-Forwarded-For
    believed only from KB_TRUSTED_PROXIES (uvicorn's default trusts loopback, so a client on the same
    host could claim any address and rotate past the per-client limits)."""
    import uvicorn

    from bot.surfaces.connections import ConnectionLimits, limited_protocol

    limits = ConnectionLimits(header_timeout_s=settings.header_timeout_seconds, max_connections=settings.max_connections,
                              max_per_client=settings.max_connections_per_client,
                              trusted_proxies=settings.trusted_proxies)
    return uvicorn.Config(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=5,
                          http=limited_protocol(limits), ws="none", timeout_keep_alive=settings.keep_alive_seconds,
                          proxy_headers=bool(settings.trusted_proxies), forwarded_allow_ips=settings.trusted_proxies)


def _fail(message: str) -> NoReturn:
    click.echo(f"kbbot: error: {message}", err=True)
    sys.exit(2)


def _check_port_free(host: str, port: int) -> None:
    """Fail in a second, before the knowledge base is loaded, when the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            _fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")


def _open_logbook(retention_days: int) -> Logbook:
    """Before the knowledge base loads, so an unwritable or damaged log fails in a second. A damaged
    log is left as it is for the operator to inspect."""
    path = default_log_path()
    try:
        return Logbook(path, retention_days)
    except (OSError, sqlite3.Error) as exc:
        _fail(f"cannot open the conversation log {path}: {exc}")


@click.command("serve")
@click.option("--host", envvar="KB_HOST", show_envvar=True, default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", envvar="KB_PORT", show_envvar=True, default=7860, show_default=True, type=click.IntRange(1, 65535),
              help="TCP port.")
def serve_command(host: str, port: int) -> None:
    """Serve the chat widget, staff lookup and OpenAI-compatible API on one port."""
    from bot.surfaces.settings import ServeSettings

    try:
        settings = ServeSettings.from_env()
    except ValueError as exc:
        _fail(str(exc).splitlines()[0])
    _check_port_free(host, port)
    logbook = _open_logbook(settings.log_retention_days)

    import uvicorn

    from bot import CatalogBot
    from bot.surfaces.web import create_app
    from kb.errors import KBError

    click.echo("kbbot: loading the knowledge base (the first start builds it from the bundled catalog)…", err=True)
    try:
        bot = CatalogBot()
    except KBError as exc:
        _fail(str(exc).splitlines()[0])
    app = create_app(bot=bot, kb=bot.kb, settings=settings, logbook=logbook, host=host)
    base = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    click.echo(f"kbbot serving catalog {bot.kb.catalog.catalog_version} ({len(bot.kb.catalog.entries)} entries)")
    for label, path in PAGES:
        click.echo(f"  {label:<13} {base}{path}")
    sys.stdout, sys.stderr = CappedLines(sys.stdout), CappedLines(sys.stderr)
    uvicorn.Server(server_config(app, host, port, settings)).run()
