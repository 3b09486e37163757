"""History import: orders and their stage timestamps from another system's CSV export.

A TOML mapping (SPEC §5) names the file's columns. The file is read as a stream (constant
memory; UTF-8 or GBK; gzip detected by its magic bytes) in batches; each batch is one
transaction through the batch upsert plus one set-based write of the stage times, so a row is
imported whole or not at all. Rows that cannot be read go to an error report with their line
numbers and never stop the rest; stage times that go backwards are imported as given and
flagged. Importing the same file again changes nothing.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import tomllib
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, insert, select
from sqlalchemy.orm import Session

from store.canonical import CanonicalOrder
from store.channels import create_channel
from store.errors import DomainError, InvalidInput
from store.history import set_stage_times
from store.models import Channel
from store.stages import FLOW, Stage, parse_stage
from store.timebounds import check_moment
from store.upsert import upsert_orders

TIME_FIELDS = (
    "created_at",
    "paid_at",
    "pending_review_at",
    "awaiting_pick_at",
    "first_picked_at",
    "picked_at",
    "packed_at",
    "shipped_at",
    "delivered_at",
    "cancelled_at",
    "ship_by",
)
FIELDS = ("channel_order_id", "status", "amount", "payment_method", "warehouse", *TIME_FIELDS)
STAGE_TIMES = tuple(f for f in TIME_FIELDS if f not in ("created_at", "ship_by"))
# The order in which an order's times must come; later ones before earlier ones are flagged.
CHAIN = ("paid_at", "awaiting_pick_at", "first_picked_at", "picked_at", "packed_at",
         "shipped_at", "delivered_at")  # fmt: skip
ENCODINGS = {"utf-8": "utf-8-sig", "utf8": "utf-8-sig", "gbk": "gb18030", "gb18030": "gb18030"}
"""Names a mapping may use → the codec read with (BOM-tolerant UTF-8; GB18030 ⊃ GBK)."""
TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M",
                "%Y-%m-%d", "%Y/%m/%d")  # fmt: skip


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel: str
    timezone: str = "Asia/Shanghai"
    encoding: str = "utf-8"

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("encoding")
    @classmethod
    def _encoding(cls, value: str) -> str:
        if value.lower() not in ENCODINGS:
            raise ValueError(f"unsupported encoding {value!r}; use utf-8 or gbk")
        return value.lower()


class Mapping(BaseModel):
    """The parsed mapping file."""

    model_config = ConfigDict(extra="forbid")

    source: Source
    columns: dict[str, str]
    status_map: dict[str, str] = {}

    @field_validator("columns")
    @classmethod
    def _columns(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(FIELDS))
        if unknown:
            raise ValueError(f"unknown field(s) {', '.join(unknown)}; known: {', '.join(FIELDS)}")
        if "channel_order_id" not in value:
            raise ValueError("channel_order_id is required")
        return value

    @field_validator("status_map")
    @classmethod
    def _statuses(cls, value: dict[str, str]) -> dict[str, str]:
        for status, stage in value.items():
            try:
                parse_stage(stage)
            except InvalidInput as exc:
                raise ValueError(f"{status!r}: {exc.message}") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.source.timezone)


def load_mapping(path: Path) -> Mapping:
    """Read and check a mapping file; every problem is one ``InvalidInput`` naming it."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidInput(f"mapping file {path} does not exist") from None
    except OSError as exc:  # a folder, no permission
        raise InvalidInput(f"mapping file {path} cannot be read: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"mapping file {path} is not valid TOML: {exc}") from None
    try:
        return Mapping.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors(include_url=False)
        )
        raise InvalidInput(f"mapping file {path}: {problems}") from None


class RowError(Exception):
    """A row that cannot be imported, with the reason."""


@dataclass
class ParsedRow:
    line: int
    order: CanonicalOrder
    times: dict[str, datetime | None]
    warnings: list[str] = field(default_factory=list)


class RowReader:
    """Turns one CSV record into a canonical order and its stage times."""

    def __init__(self, mapping: Mapping) -> None:
        self.mapping = mapping
        self.zone = mapping.zone

    def value(self, record: dict[str, str | None], name: str) -> str | None:
        column = self.mapping.columns.get(name)
        raw = None if column is None else record.get(column)
        text = (raw or "").strip()
        return text or None

    def time(self, record: dict[str, str | None], name: str) -> datetime | None:
        text = self.value(record, name)
        if text is None:
            return None
        parsed = _read_time(text)
        column = self.mapping.columns[name]
        if parsed is None:
            raise RowError(f"{column} ({name}): cannot read {text[:40]!r} as a date")
        try:
            check_moment(parsed, f"{column} ({name})")
        except InvalidInput as exc:
            raise RowError(exc.message) from None
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=self.zone)

    def stage(self, record: dict[str, str | None], times: dict[str, datetime | None]) -> Stage:
        status = self.value(record, "status")
        if status is None:
            return _latest_stage(times)
        mapped = self.mapping.status_map.get(status, status)
        try:
            return Stage(mapped)
        except ValueError:
            known = ", ".join(self.mapping.status_map) or "none mapped"
            raise RowError(f"unknown status value {status!r} (status_map has: {known})") from None

    def parse(self, line: int, record: dict[str, str | None]) -> ParsedRow:
        order_id = self.value(record, "channel_order_id")
        if order_id is None:
            raise RowError("no channel order id")
        times = {name: self.time(record, name) for name in TIME_FIELDS}
        stage = self.stage(record, times)
        known = [t for name, t in times.items() if t is not None and name != "ship_by"]
        if not known:
            raise RowError("the row has no time to date the order by")
        modified = times.get(f"{stage.value}_at") or max(known)
        data: dict[str, Any] = {
            "channel_order_id": order_id,
            "stage": stage,
            "amount": _amount(self.value(record, "amount")),
            "created_at": times["created_at"] or min(known),
            "modified_at": modified,
            "paid_at": times["paid_at"],
            "payment_method": self.value(record, "payment_method"),
            "warehouse": self.value(record, "warehouse"),
            "ship_by": times["ship_by"],
        }
        try:
            order = CanonicalOrder.parse(data)
        except InvalidInput as exc:
            raise RowError(exc.message) from None
        stage_times = {name: times[name] for name in STAGE_TIMES}
        return ParsedRow(line, order, stage_times, _backwards(stage_times))


def _read_time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    for pattern in TIME_FORMATS:
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    return None


def _amount(text: str | None) -> Decimal:
    if text is None:
        return Decimal("0")
    cleaned = text.replace("¥", "").replace("￥", "").replace(",", "").strip()
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        raise RowError(f"amount: cannot read {text!r} as a number") from None


def _latest_stage(times: dict[str, datetime | None]) -> Stage:
    """Without a status column: the furthest stage the row has a time for."""
    if times.get("cancelled_at") is not None:
        return Stage.CANCELLED
    for stage in reversed(FLOW):
        if times.get(f"{stage.value}_at") is not None:
            return stage
    return Stage.PENDING_REVIEW if times.get("pending_review_at") else Stage.PAID


def _backwards(times: dict[str, datetime | None]) -> list[str]:
    """One warning per stage time that comes before the one the flow puts before it."""
    warnings = []
    previous: tuple[str, datetime] | None = None
    for name in CHAIN:
        moment = times.get(name)
        if moment is None:
            continue
        if previous is not None and moment < previous[1]:
            warnings.append(
                f"stage times go backwards: {name} {moment.isoformat()} is before "
                f"{previous[0]} {previous[1].isoformat()} (imported as given)"
            )
        previous = (name, moment)
    return warnings


@dataclass
class ImportSummary:
    """What an import did."""

    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    flagged: int = 0
    first_time: datetime | None = None
    last_time: datetime | None = None
    errors_path: Path | None = None

    def note_times(self, times: list[datetime]) -> None:
        if times:
            self.first_time = min([t for t in (self.first_time, *times) if t is not None])
            self.last_time = max([t for t in (self.last_time, *times) if t is not None])


class ErrorReport:
    """The error report: a CSV of line, order id, kind (error or warning) and problem, created
    when the first problem is found."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file: IO[str] | None = None
        self.writer: Any = None

    def add(self, line: int, order_id: str | None, kind: str, problem: str) -> None:
        if self.writer is None:
            self.file = self.path.open("w", encoding="utf-8", newline="")
            self.writer = csv.writer(self.file)
            self.writer.writerow(["line", "channel_order_id", "kind", "problem"])
        self.writer.writerow([line, order_id or "", kind, problem])

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


def open_export(path: Path, encoding: str) -> tuple[IO[str], IO[bytes]]:
    """The file as text, and the raw file whose position tells the progress."""
    raw = path.open("rb")
    magic = raw.read(2)
    raw.seek(0)
    binary = cast(IO[bytes], gzip.GzipFile(fileobj=raw) if magic == b"\x1f\x8b" else raw)
    # Bytes the encoding has no character for are kept as lone surrogates and refused record
    # by record (``records``): a strict decoder fails a block ahead of the record it is in.
    text = io.TextIOWrapper(
        binary, encoding=ENCODINGS[encoding], errors="surrogateescape", newline=""
    )
    return text, raw


class Undecodable(ValueError):
    """A record holds bytes that are not text in the file's encoding."""


_ESCAPED = re.compile("[\udc80-\udcff]")


def _check_text(values: Iterable[object]) -> None:
    """Refuse undecodable bytes in ``values`` (a long row's extra fields come as a list)."""
    texts = (v for value in values for v in (value if isinstance(value, list) else [value]))
    if any(isinstance(text, str) and _ESCAPED.search(text) for text in texts):
        raise Undecodable("a byte that is no character")


@dataclass
class Position:
    """Where reading is: the line the next record starts on."""

    line: int = 1


def records(
    text: IO[str], position: Position | None = None
) -> Iterator[tuple[int, dict[str, str | None]]]:
    """``(line number where the record starts, record)``; the header is line 1."""
    position = position or Position()
    reader = csv.DictReader(text)
    _ = reader.fieldnames  # reads the header, so that line numbers start after it
    _check_text(reader.fieldnames or ())
    position.line = reader.line_num + 1
    for record in reader:
        _check_text(record.values())
        yield position.line, record
        position.line = reader.line_num + 1


_UNREADABLE = (Undecodable, UnicodeDecodeError, csv.Error, EOFError, zlib.error, OSError)
"""What reading a file can fail with part way: a byte its encoding has no character for, a
field over the csv module's limit, a gzip stream that ends early or is not gzip at all."""


class ImportStopped(InvalidInput):
    """The file could not be read on from some line; the rows before it were imported."""

    def __init__(self, path: Path, summary: ImportSummary, line: int, reason: str) -> None:
        landed = summary.inserted + summary.updated + summary.unchanged
        super().__init__(
            f"{path}: stopped at line {line}: {reason}; the {landed} row(s) before it were "
            f"imported ({summary.inserted} new, {summary.updated} updated, {summary.unchanged} "
            f"unchanged, {summary.failed} failed); fix the file and import it again: rows "
            "already imported change nothing",
            code="import_stopped",
        )
        self.summary = summary
        self.line = line


def unreadable(exc: BaseException, path: Path, encoding: str) -> str:
    """Why ``path`` cannot be read, in words, for an error of ``_UNREADABLE``."""
    if isinstance(exc, Undecodable | UnicodeDecodeError):
        return f"it is not {encoding} text; set [source] encoding in the mapping"
    if isinstance(exc, csv.Error):
        return f"the CSV cannot be read ({exc}; a quote left open makes one huge field)"
    if isinstance(exc, EOFError | zlib.error):
        return "the gzip file is truncated or damaged"
    if isinstance(exc, gzip.BadGzipFile):
        return "it starts like a gzip file but is not one"
    return f"it cannot be read ({exc.strerror or exc})" if isinstance(exc, OSError) else str(exc)


_SEEN = Table(
    "ow_import_seen",
    MetaData(),
    Column("channel_order_id", String(64), primary_key=True),
    Column("line_no", Integer),
    prefixes=["TEMPORARY"],
)


def import_history(
    engine: Engine,
    path: Path,
    mapping: Mapping,
    *,
    errors_path: Path,
    batch_size: int = 2000,
    progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Import ``path`` under ``mapping``; ``progress`` gets the bytes read so far."""
    summary = ImportSummary(errors_path=errors_path)
    report = ErrorReport(errors_path)
    text, raw = open_export(path, mapping.source.encoding)
    position = Position()
    try:
        with engine.connect() as connection:
            _prepare(connection, mapping.source.channel)
            _check_header(text, path, mapping)
            reader = RowReader(mapping)
            batch: list[ParsedRow] = []
            try:
                for line, record in records(text, position):
                    summary.rows += 1
                    _read_row(reader, line, record, batch, summary, report)
                    if len(batch) >= batch_size:
                        _commit(connection, mapping.source.channel, batch, summary, report)
                        batch = []
                        if progress is not None:
                            progress(raw.tell())
            except _UNREADABLE as exc:
                # What was read before the line that cannot be lands, like every batch before.
                _commit(connection, mapping.source.channel, batch, summary, report)
                reason = unreadable(exc, path, mapping.source.encoding)
                report.add(position.line, None, "error", f"import stopped: {reason}")
                raise ImportStopped(path, summary, position.line, reason) from None
            _commit(connection, mapping.source.channel, batch, summary, report)
            if progress is not None:
                progress(raw.tell())
    finally:
        text.close()
        report.close()
    if report.writer is None:
        summary.errors_path = None
    return summary


def _read_row(
    reader: RowReader,
    line: int,
    record: dict[str, str | None],
    batch: list[ParsedRow],
    summary: ImportSummary,
    report: ErrorReport,
) -> None:
    try:
        parsed = reader.parse(line, record)
    except RowError as exc:
        summary.failed += 1
        report.add(line, reader.value(record, "channel_order_id"), "error", str(exc))
        return
    _flag(parsed, summary, report)
    batch.append(parsed)


def _prepare(connection: Any, channel: str) -> None:
    """The channel (created when missing) and this import's table of ids already read."""
    with Session(bind=connection) as session:
        if session.scalar(select(Channel.id).where(Channel.name == channel)) is None:
            create_channel(session, name=channel, platform="import")
        _SEEN.drop(session.connection(), checkfirst=True)
        _SEEN.create(session.connection())
        session.commit()


def check_export(path: Path, mapping: Mapping, *, errors_path: Path | None = None) -> None:
    """Refuse a file that cannot be read with ``mapping``, or an error report that cannot be
    written, before anything is imported."""
    if path.is_dir():
        raise InvalidInput(f"{path} is a folder, not a CSV file")
    if not path.exists():
        raise InvalidInput(f"{path} does not exist")
    if errors_path is not None:
        _check_report(errors_path)
    try:
        text, _raw = open_export(path, mapping.source.encoding)
    except OSError as exc:
        raise InvalidInput(f"{path} cannot be read: {exc.strerror or exc}") from None
    try:
        _check_header(text, path, mapping)
    finally:
        text.close()


def _check_report(errors_path: Path) -> None:
    if errors_path.is_dir():
        raise InvalidInput(f"the error report {errors_path} is a folder; name a file in it")
    if not errors_path.parent.is_dir():
        raise InvalidInput(f"the error report's folder {errors_path.parent} does not exist")


def _check_header(text: IO[str], path: Path, mapping: Mapping) -> None:
    position = text.tell()
    try:
        header = next(csv.reader(text), None)
        _check_text(header or ())
    except _UNREADABLE as exc:
        reason = unreadable(exc, path, mapping.source.encoding)
        raise InvalidInput(f"{path} cannot be imported: {reason}") from None
    text.seek(position)
    if header is None:
        raise InvalidInput(f"{path} is empty: no header row")
    header = [h.strip() for h in header]
    missing = [f"{column} ({name})" for name, column in mapping.columns.items()
               if column not in header]  # fmt: skip
    if missing:
        raise InvalidInput(
            f"column(s) named in the mapping are not in the file's header: {', '.join(missing)}"
        )


def _commit(
    connection: Any,
    channel: str,
    batch: list[ParsedRow],
    summary: ImportSummary,
    report: ErrorReport,
) -> None:
    """One batch in one transaction: duplicates out, orders upserted, stage times written."""
    if not batch:
        return
    with Session(bind=connection) as session:
        fresh = _without_duplicates(session, batch, summary, report)
        try:
            result = upsert_orders(session, channel, [row.order for row in fresh])
            changed = set_stage_times(
                session, channel, [(row.order.channel_order_id, row.times) for row in fresh]
            )
            session.commit()
        except DomainError as exc:
            session.rollback()
            for row in fresh:
                report.add(row.line, row.order.channel_order_id, "error", str(exc))
            summary.failed += len(fresh)
            return
    # set_stage_times also counts new orders whose warehouse times it wrote
    touched = max(result.updated, changed - result.inserted, 0)
    summary.inserted += result.inserted
    summary.updated += touched
    summary.unchanged += len(fresh) - result.inserted - touched
    for row in fresh:
        summary.note_times([t for t in row.times.values() if t is not None])


def _flag(row: ParsedRow, summary: ImportSummary, report: ErrorReport) -> None:
    """Stage times that go backwards are imported as given, and said so."""
    if row.warnings:
        summary.flagged += 1
        for warning in row.warnings:
            report.add(row.line, row.order.channel_order_id, "warning", warning)


def _without_duplicates(
    session: Session, batch: list[ParsedRow], summary: ImportSummary, report: ErrorReport
) -> list[ParsedRow]:
    """Rows whose order id appeared on an earlier line of the file are reported, not
    imported: a file holds one row per order."""
    ids = [row.order.channel_order_id for row in batch]
    query = select(_SEEN.c.channel_order_id, _SEEN.c.line_no).where(
        _SEEN.c.channel_order_id.in_(ids)
    )
    earlier: dict[str, int] = {order_id: line for order_id, line in session.execute(query)}
    fresh: list[ParsedRow] = []
    for row in batch:
        order_id = row.order.channel_order_id
        if order_id in earlier:
            summary.failed += 1
            report.add(row.line, order_id, "error", f"duplicate of line {earlier[order_id]}")
            continue
        earlier[order_id] = row.line
        fresh.append(row)
    if fresh:
        session.execute(
            insert(_SEEN),
            [{"channel_order_id": r.order.channel_order_id, "line_no": r.line} for r in fresh],
        )
    return fresh
