"""Customer chat: the full page and the compact embeddable widget share one builder.

The displayed conversation holds sanitized Markdown; a parallel `turns` state holds the raw text the
bot sees as history and the logbook id of each answer, so feedback lands on the right question. After
an answer the view shows its start (the verdict sentence), not its end (`VIEW_SCRIPT`); under the
latest answer, follow-up questions from bot.suggest are chips; "转人工 / Talk to a person" shows the
support contact and files the conversation in the staff unanswered view.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import gradio as gr

from bot.compose import support_contact
from bot.models import Answer
from bot.suggest import follow_ups
from bot.surfaces.api import ChatBot
from bot.surfaces.inputs import InputRejected, check_history, check_question, recent_history
from bot.surfaces.logbook import Logbook
from bot.surfaces.render import chat_markdown
from bot.surfaces.sanitize import safe_markdown
from bot.surfaces.settings import ServeSettings
from ingest.models import Catalog

EXAMPLE_QUESTIONS = [
    "升级服务包含哪些内容？",
    "系统太卡了，有什么服务可以帮忙？",
    "数据库转换服务包括工具授权吗？",
    "Does the data migration service include data cleansing?",
]

FAILURE_MESSAGE = "抱歉，系统暂时无法回答，请稍后再试。Sorry, something went wrong; please try again."
HAND_OFF_LABEL = "转人工 / Talk to a person"
HAND_OFF_NOTE_CLASS = "kb-handoff-note"
logger = logging.getLogger(__name__)

TITLE = "金蝶专项服务 · 智能问答 Service Catalog Assistant"
INTRO = (
    "根据《专项服务产品清单》回答服务范围问题，每个回答都注明出处。"
    " Answers come only from the service catalog, with the entry they cite. 具体权益以签署的合同为准。"
)

# After each answer, the chat shows the answer's start: a new question scrolls the chat to it, a new answer
# scrolls to the answer's first line and the view then stays while it streams and while its cards render.
# Inline (the served CSP allows inline scripts, not eval), no dependencies.
VIEW_SCRIPT = """<script>
(() => {
  // A new answer's first line goes to the top of the chat and stays there while the answer streams and its
  // cards render (SETTLE_MS), unless the customer scrolls meanwhile; a new question is scrolled into view.
  const SETTLE_MS = 4000;
  let users = 0, bots = 0, answer = null, since = 0;
  const stop = () => { answer = null; };
  ['wheel', 'touchstart', 'keydown'].forEach(type => addEventListener(type, stop, {passive: true}));
  function scroller(el) {
    for (let node = el.parentElement; node; node = node.parentElement) {
      if (/(auto|scroll)/.test(getComputedStyle(node).overflowY) && node.scrollHeight > node.clientHeight + 1) return node;
    }
    return null;
  }
  function show(el, atStart) {
    const box = scroller(el);
    if (box) {
      const offset = el.getBoundingClientRect().top - box.getBoundingClientRect().top;
      box.scrollTop += atStart ? offset - 8 : offset - box.clientHeight + el.offsetHeight + 8;
    }
    const top = el.getBoundingClientRect().top;
    if (atStart && (top < 0 || top > innerHeight - 48)) scrollBy(0, top - 8);
  }
  function check() {
    const chat = document.getElementById('kb-chat');
    if (!chat) return;
    const u = chat.querySelectorAll('.message.user'), b = chat.querySelectorAll('.message.bot');
    if (u.length > users) { show(u[u.length - 1], false); answer = null; }
    if (b.length > bots || (b.length && answer && !answer.isConnected)) { answer = b[b.length - 1]; since = Date.now(); }
    users = u.length; bots = b.length;
    if (answer && Date.now() - since < SETTLE_MS) show(b[b.length - 1], true); else answer = null;
  }
  new MutationObserver(check).observe(document.documentElement, {childList: true, subtree: true, characterData: true});
})();
</script>"""


class ChatHandlers:
    """The event functions, kept apart from the layout so the flow reads top to bottom."""

    def __init__(self, bot: ChatBot, settings: ServeSettings, logbook: Logbook | None,
                 catalog: Callable[[], Catalog] | None = None) -> None:
        self.bot = bot
        self.settings = settings
        self.logbook = logbook
        self.catalog = catalog  # the active edition, read at each answer, for follow-up questions

    def add_question(self, question: str, chat: list[dict[str, Any]], turns: list[dict[str, Any]]
                     ) -> tuple[str, list[dict[str, Any]], list[dict[str, Any]]]:
        try:
            question = check_question(question or "", self.settings)
        except InputRejected as rejected:
            raise gr.Error(f"{rejected.zh} {rejected.message}", duration=6) from None
        chat = [*chat, {"role": "user", "content": safe_markdown(question)}]
        turns = [*turns, {"role": "user", "content": question}]
        return "", chat, turns

    def add_example(self, chat: list[dict[str, Any]], turns: list[dict[str, Any]], data: gr.SelectData
                    ) -> tuple[str, list[dict[str, Any]], list[dict[str, Any]]]:
        return self.add_question(data.value["text"], chat, turns)

    def add_follow_up(self, chat: list[dict[str, Any]], turns: list[dict[str, Any]], data: gr.SelectData
                      ) -> tuple[str, list[dict[str, Any]], list[dict[str, Any]]]:
        """A follow-up chip: asked as if typed."""
        value = data.value.get("value") if isinstance(data.value, dict) else data.value
        return self.add_question(str(value or ""), chat, turns)

    def stream_answer(self, chat: list[dict[str, Any]], turns: list[dict[str, Any]], request: gr.Request
                      ) -> Iterator[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
        """Streams the answer; a failure still ends in one assistant message, so the displayed chat and
        `turns` stay aligned (feedback finds its question by position)."""
        question = turns[-1]["content"]
        chat = [*chat, {"role": "assistant", "content": ""}]
        streamed = ""
        final: Answer | None = None
        try:
            for event in self.bot.stream(question, self._history(turns[:-1])):
                if event.delta:
                    streamed += event.delta
                    chat[-1] = {"role": "assistant", "content": safe_markdown(streamed)}
                    yield chat, turns
                if event.final is not None:
                    final = event.final
        except Exception:
            logger.exception("the bot failed while answering in the chat")
        if final is None:
            chat[-1] = {"role": "assistant", "content": FAILURE_MESSAGE}
            yield chat, [*turns, {"role": "assistant", "content": FAILURE_MESSAGE, "exchange_id": None}]
            return
        chat[-1] = {"role": "assistant", "content": chat_markdown(final)}
        chips = self._follow_ups(question, final)
        if chips:
            chat[-1]["options"] = [{"value": chip, "label": chip} for chip in chips]
        exchange_id = self._record(question, final, "web", getattr(request, "session_hash", None) or "")
        turns = [*turns, {"role": "assistant", "content": final.answer, "exchange_id": exchange_id}]
        yield chat, turns

    def hand_off(self, chat: list[dict[str, Any]], turns: list[dict[str, Any]], request: gr.Request
                 ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Shows the support contact and files the conversation for staff (once per new question: pressing
        the button again without asking anything files nothing new)."""
        message = hand_off_message()
        asked = [t for t in turns if t["role"] == "user"]
        last_hand_off = max((n for n, t in enumerate(turns) if t.get("hand_off")), default=-1)
        if self.logbook is not None and asked and any(t["role"] == "user" for t in turns[last_hand_off + 1 :]):
            self.logbook.record_hand_off(asked[-1]["content"], message, surface="web",
                                         session=getattr(request, "session_hash", None) or "")
        # marked, so the page shows no 👍/👎 under it (CSS): feedback lands on an answer's log entry, and a
        # note has none
        note = f'<div class="{HAND_OFF_NOTE_CLASS}">\n\n{safe_markdown(message)}\n\n</div>'
        chat = [*chat, {"role": "assistant", "content": note}]
        turns = [*turns, {"role": "assistant", "content": message, "exchange_id": None, "hand_off": True}]
        return chat, turns

    def feedback(self, turns: list[dict[str, Any]], data: gr.LikeData) -> None:
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        if self.logbook is None or not isinstance(index, int) or not 0 <= index < len(turns):
            return
        exchange_id = turns[index].get("exchange_id")
        if exchange_id is not None and data.liked in (True, False):
            self.logbook.set_feedback(int(exchange_id), helpful=bool(data.liked))

    def api_chat(self, message: str, history: list[dict[str, str]] | None = None) -> dict[str, Any]:
        """For gradio_client: one answer with its citations, history as OpenAI-style turns."""
        turns = [{"role": t["role"], "content": str(t["content"])} for t in (history if isinstance(history, list) else [])
                 if isinstance(t, dict) and t.get("role") in ("user", "assistant") and "content" in t]
        try:
            question = check_question(message if isinstance(message, str) else "", self.settings)
            turns = check_history(turns, self.settings)
        except InputRejected as rejected:
            raise gr.Error(rejected.message) from None
        answer = self.bot.ask(question, turns)
        self._record(question, answer, "gradio-api", "")
        return answer.model_dump()

    def _history(self, turns: list[dict[str, Any]]) -> list[dict[str, str]]:
        """What the bot reads: the questions and answers, not the hand-off notes."""
        return recent_history([{"role": t["role"], "content": t["content"]} for t in turns if not t.get("hand_off")],
                              self.settings)

    def _follow_ups(self, question: str, answer: Answer) -> list[str]:
        if self.catalog is None:
            return []
        try:
            return follow_ups(question, answer, self.catalog())
        except Exception:  # noqa: BLE001 - chips are a convenience; the answer goes out without them
            logger.exception("no follow-up questions for this answer")
            return []

    def _record(self, question: str, answer: Answer, surface: str, session: str) -> int | None:
        if self.logbook is None:
            return None
        return self.logbook.record(question, answer, surface=surface, session=session)


def hand_off_message() -> str:
    """In both languages, as the button is: the support contact (KB_SUPPORT_CONTACT) and that staff see
    the conversation."""
    return (f"转人工：{support_contact('zh')}。这段对话已转给客服人员。\n"
            f"Talk to a person: {support_contact('en')}. Our support staff can see this conversation.")


def build_chat(bot: ChatBot, settings: ServeSettings, logbook: Logbook | None, *, compact: bool,
               catalog: Callable[[], Catalog] | None = None) -> gr.Blocks:
    """The customer page (`compact=False`) or the chat-only widget for iframes (`compact=True`)."""
    handlers = ChatHandlers(bot, settings, logbook, catalog)
    with gr.Blocks(title=TITLE, fill_height=compact, analytics_enabled=False) as page:
        if not compact:
            gr.Markdown(f"# {TITLE}\n{INTRO}", elem_classes=["kb-header"])
        turns = gr.State([])
        chatbot = gr.Chatbot(
            label="对话 Chat",
            show_label=False,
            elem_id="kb-chat",
            height="calc(100vh - 150px)" if compact else 520,
            scale=1,
            placeholder="**您好！Hello!** 请问有关专项服务的任何问题。Ask anything about our service products.",
            examples=[{"text": q} for q in EXAMPLE_QUESTIONS],
            feedback_options=("Like", "Dislike"),
            sanitize_html=True,
            render_markdown=True,
            buttons=["copy"],
            layout="bubble",
            autoscroll=False,  # VIEW_SCRIPT shows each answer's start instead of the chat's bottom
            group_consecutive_messages=False,  # the hand-off note is its own bubble, not part of the answer
        )
        question = gr.Textbox(
            show_label=False,
            placeholder="请输入您的问题… Type your question",
            elem_id="kb-question",
            max_lines=4,
            submit_btn="发送 Send",
            autofocus=not compact,
        )
        with gr.Row(elem_classes=["kb-actions"]):
            hand_off = gr.Button(HAND_OFF_LABEL, elem_id="kb-handoff", size="sm", variant="secondary", scale=0,
                                 min_width=200)

        def answer_chain(trigger: Any) -> None:
            trigger.success(handlers.stream_answer, [chatbot, turns], [chatbot, turns], api_visibility="private")

        answer_chain(question.submit(handlers.add_question, [question, chatbot, turns], [question, chatbot, turns],
                                     api_visibility="private"))
        answer_chain(chatbot.example_select(handlers.add_example, [chatbot, turns], [question, chatbot, turns],
                                            api_visibility="private"))
        answer_chain(chatbot.option_select(handlers.add_follow_up, [chatbot, turns], [question, chatbot, turns],
                                           api_visibility="private"))
        hand_off.click(handlers.hand_off, [chatbot, turns], [chatbot, turns], api_visibility="private")
        chatbot.like(handlers.feedback, [turns], None, api_visibility="private")
        chatbot.clear(lambda: [], None, turns, api_visibility="private")  # the chatbot's own trash button
        gr.api(handlers.api_chat, api_name="chat")
        if not compact:
            gr.Markdown(f"<small>找不到答案？Can't find it? {safe_markdown(support_contact('zh'))}</small>",
                        elem_classes=["kb-footer"])
    page.queue(max_size=64, default_concurrency_limit=4)
    return page
