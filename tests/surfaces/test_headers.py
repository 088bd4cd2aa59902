"""Security headers on every response of the served app, over real HTTP (the browser tests in test_web.py
check that the pages still work under this policy and that only the widget can be framed elsewhere)."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.surfaces.conftest import FakeBot, make_app, serve_in_thread


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_in_thread(make_app(FakeBot(), tmp_path_factory.mktemp("headers"), staff_password="s3cret",
                                  max_request_bytes=4096)) as served:
        yield served


def directives(response: httpx.Response) -> dict[str, str]:
    policy = response.headers.get("content-security-policy", "")
    return {part.split(" ", 1)[0]: part.split(" ", 1)[-1] for part in (p.strip() for p in policy.split(";")) if part}


REQUESTS = [("GET", "/"), ("GET", "/widget/"), ("GET", "/staff/"), ("GET", "/staff/config"), ("POST", "/staff/login"),
            ("GET", "/embed-demo"), ("GET", "/healthz"), ("GET", "/v1/models"), ("GET", "/v1/openapi.json"),
            ("GET", "/config"), ("GET", "/theme.css"), ("GET", "/no-such-page"),
            ("POST", "/v1/chat/completions")]


@pytest.mark.parametrize(("method", "path"), REQUESTS)
def test_every_response_has_nosniff_and_a_policy(url: str, method: str, path: str) -> None:
    response = httpx.request(method, f"{url}{path}", json={})
    assert response.headers["x-content-type-options"] == "nosniff"
    policy = directives(response)
    assert policy["default-src"] == "'self'" and policy["object-src"] == "'none'"
    assert "http:" not in response.headers["content-security-policy"]  # nothing from other hosts


def test_rejections_of_the_request_guard_carry_them_too(url: str) -> None:
    response = httpx.post(f"{url}/v1/chat/completions", content=b"x" * 5000)
    assert response.status_code == 413 and response.headers["x-content-type-options"] == "nosniff"


def test_staff_may_not_be_framed(url: str) -> None:
    for path in ("/staff/", "/staff/config", "/staff"):
        response = httpx.get(f"{url}{path}")
        assert directives(response)["frame-ancestors"] == "'none'" and response.headers["x-frame-options"] == "DENY"


def test_the_widget_may_be_framed_by_any_site(url: str) -> None:
    response = httpx.get(f"{url}/widget/")
    assert "frame-ancestors" not in directives(response) and "x-frame-options" not in response.headers


def test_other_pages_may_be_framed_by_this_origin_only(url: str) -> None:
    for path in ("/", "/embed-demo"):
        response = httpx.get(f"{url}{path}")
        assert directives(response)["frame-ancestors"] == "'self'", path
        assert directives(response)["frame-src"] == "'self'"  # the demo frames the widget


def test_headers_module_is_registered_once(tmp_path: Path) -> None:
    from bot.surfaces.headers import SecurityHeaders

    app = make_app(FakeBot(), tmp_path)
    assert [m.cls for m in app.user_middleware].count(SecurityHeaders) == 1
    assert app.user_middleware[0].cls is SecurityHeaders  # outermost: every other layer's answers get them
