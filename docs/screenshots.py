"""README screenshots of the answer shape (#12), taken from the real app: `.venv/bin/python docs/screenshots.py`.

Starts `kbbot serve` on a free loopback port with a temporary KB_HOME (the first start ingests the bundled
catalog; your own knowledge base is not touched), asks real questions in Debian's headless chromium through
playwright (the `[dev]` extra) and writes cropped, palette-quantised PNGs into docs/img/. The server is
started as tests/surfaces/conftest.py starts it; nothing here is mocked.
"""
from __future__ import annotations

import io
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from PIL import Image
from playwright.sync_api import Locator, expect, sync_playwright

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "docs" / "img"
KBBOT = Path(sys.executable).with_name("kbbot")
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--font-render-hinting=none"]
STAFF_PASSWORD = secrets.token_urlsafe(12)  # set for this run only, so the sign-in is the real one

SCOPE_QUESTION = "升级服务包括搭建测试环境吗？"
WHICH_QUESTION = "月底结账特别慢，找哪个服务？"
STAFF_QUESTION = "数据库转换服务包括工具授权吗"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def kbbot_serve(home: Path) -> Iterator[str]:
    """`kbbot serve` on a free port with KB_HOME at `home`; yields its URL once /healthz answers."""
    env = {**os.environ, "KB_HOME": str(home), "KB_STAFF_PASSWORD": STAFF_PASSWORD}
    for name in ("KB_CHROMA_URL", "KB_LLM", "KB_SUPPORT_CONTACT"):  # the defaults: embedded store, no LLM
        env.pop(name, None)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = home / "serve.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen([str(KBBOT), "serve", "--host", "127.0.0.1", "--port", str(port)], env=env,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"kbbot serve did not start:\n{log_path.read_text(errors='replace')[-3000:]}")
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def ask(root: Any, question: str) -> Locator:
    """Ask in `root` (a page or an iframe's frame locator); return the last bot message once it is complete
    (no pending marker, its citation cards rendered) and the view has settled on its start."""
    answers = root.locator("#kb-chat .message.bot")
    before = answers.count()
    root.locator("#kb-question textarea").fill(question)
    root.locator("#kb-question button.submit-button").click()
    deadline = time.monotonic() + 60
    while not (answers.count() > before and root.locator("#kb-chat .pending").count() == 0
               and answers.last.locator("details.kb-citation").count()):
        if time.monotonic() > deadline:
            raise SystemExit(f"no complete answer to {question!r} within 60 s")
        time.sleep(0.1)
    time.sleep(1.5)  # the chips render and the view settles on the answer's start
    return answers.last


def save(name: str, png: bytes) -> None:
    """Quantised to a 256-colour palette: UI text stays crisp and the file small."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    path = OUT / name
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(path, optimize=True)
    print(f"{path.relative_to(REPO)}  {image.width}x{image.height}  {path.stat().st_size / 1024:.0f} KB")


def around(*locators: Locator, pad: float = 12, top: float | None = None, left: float | None = None,
           right: float | None = None) -> dict[str, float]:
    """A screenshot clip (page coordinates) around `locators`, padded; `top`, `left`, `right` fix an edge."""
    boxes = [locator.bounding_box() for locator in locators]
    x0 = left if left is not None else min(b["x"] for b in boxes) - pad
    y0 = top if top is not None else min(b["y"] for b in boxes) - pad
    x1 = right if right is not None else max(b["x"] + b["width"] for b in boxes) + pad
    y1 = max(b["y"] + b["height"] for b in boxes) + pad
    return {"x": max(0, x0), "y": max(0, y0), "width": x1 - max(0, x0), "height": y1 - max(0, y0)}


def chat_page(browser: Any, url: str) -> None:
    """The customer page at 1280 px: (1) a scope answer, first sentence with [n], collapsed cards, follow-up
    chips; (2) its first card opened; (4) the hand-off note after "转人工 / Talk to a person"."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{url}/")
    answer = ask(page, SCOPE_QUESTION)
    expect(answer.locator(".message-content p").first).to_contain_text("[1]")
    chips = page.locator("#kb-chat .options button.option")
    expect(chips.first).to_be_visible(timeout=30_000)
    chat = page.locator("#kb-chat")
    save("chat-answer.png", page.screenshot(clip=around(answer, chips.last, top=0, left=16, right=1264)))

    card = answer.locator("details.kb-citation").first
    card.locator("summary").click()
    expect(card.locator("blockquote")).to_be_visible()
    save("chat-card-open.png", page.screenshot(clip=around(answer)))
    card.locator("summary").click()  # closed again for the hand-off picture

    page.locator("#kb-handoff").click()
    note = page.locator("#kb-chat .message.bot").last
    expect(note).to_contain_text("客户经理", timeout=30_000)
    time.sleep(1)  # the view settles on the note's start
    save("chat-hand-off.png", page.screenshot(clip=around(chat, page.locator("#kb-handoff"), pad=4)))
    context.close()


def widget(browser: Any, url: str) -> None:
    """(3) The widget in /embed-demo on a 390 px phone (a mobile browser, 2x pixels: the page stacks and the
    iframe takes the screen's width), after a which-service question: the recommendation sentence, which
    repeats the customer's problem, at the top of the answer."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, has_touch=True,
                                  is_mobile=True, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{url}/embed-demo")
    frame = page.frame_locator("iframe")
    frame.locator("#kb-question textarea").wait_for(timeout=60_000)
    ask(frame, WHICH_QUESTION)
    save("widget-phone.png", page.locator("iframe").screenshot())
    context.close()


def staff(browser: Any, url: str) -> None:
    """(5) The staff lookup, signed in with this run's password: highlighted clauses and the copy-ready answer."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    signed_in = context.request.post(f"{url}/staff/login", form={"username": "staff", "password": STAFF_PASSWORD})
    if not signed_in.ok:
        raise SystemExit(f"staff sign-in failed: {signed_in.status}")
    page = context.new_page()
    page.goto(f"{url}/staff/")
    page.locator("#staff-query textarea").fill(STAFF_QUESTION)
    page.locator("#staff-search").click()
    page.locator("#staff-results details").first.wait_for(timeout=60_000)
    page.wait_for_function("() => document.querySelector('#staff-answer textarea').value.includes('[1]')",
                           timeout=30_000)
    time.sleep(1)
    save("staff-lookup.png", page.screenshot(clip=around(page.locator("#staff-results"), page.locator("#staff-answer"),
                                                         top=0, left=16, right=1264)))
    context.close()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kbbot-screenshots-") as home, kbbot_serve(Path(home)) as url, \
            sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        chat_page(browser, url)
        widget(browser, url)
        staff(browser, url)
        browser.close()


if __name__ == "__main__":
    main()
