"""Shared fixtures and fakes. Package-specific fixtures live in tests/<package>/conftest.py."""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BUNDLED_CATALOG = REPO / "data" / "catalog" / "kingdee-special-services-catalog-2025-07-01.txt"


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
