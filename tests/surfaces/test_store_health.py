"""The server and its store: /healthz checks it, a Chroma outage is a 503 with Retry-After (not a 500), and a
store rebuilt under the running server is reopened. Real `kbbot serve`, real `chroma run`, real HTTP."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from kb.errors import ChromaUnavailable, StoreCorrupt
from tests.kb.conftest import ChromaServer
from tests.surfaces.conftest import KBBOT, FakeBot, FakeKB, kbbot_serve, make_app, serve_in_thread

WHICH_SERVICE = ["系统很卡怎么办？", "数据库想换成国产的找哪个服务？", "财务数据要迁移到新系统，有什么服务？",
                 "报表出不来找谁？"]  # no product named: every one needs the dense search


def ask(url: str, question: str, stream: bool = False) -> httpx.Response:
    return httpx.post(f"{url}/v1/chat/completions", timeout=60,
                      json={"model": "kbbot", "messages": [{"role": "user", "content": question}], "stream": stream})


@pytest.fixture
def served_home(kb_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KB_EMBEDDINGS", "fake")
    return kb_home


# -- the handlers, with fakes ------------------------------------------------------------------------


class BrokenStoreBot(FakeBot):
    def __init__(self, error: Exception) -> None:
        super().__init__(kb=CheckedKB(error))
        self.error = error

    def ask(self, question: str, history: list[Any] | None = None) -> Any:
        raise self.error


class CheckedKB(FakeKB):
    def __init__(self, error: Exception | None = None) -> None:
        super().__init__()
        self.error = error

    def check_store(self) -> dict[str, Any]:
        if self.error:
            raise self.error
        return {"collection": "kb-fake", "chunks": 9}


@pytest.mark.parametrize(("error", "problem"), [
    (ChromaUnavailable("the Chroma server at http://10.0.0.9:8000 is unreachable", "start it"), "unreachable"),
    (StoreCorrupt("collection kb-x in /srv/kb cannot be read", "run `kbbot ingest --rebuild`"), "cannot be read"),
])
def test_a_broken_store_is_a_503_with_retry_after_and_healthz_says_so(error, problem, tmp_path):
    with serve_in_thread(make_app(BrokenStoreBot(error), tmp_path)) as url:
        answer = ask(url, "升级服务包含什么？")
        streamed = ask(url, "升级服务包含什么？", stream=True)
        health = httpx.get(f"{url}/healthz")
    assert answer.status_code == 503 and int(answer.headers["Retry-After"]) > 0
    # a stream checks the store before it starts: the same 503, not a 200 with an error event inside
    assert streamed.status_code == 503 and streamed.headers["Retry-After"] == answer.headers["Retry-After"]
    assert streamed.json() == answer.json()
    assert answer.json()["error"]["type"] == "server_error" and problem in answer.json()["error"]["message"]
    assert health.status_code == 503 and int(health.headers["Retry-After"]) > 0
    assert health.json()["status"] == "unavailable" and problem in health.json()["store"]
    for response in (answer, health):  # server addresses, paths and hints stay in the server log
        assert "10.0.0.9" not in response.text and "/srv/kb" not in response.text and "--rebuild" not in response.text


def test_healthz_reports_the_store_it_checked(tmp_path):
    bot = FakeBot(kb=CheckedKB())
    with serve_in_thread(make_app(bot, tmp_path)) as url:
        health = httpx.get(f"{url}/healthz")
    assert health.status_code == 200
    assert health.json()["status"] == "ok" and health.json()["store"] == {"collection": "kb-fake", "chunks": 9}


# -- the real server ---------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_chroma_server_outage_is_503_with_retry_after_and_the_server_recovers(served_home, tmp_path, monkeypatch):
    chroma = ChromaServer(tmp_path / "chroma-server", tmp_path / "chroma-server.log")
    chroma.start()
    try:
        monkeypatch.setenv("KB_CHROMA_URL", chroma.url)
        with kbbot_serve(os.environ.copy(), tmp_path / "serve.log") as url:
            assert ask(url, WHICH_SERVICE[0]).status_code == 200
            healthy = httpx.get(f"{url}/healthz").json()
            assert healthy["status"] == "ok" and healthy["store"]["chunks"] > 0

            chroma.stop()
            down = ask(url, WHICH_SERVICE[1])
            assert down.status_code == 503, down.text
            assert int(down.headers["Retry-After"]) > 0 and down.json()["error"]["type"] == "server_error"
            streamed = ask(url, WHICH_SERVICE[3], stream=True)
            assert streamed.status_code == 503 and streamed.json() == down.json(), streamed.text
            health = httpx.get(f"{url}/healthz")
            assert health.status_code == 503 and "unreachable" in health.json()["store"]

            chroma.start()
            assert ask(url, WHICH_SERVICE[2]).status_code == 200
            assert httpx.get(f"{url}/healthz").status_code == 200
    finally:
        chroma.stop()


@pytest.mark.slow
def test_the_server_reopens_a_store_rebuilt_under_it(served_home, tmp_path):
    with kbbot_serve(os.environ.copy(), tmp_path / "serve.log") as url:
        assert ask(url, WHICH_SERVICE[0]).status_code == 200
        rebuilt = subprocess.run([str(KBBOT), "ingest", "--rebuild"], capture_output=True, text=True,
                                 env=os.environ.copy())
        assert rebuilt.returncode == 0, rebuilt.stderr
        assert list(served_home.glob("aside-*/chroma"))
        for question in WHICH_SERVICE[1:]:
            answer = ask(url, question)
            assert answer.status_code == 200, answer.text
        health = httpx.get(f"{url}/healthz")
        assert health.status_code == 200 and health.json()["store"]["collection"] in (served_home / "registry.json").read_text()
