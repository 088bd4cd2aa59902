from __future__ import annotations

import json

from click.testing import CliRunner

from bot.surfaces.cli import cli


def kbbot(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_ingest_prints_what_was_built(fake_home):
    result = kbbot("ingest")
    assert result.exit_code == 0, result.output
    assert "built 2025-07-01" in result.stdout and "embedded" in result.stdout and "active version: 2025-07-01" in result.stdout
    [info] = json.loads(kbbot("ingest", "--json").stdout)
    assert info["version"] == "2025-07-01" and info["reused"] == info["chunks"] and info["active"]


def test_versions_marks_the_active_one(ingested):
    [info] = json.loads(kbbot("versions", "--json").stdout)
    assert info["active"] and info["version"] == "2025-07-01"
    assert kbbot("versions").stdout.startswith("* 2025-07-01")


def test_search_json_has_ranked_entries_scores_and_evidence(ingested):
    result = kbbot("search", "数据库转化服务", "--k", "2", "--json")
    payload = json.loads(result.stdout)
    assert payload["catalog_version"] == "2025-07-01" and len(payload["hits"]) == 2
    top = payload["hits"][0]
    assert top["product"] == "数据库转换服务" and top["name_match"] and top["evidence"]
    assert {"score", "dense_score", "lexical_score", "page", "category"} <= set(top)


def test_search_by_category(ingested):
    payload = json.loads(kbbot("search", "服务", "--category", "现场服务", "--json").stdout)
    assert {hit["category"] for hit in payload["hits"]} == {"现场服务"}


def test_bad_input_is_one_line_on_stderr_with_exit_2(fake_home, tmp_path):
    missing = kbbot("ingest", str(tmp_path / "nope.txt"))
    assert missing.exit_code == 2 and missing.stderr.startswith("kbbot: error:")
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{}")
    result = kbbot("ingest", str(bad_json))
    assert result.exit_code == 2 and "not a catalog JSON" in result.stderr and result.stderr.count("\n") == 1
    empty = kbbot("search", "升级")
    assert empty.exit_code == 2 and "kbbot ingest" in empty.stderr


def test_a_failed_ingest_keeps_what_was_stored(ingested, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("这不是目录")
    assert kbbot("ingest", str(bad)).exit_code == 2
    assert json.loads(kbbot("versions", "--json").stdout)[0]["active"]
