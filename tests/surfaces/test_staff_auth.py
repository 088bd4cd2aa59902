"""/staff/ sign-in: a generated password beyond localhost, nothing served before sign-in, wrong passwords
throttled per client. Real HTTP on loopback; the back-off's clock is injected."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.surfaces.settings import ServeSettings
from bot.surfaces.staff_auth import LoginBackoff, staff_password
from tests.surfaces.conftest import FakeBot, app_logbook, kbbot_serve, serve_env, serve_in_thread
from tests.surfaces.serving import ManualClock


def staff_app(tmp_path: Path, host: str | None = None, backoff: LoginBackoff | None = None, **settings: Any) -> Any:
    from bot.surfaces.web import create_app

    bot = FakeBot()
    return create_app(bot=bot, kb=bot.kb, settings=ServeSettings(**settings), logbook=app_logbook(tmp_path / "log.sqlite3"),
                      host=host, login_backoff=backoff)


def sign_in(url: str, password: str, client: httpx.Client | None = None) -> httpx.Response:
    return (client or httpx).post(f"{url}/staff/login", data={"username": "staff", "password": password})


# Routes of the staff app that carry data or run its events; Gradio's own login skips some of them.
GUARDED = [("GET", "/staff/config"), ("GET", "/staff/gradio_api/info"), ("POST", "/staff/gradio_api/queue/join"),
           ("GET", "/staff/gradio_api/queue/data?session_hash=x"), ("POST", "/staff/gradio_api/cancel"),
           ("GET", "/staff/gradio_api/heartbeat/x"), ("POST", "/staff/gradio_api/upload"),
           ("GET", "/staff/gradio_api/runs"), ("POST", "/staff/gradio_api/run-history/connect")]


def test_localhost_stays_open_and_any_other_address_gets_a_generated_password() -> None:
    assert staff_password(None, "127.0.0.1") == (None, False)
    assert staff_password(None, "localhost") == (None, False)
    assert staff_password("mine", "0.0.0.0") == ("mine", False)
    first, generated = staff_password(None, "0.0.0.0")
    assert generated and len(first) >= 20 and first != staff_password(None, "10.0.0.5")[0]


def test_beyond_localhost_without_a_password_staff_data_needs_the_printed_one(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    app = staff_app(tmp_path, host="0.0.0.0")
    printed = capsys.readouterr().err
    password = re.search(r"password: (\S+)", printed).group(1)
    with serve_in_thread(app) as url:
        for method, path in GUARDED:
            assert httpx.request(method, f"{url}{path}", json={}).status_code == 401, path
        assert "auth_required" in httpx.get(f"{url}/staff/").text  # the sign-in page, no data
        assert sign_in(url, "guess").status_code == 400
        with httpx.Client() as staff:
            assert sign_in(url, password, staff).status_code == 200
            assert staff.get(f"{url}/staff/config").status_code == 200
        assert httpx.get(f"{url}/config").status_code == 200  # the customer chat stays open
    assert capsys.readouterr().err.count(password) == 0  # printed once, at start-up


def test_on_localhost_without_a_password_staff_is_open(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with serve_in_thread(staff_app(tmp_path, host="127.0.0.1")) as url:
        assert httpx.get(f"{url}/staff/config").status_code == 200
    assert "password" not in capsys.readouterr().err


def test_wrong_passwords_are_throttled_per_client(tmp_path: Path) -> None:
    clock = ManualClock()
    # The request guard's own per-client rate limit (real time) is set out of the way: this is the back-off.
    app = staff_app(tmp_path, backoff=LoginBackoff(clock=clock), staff_password="s3cret-pass",
                    rate_limit_per_minute=1_000_000)
    statuses = []
    with serve_in_thread(app) as url, httpx.Client() as client:
        for _ in range(300):  # 300 wrong passwords in 3 s of the injected clock
            statuses.append(sign_in(url, "wrong", client).status_code)
            clock.now += 0.01
        answered = statuses.count(400)
        assert answered <= 6 and statuses.count(429) == 300 - answered
        refused = sign_in(url, "s3cret-pass", client)
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1  # even the right one waits
        with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2")) as other:
            assert sign_in(url, "wrong", other).status_code == 400  # another client is not held up
        clock.now += 600
        assert sign_in(url, "s3cret-pass", client).status_code == 200
        assert sign_in(url, "wrong", client).status_code == 400  # signing in starts the client afresh


def test_backoff_doubles_counts_bursts_and_forgets() -> None:
    clock = ManualClock(0.0)
    backoff = LoginBackoff(free=3, base_delay=1.0, max_delay=8.0, forget_after=100.0, clock=clock)
    assert [backoff.attempt("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert backoff.attempt("a") == 1.0  # a burst sent at once: the fourth is already refused
    clock.now = 1.0
    assert backoff.attempt("a") == 0.0 and backoff.attempt("a") == 2.0
    clock.now = 3.0
    assert backoff.attempt("a") == 0.0 and backoff.attempt("a") == 4.0
    clock.now = 7.0
    assert backoff.attempt("a") == 0.0 and backoff.attempt("a") == 8.0  # capped at max_delay
    assert backoff.attempt("b") == 0.0
    clock.now = 200.0
    assert backoff.attempt("a") == 0.0 and backoff.attempt("a") == 0.0  # forgotten after 100 s idle


@pytest.mark.slow
def test_kbbot_serve_beyond_localhost_prints_a_password_and_keeps_staff_closed(tmp_path: Path) -> None:
    # 127.0.0.2 is still loopback (the test reaches nothing outside), but it is not one of the local
    # names, so `kbbot serve` treats it as reachable by others.
    env = serve_env(tmp_path / "home", KB_EMBEDDINGS="fake")
    env.pop("KB_STAFF_PASSWORD", None)
    log_path = tmp_path / "serve.log"
    with kbbot_serve(env, log_path, host="127.0.0.2") as url:
        assert httpx.get(f"{url}/staff/config").status_code == 401
        passwords = re.findall(r"password: (\S+)", log_path.read_text(encoding="utf-8"))
        assert len(passwords) == 1
        with httpx.Client() as staff:
            assert sign_in(url, passwords[0], staff).status_code == 200
            assert staff.get(f"{url}/staff/config").status_code == 200
