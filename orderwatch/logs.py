"""Logging: readable lines in a terminal, JSON in production, and in both

* tracebacks as plain text without local variables (in JSON under ``exception``), never the
  values a frame held (a traceback with locals once printed a bearer token 34 times);
* every record, ours (structlog) and every library's (stdlib ``logging``), through
  ``orderwatch.redact`` before it is written;
* formatting and writing in a thread of their own: the caller only puts the record on a queue.
  A request that fails on the event loop must not hold every other request while its
  traceback is formatted and written (``/healthz`` once waited 6 s behind a 500).
"""

from __future__ import annotations

import atexit
import logging
import queue
import sys
import threading
from collections.abc import Iterable
from logging.handlers import QueueHandler, QueueListener
from typing import TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from orderwatch.redact import Redactor
from orderwatch.settings import Settings

_state = threading.Lock()
_listener: QueueListener | None = None
_handler: logging.Handler | None = None


class _Enqueue(QueueHandler):
    """Puts the record on the queue as it is: the stdlib ``QueueHandler`` formats it first, in
    the caller's thread, which is the work this handler exists to move away."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        return record


class _StandardError(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to standard error as it is when a record is written, not when logging was set
    up: whoever replaced ``sys.stderr`` since (a test capturing it, then closing its capture)
    is written to, never a stream that has gone."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def configure_logging(
    settings: Settings, *, stream: TextIO | None = None, secrets: Iterable[str] = ()
) -> None:
    """Route structlog and stdlib logging through one redacting formatter to ``stream``
    (standard error by default); ``secrets`` are values to remove wherever they appear besides
    the configured secret key (a development key made up at start). Calling it again replaces
    the previous set-up."""
    redactor = Redactor([*_known_secrets(settings), *secrets])
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,  # plain text, no locals
            _redacting(redactor),
            _renderer(settings),
        ],
    )
    output = logging.StreamHandler(stream) if stream is not None else _StandardError()
    output.setFormatter(formatter)
    records: queue.Queue[logging.LogRecord] = queue.Queue()
    _install(_Enqueue(records), QueueListener(records, output, respect_handler_level=True))
    logging.getLogger("alembic").setLevel(logging.WARNING)  # one line per migration is noise
    structlog.configure(
        processors=[
            *_shared(),
            _capture_exception,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        cache_logger_on_first_use=True,
    )


def flush_logs() -> None:
    """Wait until every record logged so far has been written (before a process exits, or a
    test reads what was logged)."""
    listener = _listener
    if listener is not None:
        records = listener.queue
        assert isinstance(records, queue.Queue)
        records.join()


def logging_configured() -> bool:
    return _listener is not None


def reset_logging() -> None:
    """Undo ``configure_logging``: structlog's defaults and no handler of ours."""
    global _listener, _handler
    with _state:
        if _handler is not None:
            logging.getLogger().removeHandler(_handler)
        if _listener is not None:
            _listener.stop()
        _listener = _handler = None
    structlog.reset_defaults()


def _install(handler: logging.Handler, listener: QueueListener) -> None:
    global _listener, _handler
    with _state:
        root = logging.getLogger()
        if _handler is not None:
            root.removeHandler(_handler)  # only ours: a test's capture handler stays
        if _listener is not None:
            _listener.stop()  # writes what is still queued
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        listener.start()
        _listener, _handler = listener, handler


def _stop() -> None:
    with _state:
        if _listener is not None:
            _listener.stop()


atexit.register(_stop)  # runs before logging's own shutdown, so nothing queued is lost


def _shared() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def _capture_exception(_logger: WrappedLogger, _name: str, event: EventDict) -> EventDict:
    # ``exc_info=True`` means "the exception being handled", which only the logging thread
    # knows: resolve it here, before the record crosses to the writer's thread.
    if event.get("exc_info") is True:
        event["exc_info"] = sys.exc_info()
    return event


def _redacting(redactor: Redactor) -> Processor:
    def redact(_logger: WrappedLogger, _name: str, event: EventDict) -> EventDict:
        return redactor.mapping(event)

    return redact


def _renderer(settings: Settings) -> Processor:
    if settings.log_format == "json":
        return structlog.processors.JSONRenderer(ensure_ascii=False)
    return structlog.dev.ConsoleRenderer(colors=False)


def _known_secrets(settings: Settings) -> list[str]:
    key = settings.secret_key
    return [key.get_secret_value()] if key is not None else []
