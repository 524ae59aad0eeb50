"""Counts every call the Slack Web API clients make, and every 429, for `/metrics`.

slack_sdk asks each retry handler about every response (and every connection error) before it
decides to retry, so one handler that only counts and never retries sees every attempt, the
429s that the rate-limit handler then waits out included.
"""

from __future__ import annotations

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bots.operations.metrics import count_platform_call


class CountedCalls(AsyncRetryHandler):
    """Put it first in a client's `retry_handlers`: it counts, then lets the others decide."""

    def __init__(self) -> None:
        super().__init__(max_retry_count=2**31)

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        method = api_method(request.url)
        if error is not None:
            count_platform_call("slack", method, None, error=True)
        elif response is not None:
            count_platform_call("slack", method, response.status_code)
        return False


def api_method(url: str) -> str:
    """`https://slack.com/api/chat.postMessage?x=1` -> `chat.postMessage` (a response_url: `response_url`)."""
    path = url.split("?", 1)[0].rstrip("/")
    if "/api/" not in path:
        return "response_url"
    return path.rsplit("/", 1)[-1][:60] or "unknown"
