"""`kbbot ask` through click, on a real knowledge base (fake embedder)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.surfaces.cli import cli


@pytest.fixture
def run(kb_home: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("KB_EMBEDDINGS", "fake")
    monkeypatch.delenv("KB_LLM", raising=False)
    return lambda *args: CliRunner().invoke(cli, ["ask", *args])


@pytest.mark.xfail(strict=True, reason="the fitted decision (#11) does not confirm 数据备份 here; eval/blind/README.md")
def test_json_answer_on_an_empty_kb_ingests_the_bundled_catalog_first(run, kb_home: Path, tmp_path: Path):
    result = run("私有云部署与运维支持服务包括数据备份吗", "--json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert set(answer) == {"answer", "citations", "verdict", "abstained", "catalog_version"}
    assert answer["verdict"] == "included" and answer["catalog_version"] == "2025-07-01"
    assert set(answer["citations"][0]) == {"product", "category", "page", "quote"}
    assert answer["citations"][0]["product"] == "私有云部署与运维支持服务"

    # The follow-up reuses the knowledge base just built, and reads its history from a file.
    history = tmp_path / "history.json"
    history.write_text(json.dumps([{"role": "user", "content": "环境部署服务包括运维吗"},
                                   {"role": "assistant", "content": "没有提到。"}], ensure_ascii=False), encoding="utf-8")
    result = run("那私有云部署与运维支持服务呢？", "--history", str(history))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("包括") and "[1] 私有云部署与运维支持服务" in result.stdout


@pytest.mark.parametrize("content, message", [
    ("not json", "is not a list of"),
    ('{"role": "user"}', "is not a list of"),
    ('[{"role": "robot", "content": "hi"}]', "is not a list of"),
])
def test_bad_history_file_is_a_one_line_error(run, tmp_path: Path, content: str, message: str):
    history = tmp_path / "history.json"
    history.write_text(content, encoding="utf-8")
    result = run("升级服务是什么", "--history", str(history))
    assert result.exit_code == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_missing_history_file(run, tmp_path: Path):
    result = run("升级服务是什么", "--history", str(tmp_path / "nope.json"))
    assert result.exit_code == 2 and "cannot read history file" in result.stderr


def test_overlong_question_is_refused(run):
    result = run("问" * 2001)
    assert result.exit_code == 2 and "limit is 2000" in result.stderr


def test_unsupported_llm_setting_is_a_one_line_error(run, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("KB_LLM", "gpt-4")
    result = run("升级服务是什么")
    assert result.exit_code == 2 and "openai:<model>" in result.stderr


def test_ask_imports_only_what_it_uses(kb_home: Path):
    """Every import is paid on each cold `kbbot ask`: without a chat model LangChain stays out, and so do
    the web app, scikit-learn (fitting only), scipy and numba (bm25s would take them) and pypinyin's
    phrase dictionary. chromadb is needed: dense search."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "KB_HOME": str(kb_home), "KB_EMBEDDINGS": "fake"}
    env.pop("KB_LLM", None)
    kbbot = "from bot.surfaces.cli import main; main()"
    subprocess.run([sys.executable, "-c", kbbot, "ingest"], env=env, capture_output=True, check=True)
    heavy = ("langchain", "langchain_core", "langsmith", "gradio", "fastapi", "sklearn", "scipy", "numba", "torch",
             "pypinyin.phrases_dict")
    probe = ("import atexit, sys\n"
             f"atexit.register(lambda: print('loaded:', [m for m in {heavy!r} if m in sys.modules], file=sys.stderr))\n"
             f"{kbbot}\n")
    asked = subprocess.run([sys.executable, "-c", probe, "ask", "升级服务包括哪些内容？"], env=env, capture_output=True,
                           text=True, check=True)
    assert "升级服务" in asked.stdout and "loaded: []" in asked.stderr, asked.stderr
