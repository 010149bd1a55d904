"""The Bot API's HTTP connection for sends: python-telegram-bot's BaseRequest on aiohttp instead of httpx.

Every message the bot sends is one POST. Through PTB's default HTTPXRequest one costs about 2 ms of CPU on this
machine (httpcore's pool looks at every kept connection and asks anyio whether it is readable, per request);
through aiohttp about 0.45 ms (its HTTP parser is C). At a broadcast of 300 a second that was most of one core
(bench/broadcast.py). PTB documents BaseRequest as the place for another HTTP library; what is PTB's stays PTB's:
it builds the request (`RequestData`) and reads the answer (status and body, errors and RetryAfter). Here is
only the transport, with PTB's default timeouts and its two errors for what went wrong on the way: `TimedOut`
and `NetworkError`, which the channel retries (bot/channels/telegram.py).

getUpdates goes through it too, on a pool of one connection: PTB's HTTPXRequest cost a start 0.1 s more (its own
TLS context and certificates; aiohttp has made its own at import), and the long poll's wait is PTB's read timeout
plus the poll's, which PTB passes to do_request.
"""

from __future__ import annotations

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 5.0
"""PTB's HTTPXRequest defaults: seconds to connect, and to wait for each part of the answer."""
MEDIA_READ_TIMEOUT = 20.0
"""A file's upload and its answer: PTB's media write timeout (aiohttp has no write timeout of its own)."""
POOL_SIZE = 64
"""Connections kept to the Bot API: more than the sends on their way (SEND_CONCURRENCY) and a turn's answers."""


class AiohttpBotRequest(BaseRequest):
    """One aiohttp session, opened by `initialize` (PTB calls it when the Application starts), closed by
    `shutdown`."""

    def __init__(self, pool_size: int = POOL_SIZE) -> None:
        self._pool_size = pool_size
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return READ_TIMEOUT

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=self._pool_size))

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """PTB's request on the wire; a timeout is `TimedOut`, any other failure of the connection `NetworkError`."""
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpBotRequest is not initialized")
        files = request_data is not None and request_data.contains_files
        timeout = aiohttp.ClientTimeout(
            total=None,
            sock_connect=_seconds(connect_timeout, CONNECT_TIMEOUT),
            sock_read=_seconds(read_timeout, MEDIA_READ_TIMEOUT if files else READ_TIMEOUT),
        )
        try:
            async with self._session.request(
                method, url, data=_body(request_data), headers={"User-Agent": self.USER_AGENT}, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error


def _seconds(given: object, default: float) -> float | None:
    """A timeout PTB passed through (None: wait as long as it takes), else ours."""
    if isinstance(given, int | float) or given is None:
        return given
    return default


def _body(request_data: RequestData | None) -> aiohttp.FormData | dict[str, str] | None:
    """The parameters as a form, as PTB's own request sends them; multipart when there are files."""
    if request_data is None:
        return None
    fields = request_data.json_parameters
    if not request_data.contains_files:
        return fields
    form = aiohttp.FormData(fields)
    for name, (filename, content, mime_type) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mime_type)
    return form
