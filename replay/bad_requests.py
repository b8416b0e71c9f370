"""One line, no traceback, for each request a client got wrong.

aiohttp logs every request it cannot parse (garbage bytes, a header line over its
limit, a lying ``Content-Length``, a broken chunked body, a client gone mid-body) with a
full traceback on ``aiohttp.server``, and the exception's text quotes the request's
bytes, which may hold a secret. That is the client's fault, not the server's: this
filter turns such a record into one line naming the kind of error only. Anything else
(a real bug) keeps its traceback.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp.http_exceptions import HttpProcessingError

SERVER_LOGGER = "aiohttp.server"
CLIENT_FAULTS = (HttpProcessingError, ConnectionError, asyncio.IncompleteReadError)


class BadRequestLog(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, CLIENT_FAULTS):
            status = getattr(exc, "code", None)
            answered = f"answered {status}" if isinstance(status, int) and status else "connection closed"
            record.msg = "tillroll replay: a malformed request (%s), %s"
            record.args = (type(exc).__name__, answered)
            record.exc_info = record.exc_text = None
        return True

    @classmethod
    def install(cls) -> None:
        logger = logging.getLogger(SERVER_LOGGER)
        if not any(isinstance(f, cls) for f in logger.filters):
            logger.addFilter(cls())
