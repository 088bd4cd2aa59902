"""Shared fixtures and fakes. Package-specific fixtures live in tests/<package>/conftest.py."""
from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import pytest

REPO = Path(__file__).resolve().parents[1]
BUNDLED_CATALOG = REPO / "data" / "catalog" / "kingdee-special-services-catalog-2025-07-01.txt"
Closeable = TypeVar("Closeable")  # anything with close()


# What a test opens and its module outlives, closed when the module is done (not after each test: module
# fixtures share them). chromadb keeps the System of every embedded store a process opens (SQLite connections,
# index files, a thread pool: about 16 descriptors) in a process-wide cache until it is stopped, and nothing in
# kbbot stops it; before these were closed the whole suite passed 1,024 open descriptors.
_CLOSE_WITH_MODULE: list[Any] = []
_SESSION_STORES: set[str] = set()  # the stores session fixtures opened: later modules use them


def close_with_module(resource: Closeable) -> Closeable:
    """`resource` is closed when the current test module is done."""
    _CLOSE_WITH_MODULE.append(resource)
    return resource


def _open_stores() -> dict[str, Any]:
    shared = sys.modules.get("chromadb.api.shared_system_client")  # not imported just to find none
    return dict(shared.SharedSystemClient._identifier_to_system) if shared else {}


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef, request: pytest.FixtureRequest) -> object:
    if fixturedef.scope != "session":
        return (yield)
    before = _open_stores()
    try:
        return (yield)
    finally:
        _SESSION_STORES.update(set(_open_stores()) - set(before))


@pytest.fixture(scope="module", autouse=True)
def _close_what_the_module_opened() -> Iterator[None]:
    yield
    while _CLOSE_WITH_MODULE:
        _CLOSE_WITH_MODULE.pop().close()
    for identifier, system in _open_stores().items():
        if identifier not in _SESSION_STORES:
            cache = sys.modules["chromadb.api.shared_system_client"].SharedSystemClient
            cache._identifier_to_system.pop(identifier, None)
            cache._identifier_to_refcount.pop(identifier, None)
            system.stop()


@pytest.fixture
def kb_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty knowledge-base home, so no test touches the user's KB."""
    home = tmp_path / "kb_home"
    monkeypatch.setenv("KB_HOME", str(home))
    monkeypatch.delenv("KB_CHROMA_URL", raising=False)
    return home


@pytest.fixture
def fake_chat_model():
    """Build LangChain's fake chat model that replies with the given texts in turn (streams by token)."""
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    def build(*replies: str) -> GenericFakeChatModel:
        return GenericFakeChatModel(messages=iter(AIMessage(content=reply) for reply in replies))

    return build


@pytest.fixture
def fake_list_chat_model():
    """LangChain's FakeListChatModel: replies cycle through the given list, whatever the prompt."""
    from langchain_core.language_models.fake_chat_models import FakeListChatModel

    return lambda *replies: FakeListChatModel(responses=list(replies))


@contextmanager
def _local_http_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def local_http_server() -> Iterator[Callable[[type[BaseHTTPRequestHandler]], str]]:
    """Serves a stub handler on a free loopback port for the test; returns its base URL."""
    with ExitStack() as stack:
        yield lambda handler: stack.enter_context(_local_http_server(handler))
