"""The playground's web application (Starlette): one page and a small JSON API.

    GET  /                        the page (static HTML, CSS and JavaScript; no network)
    GET  /api/exercises           the exercises: id, title, topic
    GET  /api/exercises/{id}      one exercise: statement, givens, goal (HTML with MathML),
                                  allowed theorems, hints, a starting text
    POST /api/check               {"text": "...", "seed": null} -> per-line verdicts
    GET  /api/health              the worker pool's state and counters

See docs/playground.md for the API's fields and its limits.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from checker.diagnostics import make
from checker.serve.pool import Busy, Pool, PoolSettings
from checker.syntax.parse import MAX_FILE_BYTES

STATIC = Path(__file__).resolve().parent / "static"
# a JSON body may escape every character of a text of MAX_FILE_BYTES (\u0000 is 6 bytes)
MAX_BODY_BYTES = 6 * MAX_FILE_BYTES + 4096
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                               "style-src 'self'; script-src 'self'; connect-src 'self'; "
                               "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


@dataclass(frozen=True)
class ServeConfig:
    pool: PoolSettings
    exercises: Path | None = None
    allowed_hosts: tuple[str, ...] | None = None  # Host headers accepted (None: any)


def _error(status: int, code: str, **fields: Any) -> JSONResponse:
    d = make(code, **fields)
    return JSONResponse({"error": {"code": d.code, "message": d.message}}, status_code=status,
                        headers=SECURITY_HEADERS)


class _Catalog:
    """The exercises (loaded once) and their JSON forms (rendered once each)."""

    def __init__(self, root: Path | None) -> None:
        from checker.exercises import load_catalog

        self.catalog = load_catalog(root)
        self.rendered: dict[str, dict[str, Any]] = {}

    def listing(self) -> dict[str, Any]:
        items = sorted(self.catalog.exercises.values(), key=lambda e: (e.topic, e.id))
        return {"exercises": [{"id": e.id, "title": e.title, "topic": e.topic} for e in items],
                "diagnostics": [d.to_json() for d in self.catalog.diagnostics]}

    def detail(self, exercise_id: str) -> dict[str, Any] | None:
        ex = self.catalog.exercises.get(exercise_id)
        if ex is None:
            return None
        if exercise_id not in self.rendered:
            self.rendered[exercise_id] = _exercise_json(ex)
        return self.rendered[exercise_id]


def _exercise_json(ex: Any) -> dict[str, Any]:
    from checker.library.theorems import default_library
    from checker.serve.mathml import formula_html, statement_html

    texts = ex.texts
    givens = [str(g) for g in texts.get("givens", [])]
    definitions = [str(d) for d in texts.get("definitions", [])]
    goal = str(texts.get("goal", ""))
    lib = default_library()
    allowed = None
    if ex.allowed is not None:
        allowed = []
        for name in ex.allowed:
            thm = lib.get(name)
            allowed.append({"name": name, "statement": thm.statement if thm else "",
                            "html": formula_html(thm.statement) if thm else ""})
    hints = [h.text for h in ex.hints] + [m.hint for m in ex.milestones if m.hint]
    starter = [f"exercise {ex.id}"]
    if givens:
        starter.append("given " + ", ".join(givens))
    starter += [f"let {d}" for d in definitions]
    starter.append(f"# your proof: show {goal} ... qed")
    return {
        "id": ex.id, "title": ex.title, "topic": ex.topic,
        "statement_html": statement_html(ex.render(None)),
        "givens": [{"text": g, "html": formula_html(g)} for g in givens],
        "definitions": [{"text": d, "html": formula_html(d)}
                        for d in definitions],
        "goal": {"text": goal, "html": formula_html(goal)},
        "parameters": {n: str(v) for n, v in ex.variant(None).items()},
        "allowed": allowed,
        "milestones": [{"text": m.text, "html": formula_html(m.text)} for m in ex.milestones],
        "required": [list(r.theorems) for r in ex.required],
        "hints": hints,
        "max_score": ex.max_points,
        "starter": "\n".join(starter) + "\n",
    }


def create_app(config: ServeConfig) -> Starlette:
    """The application; its lifespan starts and stops the worker pool."""
    pool = Pool(config.pool)
    catalog = _Catalog(config.exercises)

    async def index(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", headers=SECURITY_HEADERS)

    async def exercises(request: Request) -> Response:
        return JSONResponse(catalog.listing(), headers=SECURITY_HEADERS)

    async def exercise(request: Request) -> Response:
        name = str(request.path_params["id"])
        found = catalog.detail(name) if len(name) <= 200 else None
        if found is None:
            from checker.diagnostics import did_you_mean

            return _error(404, "unknown-exercise", name=name[:200],
                          suggestion=did_you_mean(name[:200], list(catalog.catalog.exercises)))
        return JSONResponse(found, headers=SECURITY_HEADERS)

    async def health(request: Request) -> Response:
        return JSONResponse(pool.health(), headers=SECURITY_HEADERS)

    async def check(request: Request) -> Response:
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/json":  # also keeps other web sites' plain forms out
            return _error(415, "bad-request", detail="send the text as application/json")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                return _error(413, "file-too-large", size=f"more than {MAX_BODY_BYTES}",
                              limit=MAX_FILE_BYTES)
        try:
            doc = json.loads(body.decode("utf-8"))
        except (ValueError, RecursionError):
            return _error(400, "bad-request", detail="the body is not JSON")
        if not isinstance(doc, dict) or not isinstance(doc.get("text"), str):
            return _error(400, "bad-request", detail='the body needs "text": a string')
        text: str = doc["text"]
        seed = doc.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)
                                 or not 0 <= seed < 2 ** 63):
            return _error(400, "bad-request", detail='"seed" is an integer from 0 to 2^63 - 1')
        try:
            size = len(text.encode("utf-8"))
        except UnicodeEncodeError:  # lone surrogates from \ud800 escapes
            return _error(400, "not-text", detail="the text has unpaired surrogates")
        if size > MAX_FILE_BYTES:
            return _error(413, "file-too-large", size=size, limit=MAX_FILE_BYTES)
        wanted = request.headers.get("x-client-id", "")
        client = wanted if CLIENT_ID.match(wanted) else (
            request.client.host if request.client else "anonymous")
        try:
            result = await pool.check(client, text, seed)
        except Busy as exc:
            return _error(503, "server-busy", detail=str(exc))
        return JSONResponse(result, headers=SECURITY_HEADERS)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await pool.start()
        try:
            yield
        finally:
            await pool.close()

    middleware = []
    if config.allowed_hosts is not None:  # DNS rebinding: only our own names reach the API
        middleware.append(Middleware(TrustedHostMiddleware,
                                     allowed_hosts=list(config.allowed_hosts)))
    app = Starlette(routes=[
        Route("/", index),
        Route("/api/exercises", exercises),
        Route("/api/exercises/{id:path}", exercise),
        Route("/api/check", check, methods=["POST"]),
        Route("/api/health", health),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ], middleware=middleware, lifespan=lifespan)
    app.state.pool = pool
    return app
