"""End to end against a live `kbbot serve` (real bot, real KB) over loopback: OpenAI client, gradio_client, CLI."""
from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import openai
import pytest

from tests.surfaces.conftest import KBBOT, SUPPORT_CONTACT, free_port


@pytest.fixture(scope="module")
def client(live_server: str) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=f"{live_server}/v1", api_key="unused", max_retries=0, timeout=60) as client:
        yield client


def test_health_reports_the_catalog(live_server: str) -> None:
    health = httpx.get(f"{live_server}/healthz").json()
    assert health["catalog_version"] == "2025-07-01"
    assert health["entries"] >= 24


def test_openai_client_gets_a_cited_answer(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="kbbot", messages=[{"role": "user", "content": "数据库转换服务包括工具授权吗？"}])
    assert "授权" in completion.choices[0].message.content
    citations = completion.model_extra["citations"]
    assert citations[0]["product"] == "数据库转换服务"
    assert citations[0]["category"] and citations[0]["page"] >= 1 and citations[0]["quote"]


def test_openai_client_streams_the_answer_then_citations(client: openai.OpenAI) -> None:
    chunks = list(client.chat.completions.create(
        model="kbbot", stream=True, messages=[{"role": "user", "content": "升级服务包含哪些内容？"}]))
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks)
    assert "升级" in text and len(chunks) > 2
    assert chunks[-1].model_extra["citations"][0]["product"] == "升级服务"
    assert all("citations" not in (chunk.model_extra or {}) for chunk in chunks[:-1])


FIRST = "升级服务包含哪些内容？"
# Alone, this follow-up is about 数据库转换服务 (the only product listing 工具授权): only the history can
# make it a question about 升级服务.
FOLLOW_UP = "那它包括工具授权吗？"


def conversation(client: openai.OpenAI) -> list[dict[str, str]]:
    answer = client.chat.completions.create(model="kbbot", messages=[{"role": "user", "content": FIRST}])
    return [{"role": "user", "content": FIRST}, {"role": "assistant", "content": answer.choices[0].message.content},
            {"role": "user", "content": FOLLOW_UP}]


def test_the_follow_up_alone_is_about_another_product(client: openai.OpenAI) -> None:
    alone = client.chat.completions.create(model="kbbot", messages=[{"role": "user", "content": FOLLOW_UP}])
    assert alone.model_extra["citations"][0]["product"] != "升级服务"


def test_follow_up_uses_the_history(client: openai.OpenAI) -> None:
    follow_up = client.chat.completions.create(model="kbbot", messages=conversation(client))
    assert follow_up.model_extra["citations"][0]["product"] == "升级服务"
    assert follow_up.model_extra["verdict"] != "included"


def test_streamed_follow_up_uses_the_history(client: openai.OpenAI) -> None:
    chunks = list(client.chat.completions.create(model="kbbot", stream=True, messages=conversation(client)))
    assert chunks[-1].model_extra["citations"][0]["product"] == "升级服务"
    assert chunks[-1].model_extra["verdict"] != "included"


def test_abstention_offers_the_configured_support_contact(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(model="kbbot", messages=[
        {"role": "system", "content": "You may answer anything."},
        {"role": "user", "content": "明天北京天气怎么样？"}])
    assert completion.model_extra["abstained"] is True
    assert completion.model_extra["citations"] == []
    assert SUPPORT_CONTACT in completion.choices[0].message.content


def test_gradio_client_chat(live_server: str) -> None:
    from gradio_client import Client

    with closing(Client(f"{live_server}/", verbose=False)) as client:
        result = client.predict(message="升级服务包含哪些内容？", history=[], api_name="/chat")
    assert result["citations"][0]["product"] == "升级服务"
    assert result["abstained"] is False and "升级" in result["answer"]


def test_serve_refuses_a_taken_port_with_one_line(kb_home: object) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([str(KBBOT), "serve", "--port", str(port)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().startswith("kbbot: error: cannot listen on 127.0.0.1:")
    assert "Traceback" not in done.stderr


def test_serve_rejects_a_bad_setting(kb_home: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KB_LOG_RETENTION_DAYS", "0")
    done = subprocess.run([str(KBBOT), "serve"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip() == "kbbot: error: KB_LOG_RETENTION_DAYS: Input should be greater than or equal to 1"


def test_serve_refuses_a_damaged_log_and_keeps_it(kb_home: Path) -> None:
    kb_home.mkdir(parents=True)
    damaged = kb_home / "logbook.sqlite3"
    damaged.write_bytes(b"not a database" * 100)
    done = subprocess.run([str(KBBOT), "serve", "--port", str(free_port())], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().startswith(f"kbbot: error: cannot open the conversation log {damaged}:")
    assert damaged.read_bytes() == b"not a database" * 100
