"""OpenAI-compatible chat API, so any OpenAI client or SDK can talk to the catalog bot.

The last user message is the question, earlier user/assistant messages are the history, system
messages are ignored: a client cannot re-instruct the bot. Errors use OpenAI's error envelope.
"""
from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator
from functools import partial
from typing import Any, Literal, Protocol

import anyio.to_thread
from anyio import CapacityLimiter
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sse_starlette.sse import EventSourceResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.models import Answer, StreamEvent
from bot.surfaces.inputs import InputRejected, check_history, check_question
from bot.surfaces.logbook import Logbook
from bot.surfaces.settings import ServeSettings
from kb.errors import ChromaUnavailable, DiskFull, EmptyKnowledgeBase, KBError, StoreCorrupt

MODEL_NAME = "kbbot"
logger = logging.getLogger(__name__)


class ChatBot(Protocol):
    def ask(self, question: str, history: list[dict[str, str]] | None = None) -> Answer: ...
    def stream(self, question: str, history: list[dict[str, str]] | None = None) -> Iterator[StreamEvent]: ...


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(part.text or "" for part in self.content if part.type == "text")
        return self.content or ""


class ChatCompletionRequest(BaseModel):
    """The fields we use; anything else OpenAI clients send (temperature, user, …) is accepted and ignored."""

    model_config = ConfigDict(extra="ignore")
    model: str = MODEL_NAME
    messages: list[ChatMessage]
    stream: bool = False


class ApiError(Exception):
    def __init__(self, status: int, message: str, param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.param, self.code = status, message, param, code


def error_body(message: str, error_type: str = "invalid_request_error", param: str | None = None,
               code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": error_type, "param": param, "code": code}}


def split_conversation(messages: list[ChatMessage], settings: ServeSettings) -> tuple[str, list[dict[str, str]]]:
    """(question, history the bot is to see) from OpenAI messages, or an ApiError a client can act on."""
    if not messages:
        raise ApiError(400, "messages must contain at least one user message with the question.", "messages")
    last = messages[-1]
    if last.role != "user":
        raise ApiError(400, "The last message must be a user message: it is the question.", "messages")
    history = [
        {"role": m.role, "content": m.text()}
        for m in messages[:-1]
        if m.role in ("user", "assistant") and m.text().strip()
    ]
    try:
        return check_question(last.text(), settings), check_history(history, settings)
    except InputRejected as rejected:
        raise ApiError(400, rejected.message, "messages", rejected.code) from None


def citations_payload(answer: Answer) -> list[dict[str, Any]]:
    return [c.model_dump(include={"product", "category", "page", "quote"}) for c in answer.citations]


def completion_body(answer: Answer, completion_id: str, created: int) -> dict[str, Any]:
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": MODEL_NAME,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.answer}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        "citations": citations_payload(answer),
        "abstained": answer.abstained,
        "verdict": answer.verdict,
        "catalog_version": answer.catalog_version,
    }


def _chunk(completion_id: str, created: int, delta: dict[str, str], finish_reason: str | None = None,
           **extra: Any) -> str:
    body = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": MODEL_NAME,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        **extra,
    }
    return json.dumps(body, ensure_ascii=False)


def build_router(bot: ChatBot, settings: ServeSettings, logbook: Logbook | None, catalog_info: Any) -> APIRouter:
    router = APIRouter()
    answer_slots = CapacityLimiter(settings.answer_workers)

    def check_store() -> dict[str, Any] | None:
        """The store's own check (KBError when it cannot answer), None for a bot whose KB has none."""
        check = getattr(getattr(bot, "kb", None), "check_store", None)
        return check() if check is not None else None

    def answer_and_log(question: str, history: list[dict[str, str]], session: str) -> Answer:
        answer = bot.ask(question, history)
        if logbook is not None:
            logbook.record(question, answer, surface="api", session=session)
        return answer

    @router.get("/healthz", response_model=None)
    def healthz() -> dict[str, Any] | JSONResponse:
        """200 only when the catalog loads and the store answers a real, cheap query (a count of the serving
        collection), so a load balancer stops sending questions that would fail; else 503 naming the problem."""
        try:
            info = catalog_info()
            store = check_store()
        except KBError as exc:
            logger.error("health check: the knowledge base failed: %s", exc)
            return JSONResponse({"status": "unavailable", "store": store_problem(exc)}, status_code=503,
                                headers={"Retry-After": str(STORE_RETRY_AFTER_SECONDS)})
        return {"status": "ok", **info, **({"store": store} if store is not None else {})}

    @router.get("/v1/models")
    def list_models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": MODEL_NAME, "object": "model", "created": 0, "owned_by": "kbbot"}]}

    @router.post("/v1/chat/completions")
    async def chat_completions(body: ChatCompletionRequest, request: Request) -> Any:
        question, history = split_conversation(body.messages, settings)
        completion_id = f"chatcmpl-{uuid.uuid4().hex}"
        created = int(time.time())
        session = request.client.host if request.client else ""
        if body.stream:
            # Once the stream starts its status is sent: a store that is down is a 503 now, as unstreamed.
            await anyio.to_thread.run_sync(check_store)
            return EventSourceResponse(
                _stream_events(bot, question, history, completion_id, created, logbook, session),
                ping=15,
            )
        answer = await anyio.to_thread.run_sync(partial(answer_and_log, question, history, session),
                                                limiter=answer_slots)
        return completion_body(answer, completion_id, created)

    return router


def _stream_events(bot: ChatBot, question: str, history: list[dict[str, str]], completion_id: str, created: int,
                   logbook: Logbook | None, session: str) -> Iterator[str]:
    """OpenAI chunk stream: role, text deltas, then a final chunk carrying the citations, then [DONE].

    Headers are already sent when the bot fails mid-answer, so the failure travels as an OpenAI error
    event (which OpenAI clients raise), still followed by [DONE], instead of a silently truncated answer."""
    yield _chunk(completion_id, created, {"role": "assistant", "content": ""})
    final: Answer | None = None
    try:
        for event in bot.stream(question, history):
            if event.delta:
                yield _chunk(completion_id, created, {"content": event.delta})
            if event.final is not None:
                final = event.final
    except Exception:
        logger.exception("the bot failed while streaming an answer")
    if final is None:
        yield json.dumps(error_body("The server could not finish this answer.", "server_error"))
        yield "[DONE]"
        return
    if logbook is not None:
        logbook.record(question, final, surface="api", session=session)
    yield _chunk(completion_id, created, {}, "stop", citations=citations_payload(final), abstained=final.abstained,
                 verdict=final.verdict, catalog_version=final.catalog_version)
    yield "[DONE]"


# A store that is down, being rebuilt or broken: clients are asked to come back, the server reconnects then.
STORE_RETRY_AFTER_SECONDS = 5


def store_problem(exc: KBError) -> str:
    """What a client may know: no server paths, URLs or hints (those go to the server log)."""
    for kind, text in ((ChromaUnavailable, "the Chroma server is unreachable"),
                       (DiskFull, "the knowledge base's disk is full"),
                       (EmptyKnowledgeBase, "no catalog has been ingested"),
                       (StoreCorrupt, "the knowledge base's store cannot be read")):
        if isinstance(exc, kind):
            return text
    return "the knowledge base is unavailable"


def install_error_handlers(app: FastAPI) -> None:
    """Every API failure answers in OpenAI's error envelope; nothing leaks a traceback."""

    @app.exception_handler(KBError)
    async def store_error(_: Request, exc: KBError) -> JSONResponse:
        logger.error("the knowledge base failed: %s", exc)
        return JSONResponse(error_body(f"The service is unavailable: {store_problem(exc)}. Please retry shortly.",
                                       "server_error", code="store_unavailable"),
                            status_code=503, headers={"Retry-After": str(STORE_RETRY_AFTER_SECONDS)})

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(error_body(exc.message, param=exc.param, code=exc.code), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err.get('loc', ()) if p != 'body') or 'body'}: {err.get('msg', 'invalid')}"
            for err in exc.errors()[:5]
        )
        return JSONResponse(error_body(f"Invalid request: {problems}"), status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        error_type = "invalid_request_error" if exc.status_code < 500 else "server_error"
        return JSONResponse(error_body(str(exc.detail), error_type), status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def unexpected_error(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(error_body("The server could not answer this request.", "server_error"), status_code=500)
