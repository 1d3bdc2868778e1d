"""HTTP plumbing shared by every REST route of the loopback Discord.

- :func:`json_response` — ``Content-Type: application/json`` exactly (aiohttp's
  ``json_response`` adds a charset and discord.py then treats the body as text).
- :func:`read_body` — a JSON body, or multipart with ``payload_json`` plus ``files[n]``.
- :class:`Faults` — injected failures: the next N requests to a route answer 429 (with the
  ``Via`` header, JSON ``retry_after`` and ``X-RateLimit-*`` headers discord.py needs to retry)
  or 500.
- :func:`make_middleware` — checks the bot token, applies faults, logs every request in
  ``server.requests``, turns :class:`DiscordError` into Discord's JSON error and records
  refused writes as violations.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.support.discord_loopback.errors import DiscordError, Violation

API_PREFIX = "/api/v10"
#: Routes authenticated by the token in their URL, not by ``Authorization: Bot ...``.
TOKEN_IN_URL_PREFIXES = ("/interactions/", "/webhooks/")
#: What every successful answer says about rate limits: plenty left, so nothing waits.
RATE_LIMIT_LIMIT = 50


def json_response(
    data: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def no_content() -> web.Response:
    return web.Response(status=204)


@dataclass(frozen=True)
class Upload:
    """A file sent as ``files[n]`` in a multipart request."""

    field_name: str
    filename: str
    content_type: str | None
    data: bytes


#: The body :func:`read_body` parsed, by ``id(request)`` until the middleware records the
#: exchange (string keys on the request warn, and ``web.RequestKey`` needs aiohttp 3.14).
_parsed_bodies: dict[int, Any] = {}


async def read_body(request: web.Request) -> tuple[dict[str, Any], list[Upload]]:
    body, uploads = await _parse_body(request)
    _parsed_bodies[id(request)] = body
    return body, uploads


async def _parse_body(request: web.Request) -> tuple[dict[str, Any], list[Upload]]:
    if request.content_type.startswith("multipart/"):
        form = await request.post()
        raw = form.get("payload_json")
        body = json.loads(raw) if isinstance(raw, str) else {}
        uploads: list[Upload] = []
        for name, value in form.items():
            if isinstance(value, web.FileField):
                uploads.append(Upload(name, value.filename, value.content_type, value.file.read()))
        return body, uploads
    if not request.can_read_body:
        return {}, []
    text = await request.text()
    return (json.loads(text) if text else {}), []


@dataclass
class Fault:
    method: str
    route: str
    status: int
    remaining: int
    retry_after: float = 0.0
    is_global: bool = False


@dataclass(frozen=True)
class RequestRecord:
    """A request the fake answered; ``route`` is a template: ``/channels/{channel_id}/messages``.

    The exchange itself is kept too — the query, the JSON body the bot sent (``payload_json`` of
    a multipart request) and the JSON the fake answered (``None`` when there was none) — so that
    :mod:`shapes` can hold each answer against the shape Discord documents for it.
    """

    method: str
    route: str
    path: str
    status: int
    injected: bool = False
    query: dict[str, str] = field(default_factory=dict, compare=False)
    request_body: Any = field(default=None, compare=False)
    response_body: Any = field(default=None, compare=False)


@dataclass
class Faults:
    pending: list[Fault] = field(default_factory=list)

    def add(self, fault: Fault) -> None:
        self.pending.append(fault)

    def take(self, method: str, route: str) -> Fault | None:
        for fault in self.pending:
            if fault.method == method and fault.route == route:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.pending.remove(fault)
                return fault
        return None


def _rate_limit_headers(route: str, *, remaining: int, reset_after: float) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(RATE_LIMIT_LIMIT),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
        "X-RateLimit-Reset-After": f"{reset_after:.3f}",
        "X-RateLimit-Bucket": f"loopback-{abs(hash(route)) % 10**8:08d}",
    }


def fault_response(fault: Fault, route: str) -> web.Response:
    if fault.status == 429:
        headers = {
            # Without Via discord.py assumes a Cloudflare ban and raises at once.
            "Via": "1.1 google",
            "Retry-After": str(math.ceil(fault.retry_after)),
            "X-RateLimit-Scope": "global" if fault.is_global else "user",
            **_rate_limit_headers(route, remaining=0, reset_after=fault.retry_after),
        }
        if fault.is_global:
            headers["X-RateLimit-Global"] = "true"
        body = {
            "message": "You are being rate limited.",
            "retry_after": fault.retry_after,
            "global": fault.is_global,
            "code": 0,
        }
        return json_response(body, status=429, headers=headers)
    return json_response({"message": "500: Internal Server Error", "code": 0}, status=fault.status)


def _json_body(response: web.StreamResponse) -> Any:
    if not isinstance(response, web.Response) or response.content_type != "application/json":
        return None
    body = response.body
    return json.loads(body) if isinstance(body, bytes) and body else None


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def make_middleware(
    *,
    token: str,
    faults: Faults,
    requests: list[RequestRecord],
    violations: list[Violation],
    on_change: Callable[[], None],
) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        resource = request.match_info.route.resource
        canonical = resource.canonical if resource is not None else request.path
        route = canonical.removeprefix(API_PREFIX)
        if not request.path.startswith(API_PREFIX):
            return await handler(request)

        def log(response: web.StreamResponse, *, injected: bool = False) -> None:
            requests.append(
                RequestRecord(
                    request.method,
                    route,
                    request.path,
                    response.status,
                    injected,
                    query=dict(request.query),
                    request_body=_parsed_bodies.pop(id(request), None),
                    response_body=_json_body(response),
                )
            )
            on_change()

        fault = faults.take(request.method, route)
        if fault is not None:
            answer = fault_response(fault, route)
            log(answer, injected=True)
            return answer
        needs_bot_token = not route.startswith(TOKEN_IN_URL_PREFIXES)
        try:
            if needs_bot_token and request.headers.get("Authorization") != f"Bot {token}":
                raise DiscordError(401, 0, "401: Unauthorized")
            response = await handler(request)
        except DiscordError as error:
            if error.violation and request.method != "GET":
                violations.append(
                    Violation(
                        method=request.method,
                        route=route,
                        path=request.path,
                        status=error.status,
                        code=error.code,
                        message=error.message,
                        problems=tuple(error.problems),
                    )
                )
            answer = json_response(error.body(), status=error.status)
            log(answer)
            return answer
        response.headers.update(
            _rate_limit_headers(route, remaining=RATE_LIMIT_LIMIT - 1, reset_after=1.0)
        )
        log(response)
        return response

    return middleware
