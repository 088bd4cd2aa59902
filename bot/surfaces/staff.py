"""Staff lookup: search with highlighted clauses, copyable cited answers, the catalog and its versions,
question-set runs, and the questions the bot could not answer, each with its conversation, which staff
turn into labelled examples (the right product, a verdict, or a decline) that the next answer uses.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import gradio as gr
from gradio.utils import get_upload_folder

from bot.surfaces.api import ChatBot
from bot.surfaces.logbook import HAND_OFF, LoggedExchange, Logbook
from bot.surfaces.render import copyable_answer
from bot.surfaces.sanitize import escape_markdown, escape_markup, safe_markdown
from bot.surfaces.settings import ServeSettings
from ingest.models import Catalog, Entry
from kb.diff import CatalogDiff, diff_catalogs
from kb.errors import KBError
from kb.examples import STAFF_WRITER, Example
from kb.models import EntryHit, VersionInfo

ALL_CATEGORIES = "全部类别 All categories"

# (question set path, output directory) -> the runner writes report.md / report.png / results.jsonl there.
EvalRunner = Callable[[Path, Path], Any]


def eval_runner_for(bot: ChatBot, kb: StaffKnowledgeBase) -> EvalRunner:
    """Run an uploaded set through the served bot with the eval package's own runner and report."""

    def run(set_path: Path, out_dir: Path) -> Any:
        from eval.questions import load_question_set
        from eval.runner import run_set

        categories = {entry.product: entry.category for entry in kb.catalog.entries}
        return run_set(bot, load_question_set(set_path), out_dir, set_name=set_path.name, categories=categories,
                       retrieval=False, progress=False)

    return run


class StaffKnowledgeBase(Protocol):
    catalog: Catalog
    active_version: str | None

    def search(self, query: str, k: int = 5, category: str | None = None) -> list[EntryHit]: ...
    def versions(self) -> list[VersionInfo]: ...
    def version_catalog(self, version: str) -> Catalog: ...
    def add_example(self, example: Example) -> Example: ...


def _matches(clause: str, hit: EntryHit) -> bool:
    return any(e.text and (e.text in clause or clause in e.text) for e in hit.evidence)


def _clause(text: str, hit: EntryHit) -> str:
    safe = escape_markdown(text)
    return f"<mark>{safe}</mark>" if _matches(text, hit) else safe


def entry_markdown(entry: Entry, hit: EntryHit | None = None) -> str:
    """The whole entry with its page; clauses that matched the query are highlighted. Catalog text is
    untrusted: every piece of it is escaped, so it can carry no Markdown (a remote image above all)."""
    mark = (lambda text: _clause(text, hit)) if hit else escape_markdown
    lines = [f"**{escape_markdown(entry.product)}** · {escape_markdown(entry.category)} · 第 {entry.page} 页 (p. {entry.page})",
             "", mark(entry.description)]
    if entry.items:
        lines += ["", "服务内容 Service contents:"] + [f"{n}. {mark(item)}" for n, item in enumerate(entry.items, 1)]
    if entry.exclusions:
        lines += ["", "不包含 Not included:"] + [f"- {mark(clause)}" for clause in entry.exclusions]
    return "\n".join(lines)


def hits_markdown(hits: list[EntryHit]) -> str:
    if not hits:
        return "没有找到匹配的条目。No matching entries."
    blocks = []
    for rank, hit in enumerate(hits, 1):
        opened = " open" if rank == 1 else ""
        summary = (f"{rank}. {escape_markup(hit.entry.product)} · {escape_markup(hit.entry.category)}"
                   f" · 第 {hit.entry.page} 页 <small>(score {hit.score:.3f})</small>")
        blocks.append(f"<details class=\"kb-citation\"{opened}><summary>{summary}</summary>\n\n"
                      f"{entry_markdown(hit.entry, hit)}\n\n</details>")
    return "\n\n".join(blocks)


def catalog_markdown(catalog: Catalog) -> str:
    by_category: dict[str, list[Entry]] = {}
    for entry in catalog.entries:
        by_category.setdefault(entry.category, []).append(entry)
    parts = [f"当前目录版本 Active catalog version: **{escape_markdown(catalog.catalog_version)}**"
             f" · {len(catalog.entries)} 个条目 entries"]
    for category, entries in by_category.items():
        parts.append(f"\n### {escape_markdown(category)} ({len(entries)})")
        for entry in entries:
            parts.append(f"<details class=\"kb-citation\"><summary>{escape_markup(entry.product)} · 第 {entry.page} 页"
                         f"</summary>\n\n{entry_markdown(entry)}\n\n</details>")
    return "\n".join(parts)


def diff_markdown(diff: CatalogDiff, old: str, new: str) -> str:
    parts = [f"### {escape_markdown(old)} → {escape_markdown(new)}"]
    for label, products in (("新增 Added", diff.added), ("删除 Removed", diff.removed)):
        parts.append(f"\n**{label}** ({len(products)})")
        parts += [f"- {escape_markdown(product)}" for product in products]
    parts.append(f"\n**变更 Changed** ({len(diff.changed)})")
    for change in diff.changed:
        parts.append(f"- {escape_markdown(change.product)}")
        parts += [f"  - ＋ {escape_markdown(clause)}" for clause in change.added_clauses]
        parts += [f"  - － ~~{escape_markdown(clause)}~~" for clause in change.removed_clauses]
    if not (diff.added or diff.removed or diff.changed):
        parts.append("\n两个版本内容相同。The two versions are identical.")
    return "\n".join(parts)


UNANSWERED_HEADERS = ["编号 #", "时间 Time", "原因 Reason", "来源 Surface", "问题 Question", "回答 Answer"]
VERDICT_CHOICES = [("不是是否问题 Not a yes/no question", ""), ("包括 Included", "included"),
                   ("不包括 Excluded", "excluded"), ("目录未列出 Not listed", "not_listed")]


def _when(exchange: LoggedExchange) -> str:
    return datetime.fromtimestamp(exchange.created_at).strftime("%Y-%m-%d %H:%M")


def _reason(exchange: LoggedExchange) -> str:
    if exchange.kind == HAND_OFF:
        return "转人工 hand-off"
    return "未回答 abstained" if exchange.abstained else "不满意 unhelpful"


def unanswered_rows(logbook: Logbook) -> list[list[Any]]:
    """One row an exchange, its log id first (a click on the row opens its conversation by that id)."""
    return [[exchange.id, _when(exchange), _reason(exchange), exchange.surface, exchange.question[:300],
             exchange.answer[:300]] for exchange in logbook.unanswered()]


def conversation_markdown(turns: list[LoggedExchange]) -> str:
    """The conversation up to the chosen question, oldest first. The customer's words are shown exactly as
    typed (escaped completely); the bot's answers as the customer saw them."""
    exchanges = []
    for number, turn in enumerate(turns, 1):
        chosen = number == len(turns)
        if turn.kind == HAND_OFF:  # the customer asked for a person after their last question
            exchanges.append(f"**{'▶ ' if chosen else ''}客户要求转人工 Customer asked for a person**\n\n"
                             f"{safe_markdown(turn.answer)}")
            continue
        asked = "**▶ 客户（这一问）Customer — this question**" if chosen else "**客户 Customer**"
        answered = f"**机器人 Bot** · {_reason(turn)}" if chosen else "**机器人 Bot**"
        exchanges.append(f"{asked}\n\n{escape_markdown(turn.question)}\n\n{answered}\n\n{safe_markdown(turn.answer)}")
    header = f"**对话 Conversation** · {escape_markdown(turns[-1].surface)} · {_when(turns[0])}"
    return "\n\n---\n\n".join([header, *exchanges])


class StaffHandlers:
    def __init__(self, bot: ChatBot, kb: StaffKnowledgeBase, settings: ServeSettings, logbook: Logbook,
                 eval_runner: EvalRunner | None) -> None:
        self.bot, self.kb, self.settings, self.logbook = bot, kb, settings, logbook
        self.eval_runner = eval_runner
        self.uploads: set[str] = set()  # the page's own record of files uploaded to it (set in build_staff)

    def search(self, query: str, category: str) -> tuple[str, str]:
        query = (query or "").strip()
        if not query:
            raise gr.Error("请输入搜索内容。Please type what to look up.")
        if len(query) > self.settings.max_question_chars:
            raise gr.Error(f"Query too long: the limit is {self.settings.max_question_chars} characters.")
        hits = self.kb.search(query, k=5, category=None if category in (None, "", ALL_CATEGORIES) else category)
        answer = self.bot.ask(query, [])
        return hits_markdown(hits), copyable_answer(answer)

    def catalog_view(self) -> tuple[Any, Any, str]:
        """Read on every page load, so an edition ingested while serving shows up without a restart."""
        versions = self.kb.versions()
        choices = [(f"{v.version}（当前 active）" if v.active else v.version, v.version) for v in versions]
        names = [v.version for v in versions]
        return (gr.Dropdown(choices=choices, value=names[-2] if len(names) > 1 else (names or [None])[0]),
                gr.Dropdown(choices=choices, value=names[-1] if names else None),
                catalog_markdown(self.kb.catalog))

    def diff(self, old: str | None, new: str | None) -> str:
        if not old or not new:
            raise gr.Error("请选择两个版本。Pick two versions to compare.")
        try:
            return diff_markdown(diff_catalogs(self.kb.version_catalog(old), self.kb.version_catalog(new)), old, new)
        except KBError as exc:
            raise gr.Error(str(exc).splitlines()[0]) from exc

    def _uploaded(self, upload: str) -> Path:
        """Only a file uploaded to this page: a client can post any server path as the file's value, and
        a set read from there would be run and echoed back in the report."""
        path = Path(upload)
        cache = Path(get_upload_folder()).resolve()
        if (str(path) not in self.uploads or path.is_symlink() or not path.is_file()
                or not path.resolve().is_relative_to(cache)):
            raise gr.Error("请通过本页面上传问题集。Upload the question set through this page.")
        return path

    def unanswered_view(self) -> tuple[list[list[Any]], Any]:
        """Read on every visit, so new questions and a newly ingested edition's products show up."""
        products = [entry.product for entry in self.kb.catalog.entries]
        return unanswered_rows(self.logbook), gr.Dropdown(choices=products)

    def open_unanswered(self, event: gr.SelectData) -> tuple[str, str, Any, str, bool, str]:
        """A clicked row: its conversation, and the teach form filled with its question."""
        try:
            exchange_id = int((event.row_value or [None])[0])
        except (TypeError, ValueError) as exc:
            raise gr.Error("请点击表格中的一行。Click a row of the table.") from exc
        turns = self.logbook.conversation(exchange_id)
        if not turns:
            raise gr.Error("这条记录已不在日志中。This exchange is no longer in the log.")
        return conversation_markdown(turns), turns[-1].question, gr.Dropdown(value=None), "", False, ""

    def teach(self, question: str, product: str | None, verdict: str | None, decline: bool) -> str:
        """Store a labelled example in the knowledge base (KB_HOME); the next answer uses it, no restart."""
        from bot.understand import detect_language

        question = " ".join((question or "").split())
        if not question or len(question) > self.settings.max_question_chars:
            raise gr.Error(f"问题须为 1–{self.settings.max_question_chars} 字。"
                           f" The question must be 1 to {self.settings.max_question_chars} characters.")
        if decline and (product or verdict):
            raise gr.Error("应拒答的问题不指定服务和结论。A decline names no product and no verdict.")
        if not decline and not product:
            raise gr.Error("请选择正确的服务，或勾选“应拒答”。Pick the right product, or tick 'decline'.")
        try:
            stored = self.kb.add_example(Example(question=question, lang=detect_language(question),
                                                 products=[product] if product else [], verdict=verdict or None,
                                                 abstain=decline, writer=STAFF_WRITER))
        except (KBError, ValueError) as exc:  # an unknown product, a malformed example
            raise gr.Error(f"未保存 Not saved: {str(exc).splitlines()[0]}") from exc
        label = "拒答 decline" if stored.abstain else " / ".join(stored.products)
        if stored.verdict:
            label += f" ({stored.verdict})"
        return (f"已保存 Saved: 「{escape_markdown(stored.question)}」 → {escape_markdown(label)}。"
                " 下一次回答即使用它。The next answer uses it.")

    def run_eval(self, upload: str | None) -> tuple[str, str | None, str | None]:
        if self.eval_runner is None:
            raise gr.Error("评测模块不可用。The eval runner is not installed.")
        if not upload:
            raise gr.Error("请上传 JSONL 问题集。Upload a question set (.jsonl) first.")
        set_path = self._uploaded(upload)
        from eval.runner import scratch_run_dir

        out_dir = scratch_run_dir()  # removed at exit; Gradio copies the outputs into its cache as it answers
        started = time.perf_counter()
        try:
            self.eval_runner(set_path, out_dir)
        except (ValueError, OSError) as exc:
            reason = str(exc).replace(str(upload), Path(upload).name)  # no server temp paths in the message
            raise gr.Error(f"问题集无法运行 The set could not run: {reason}") from exc
        report = out_dir / "report.md"
        text = report.read_text(encoding="utf-8") if report.exists() else "(no report.md written)"
        chart = out_dir / "report.png"
        results = out_dir / "results.jsonl"
        header = f"运行完成 Finished in {time.perf_counter() - started:.1f} s.\n\n"
        return (header + safe_markdown(text), str(chart) if chart.exists() else None,
                str(results) if results.exists() else None)


def build_staff(bot: ChatBot, kb: StaffKnowledgeBase, settings: ServeSettings, logbook: Logbook,
                eval_runner: EvalRunner | None) -> gr.Blocks:
    handlers = StaffHandlers(bot, kb, settings, logbook, eval_runner)
    categories = [ALL_CATEGORIES, *dict.fromkeys(e.category for e in kb.catalog.entries)]
    with gr.Blocks(title="客服查询 Staff lookup · kbbot", analytics_enabled=False) as page:
        gr.Markdown("# 客服查询 Staff lookup\n检索服务目录、复制带出处的回答、查看版本差异与未解决问题。"
                    " Search the catalog, copy cited answers, compare editions, review unanswered questions."
                    " · <a href=\"/\">客户对话 Customer chat</a>", elem_classes=["kb-header"])
        with gr.Tabs():
            with gr.Tab("查询 Search", id="search"):
                with gr.Row(equal_height=True):
                    query = gr.Textbox(label="问题或关键词 Question or keywords", elem_id="staff-query", scale=6,
                                       placeholder="例如：数据库转换服务包括工具授权吗？")
                    category = gr.Dropdown(categories, value=ALL_CATEGORIES, label="类别 Category", scale=2)
                    search = gr.Button("搜索 Search", variant="primary", scale=1, elem_id="staff-search")
                with gr.Row():
                    with gr.Column(scale=3):
                        results = gr.Markdown("输入问题后点击搜索。Type a question and press Search.",
                                              elem_id="staff-results")
                    with gr.Column(scale=2):
                        ready = gr.Textbox(label="可复制的回答（含出处）Ready-to-copy answer with source", lines=14,
                                           buttons=["copy"], interactive=False, elem_id="staff-answer")
                for trigger in (query.submit, search.click):
                    trigger(handlers.search, [query, category], [results, ready], api_visibility="private")
            with gr.Tab("目录 Catalog", id="catalog"):
                with gr.Row():
                    old = gr.Dropdown(label="旧版本 Old version", elem_id="staff-diff-old")
                    new = gr.Dropdown(label="新版本 New version", elem_id="staff-diff-new")
                    compare = gr.Button("比较 Compare", scale=0, min_width=160, elem_id="staff-diff")
                diff = gr.Markdown(elem_id="staff-diff-result")
                compare.click(handlers.diff, [old, new], diff, api_visibility="private")
                catalog_view = gr.Markdown(elem_id="staff-catalog")
                page.load(handlers.catalog_view, None, [old, new, catalog_view], api_visibility="private")
            with gr.Tab("评测 Question sets", id="eval"):
                gr.Markdown("上传公共格式的 JSONL 问题集并运行。Upload a question set in the public JSONL format.")
                with gr.Row():
                    upload = gr.File(label="问题集 Question set (.jsonl)", file_types=[".jsonl"], type="filepath",
                                     elem_id="staff-eval-upload")
                    run = gr.Button("运行 Run", variant="primary", scale=0, min_width=120, elem_id="staff-eval-run")
                report = gr.Markdown(elem_id="staff-eval-report")
                with gr.Row():
                    chart = gr.Image(label="报告图表 Report chart", type="filepath", interactive=False)
                    results_file = gr.File(label="结果 results.jsonl", interactive=False)
                run.click(handlers.run_eval, upload, [report, chart, results_file], api_visibility="private")
            with gr.Tab("未解决问题 Unanswered", id="unanswered") as unanswered_tab:
                with gr.Row():
                    gr.Markdown("点击一行查看对话，并把它教给机器人。Click a row to see its conversation and teach the"
                                " bot the right answer.")
                    refresh = gr.Button("刷新 Refresh", scale=0, min_width=120)
                table = gr.Dataframe(headers=UNANSWERED_HEADERS, datatype=["number", "str", "str", "str", "str", "str"],
                                     wrap=True, interactive=False, column_widths=["6%", "11%", "10%", "7%", "28%", "38%"],
                                     elem_id="staff-unanswered")
                with gr.Row():
                    with gr.Column(scale=3):
                        conversation = gr.Markdown("（未选择 Nothing selected）", elem_id="staff-conversation")
                    with gr.Column(scale=2):
                        teach_question = gr.Textbox(label="示例问题 Example question (edit it to stand on its own)",
                                                    lines=2, elem_id="staff-teach-question")
                        teach_product = gr.Dropdown(label="正确的服务 The right product", elem_id="staff-teach-product",
                                                    choices=[entry.product for entry in kb.catalog.entries], value=None)
                        teach_verdict = gr.Radio(VERDICT_CHOICES, value="", label="结论 Verdict (for 'does P include X')",
                                                 elem_id="staff-teach-verdict")
                        teach_decline = gr.Checkbox(label="应拒答：目录无法回答 The bot should decline (the catalog"
                                                          " cannot answer it)", elem_id="staff-teach-decline")
                        save = gr.Button("保存为示例 Save as example", variant="primary", elem_id="staff-teach-save")
                        teach_status = gr.Markdown(elem_id="staff-teach-status")
                for trigger in (refresh.click, unanswered_tab.select, page.load):
                    trigger(handlers.unanswered_view, None, [table, teach_product], api_visibility="private")
                table.select(handlers.open_unanswered, None, [conversation, teach_question, teach_product,
                                                              teach_verdict, teach_decline, teach_status],
                             api_visibility="private")
                save.click(handlers.teach, [teach_question, teach_product, teach_verdict, teach_decline], teach_status,
                           api_visibility="private")
    handlers.uploads = page.upload_file_set  # filled by Gradio's upload route of this page
    page.queue(max_size=32, default_concurrency_limit=2)
    return page
