"""The ``orderwatch`` command line. Errors print one line and exit non-zero.

Each area keeps its commands in ``orderwatch/commands/<area>.py`` with a ``register(app)``
function; this module only puts them together and turns failures into one line.
"""

from __future__ import annotations

import sys
from typing import NoReturn

import structlog
import typer
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError

from orderwatch.commands import (
    alerts,
    channels,
    history,
    ingest,
    keys,
    metrics,
    orders,
    people,
    rules,
    store,
    warehouse,
)
from orderwatch.logs import configure_logging, flush_logs, logging_configured
from orderwatch.settings import MissingSecretError, Settings, get_settings
from store.errors import DomainError

log = structlog.get_logger(__name__)
app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
for area in (
    store, people, orders, channels, keys, ingest, warehouse, metrics, history, rules, alerts
):  # fmt: skip
    area.register(app)


def main() -> NoReturn:
    """Entry point: runs the app and turns every expected failure into one line on stderr."""
    try:
        result = app(standalone_mode=False)
    except typer.Abort:
        _fail("aborted", 130)
    except typer.TyperException as exc:  # usage errors: unknown command, bad option, ...
        _fail(exc.format_message(), exc.exit_code)
    except DomainError as exc:
        _fail(exc.message, 1)
    except MissingSecretError as exc:
        _fail(str(exc), 1)
    except ValidationError as exc:
        _fail(f"invalid settings: {_first_error(exc)}", 2)
    except OperationalError as exc:
        _fail(f"cannot use the database: {str(exc.orig).strip().splitlines()[0]}", 1)
    except Exception as exc:  # a bug: its traceback goes to the (redacted) log, one line here
        _crashed(exc)
    finally:
        flush_logs()
    sys.exit(result if isinstance(result, int) else 0)


def _crashed(exc: Exception) -> NoReturn:
    if not logging_configured():
        try:
            settings = get_settings()
        except ValidationError:
            settings = Settings.model_construct()
        configure_logging(settings)
    log.error("cli.crashed", command=sys.argv[1:2], error=type(exc).__name__, exc_info=exc)
    flush_logs()  # the traceback before the line that points at it
    _fail(f"orderwatch failed unexpectedly ({type(exc).__name__}); see the logged traceback", 1)


def _first_error(exc: ValidationError) -> str:
    error = exc.errors(include_url=False)[0]
    return (
        f"ORDERWATCH_{str(error['loc'][0]).upper()}: {error['msg'].removeprefix('Value error, ')}"
    )


def _fail(message: str, code: int) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    sys.exit(code)
