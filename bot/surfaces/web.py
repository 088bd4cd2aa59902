"""One ASGI app on one port: the HTTP API, the customer chat, the embeddable widget and the staff lookup."""
from __future__ import annotations

import sys
from typing import Any

import gradio as gr
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from starlette.routing import Mount

from bot.surfaces.api import ChatBot, build_router, install_error_handlers
from bot.surfaces.chat import HAND_OFF_NOTE_CLASS, VIEW_SCRIPT, build_chat
from bot.surfaces.guard import RequestGuard
from bot.surfaces.headers import SecurityHeaders
from bot.surfaces.logbook import Logbook, default_log_path
from bot.surfaces.settings import ServeSettings
from bot.surfaces.staff import EvalRunner, StaffKnowledgeBase, build_staff, eval_runner_for
from bot.surfaces.staff_auth import STAFF_USER, LoginBackoff, StaffGate, gradio_session, staff_password

THEME = gr.themes.Soft(primary_hue="blue", secondary_hue="sky", neutral_hue="slate",
                       font=["Noto Sans SC", "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", "sans-serif"],
                       font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"])  # no remote web fonts

CSS = """
.kb-header h1 { font-size: 1.5rem !important; margin-bottom: .2rem; }
.kb-header p, .kb-footer { color: var(--body-text-color-subdued); }
.kb-cite-heading { margin-top: .6rem; font-size: .8em; color: var(--body-text-color-subdued); }
details.kb-citation { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: .3rem .6rem;
  margin: .3rem 0; background: var(--background-fill-secondary); font-size: .88em; }
details.kb-citation summary { cursor: pointer; display: flex; flex-wrap: wrap; column-gap: .4em; align-items: baseline; }
details.kb-citation .kb-cite-number { font-weight: 700; color: var(--color-accent); }
details.kb-citation .kb-cite-source { font-weight: 600; }
details.kb-citation .kb-cite-preview { color: var(--body-text-color-subdued); overflow: hidden; text-overflow: ellipsis;
  white-space: nowrap; min-width: 0; flex: 1 1 14em; }
details.kb-citation[open] .kb-cite-preview { display: none; }
.gradio-container details.kb-citation blockquote { margin: .2rem 0 .1rem !important; }  /* Gradio's prose: 24px */
#kb-chat button.example, #kb-chat .options button.option { border: 1px solid var(--color-accent); border-radius: 999px;
  background: var(--background-fill-primary); color: var(--color-accent); padding: .35rem .85rem; cursor: pointer;
  box-shadow: 0 1px 2px rgba(0, 0, 0, .06); font-size: .9em; text-align: left; }
#kb-chat button.example:hover, #kb-chat .options button.option:hover { background: var(--color-accent-soft); }
#kb-chat .options { display: flex; flex-wrap: wrap; gap: .4rem; justify-content: flex-start; margin-left: 0;
  max-width: 100%; padding: 0 .5rem .5rem calc(var(--spacing-xl) * 2); }  /* under the answer, where its bubble starts */
#kb-chat .options button.option { width: auto; max-width: 100%; }  /* one line when it fits, not a 224 px pill */
#kb-question button.submit-button { background: var(--button-primary-background-fill); color: var(--button-primary-text-color);
  border-radius: 8px; padding: .3rem 1rem; font-weight: 600; cursor: pointer; }
#kb-question button.submit-button:hover { background: var(--button-primary-background-fill-hover); }
.kb-actions { justify-content: flex-end; }
#staff-unanswered table, #staff-unanswered th, #staff-unanswered td { font-family: var(--font) !important; }
mark { background: #fde68a; padding: 0 .1em; border-radius: 3px; }
footer { display: none !important; }
""" + f".message-row:has(.{HAND_OFF_NOTE_CLASS}) + .message-buttons {{ display: none; }}\n"  # a note: no 👍/👎

WIDGET_CSS = CSS + """
.gradio-container, .gradio-container .main.app { padding: 4px !important; max-width: 100% !important; }
#kb-chat { min-height: 300px; }
.kb-actions { margin-top: -6px; }
"""

EMBED_SNIPPET = (
    '<iframe src="{origin}/widget/" title="{title}" style="width:400px;max-width:100%;height:620px;'
    'border:1px solid #d0d7de;border-radius:12px;box-sizing:border-box" loading="lazy"></iframe>'
)


def _embed_demo_page() -> str:
    snippet = EMBED_SNIPPET.format(origin="", title="客服助手 Support assistant")
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Embed demo · kbbot widget</title>
<style>body{{font-family:system-ui,'Noto Sans SC','Microsoft YaHei',sans-serif;margin:2rem;background:#f6f8fa;color:#24292f}}
main{{display:flex;flex-wrap:wrap;gap:2rem;align-items:flex-start}} article{{flex:1 1 20rem;max-width:36rem;min-width:0}}
aside{{flex:0 1 400px;max-width:100%}} aside iframe{{display:block}}
pre{{white-space:pre-wrap;word-break:break-all;background:#eaeef2;padding:.6rem;border-radius:6px}}
@media (max-width:600px){{body{{margin:1rem}} main{{gap:1rem}}}}</style>
</head><body><main><article><h1>某供应商网站 · Vendor site</h1>
<p>这是一个测试页面，演示如何用 iframe 嵌入聊天小部件。This page shows the chat widget embedded with one iframe:</p>
<pre><code>{snippet.replace('<', '&lt;').replace('>', '&gt;')}</code></pre></article>
<aside>{snippet}</aside></main></body></html>"""


def create_app(bot: ChatBot, kb: StaffKnowledgeBase, settings: ServeSettings | None = None,
               logbook: Logbook | None = None, eval_runner: EvalRunner | None = None, host: str | None = None,
               login_backoff: LoginBackoff | None = None) -> FastAPI:
    """Everything is injected so tests can serve fakes and the server builds the real bot once. `host` is
    the address the server listens on: beyond localhost, /staff/ always needs a password."""
    settings = settings or ServeSettings.from_env()
    logbook = logbook or Logbook(default_log_path(), settings.log_retention_days)
    eval_runner = eval_runner or eval_runner_for(bot, kb)

    def catalog_info() -> dict[str, Any]:
        catalog = kb.catalog
        return {"catalog_version": catalog.catalog_version, "entries": len(catalog.entries),
                "active_version": kb.active_version}

    # No Swagger page: it loads its scripts from a CDN. The schema stays at /v1/openapi.json.
    app = FastAPI(title="kbbot", docs_url=None, redoc_url=None, openapi_url="/v1/openapi.json")
    install_error_handlers(app)
    app.include_router(build_router(bot, settings, logbook, catalog_info))

    @app.get("/embed-demo", response_class=HTMLResponse, include_in_schema=False)
    def embed_demo() -> str:
        return _embed_demo_page()

    password, generated = staff_password(settings.staff_password, host)
    if generated:
        print(f"kbbot serve: {host} is reachable beyond this machine and KB_STAFF_PASSWORD is not set; /staff/"
              f" asks for user {STAFF_USER} and this generated password: {password}", file=sys.stderr, flush=True)
    staff_auth = (STAFF_USER, password) if password else None
    def active_catalog() -> Any:
        return kb.catalog

    mounts = [
        ("/widget", build_chat(bot, settings, logbook, compact=True, catalog=active_catalog), WIDGET_CSS, None,
         VIEW_SCRIPT),
        ("/staff", build_staff(bot, kb, settings, logbook, eval_runner), CSS, staff_auth, None),
        ("", build_chat(bot, settings, logbook, compact=False, catalog=active_catalog), CSS, None,  # last: "" catches
         VIEW_SCRIPT),                                                                              # every other path
    ]
    for path, blocks, css, auth, head in mounts:
        app = gr.mount_gradio_app(app, blocks, path=path, theme=THEME, css=css, footer_links=[], ssr_mode=False,
                                  max_file_size="5mb", auth=auth, auth_message="客服登录 Staff sign-in (user: staff)",
                                  head=head)
        # Gradio refuses posted file values outside its upload folder (any server path: /etc/passwd, the
        # logbook) only in apps it has launched, and copies them into its cache otherwise. Mounted apps are
        # never launched, so say so: its check then runs before anything is copied.
        blocks.has_launched = True
    if staff_auth:
        staff_app = next(route.app for route in app.routes if isinstance(route, Mount) and route.path == "/staff")
        app.add_middleware(StaffGate, prefix="/staff", signed_in=gradio_session(staff_app),
                           backoff=login_backoff or LoginBackoff())
    app.add_middleware(RequestGuard, max_request_bytes=settings.max_request_bytes,
                       rate_limit_per_minute=settings.rate_limit_per_minute, max_in_flight=settings.max_in_flight,
                       body_timeout_s=settings.body_timeout_seconds)
    app.add_middleware(SecurityHeaders)  # last added, outermost: every response gets them, rejections included
    app.state.logbook = logbook
    return app
