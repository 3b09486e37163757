"""Declarative configuration: channels, users and every rule kind in one TOML file.

``apply_config`` validates the whole file first — syntax, types, unknown keys and channels,
overlapping or unreachable rules — and refuses it with every problem, each naming the file,
line and key, before anything is written; then it writes in the caller's one transaction, so
a file is applied entirely or not at all. Applying the same file again changes nothing.

A rule section that is present (``[risk]``, ``[sla]``, ``[[safety_stock]]``, ``[refund]``) is
the complete set of its kinds: rules it leaves out are retired. Channels and users are created
or updated, never deleted. The ``[alerts]`` section (receivers and routes) is read here as it
stands and checked and applied by ``alerts.config``, which calls the functions below.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from rules.catalog import load_rules, save_rules
from rules.checks import check_rule_set
from rules.definitions import (
    BusinessCalendar,
    Name,
    RefundPolicy,
    RiskRule,
    RiskWhitelist,
    Role,
    RuleSet,
    SafetyStockRule,
    ShipByPromise,
    SlaPolicy,
)
from store.audit import write_audit
from store.channels import create_channel
from store.errors import InvalidInput
from store.models import Channel, User
from store.people import create_user

Platform = Literal["taobao", "tmall", "jd", "pdd", "douyin", "xiaohongshu", "import"]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ChannelConfig(_Strict):
    name: Name
    platform: Platform
    shop_id: Annotated[str, Field(max_length=64)] | None = None
    base_url: Annotated[str, Field(max_length=255)] | None = None
    sync_interval_s: Annotated[int, Field(gt=0)] = 300
    default_warehouse: Annotated[str, Field(min_length=1, max_length=32)] | None = None


class UserConfig(_Strict):
    username: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^\S+$")]
    role: Role
    display_name: Annotated[str, Field(max_length=128)] | None = None
    password_env: str | None = None
    """Environment variable holding the password; needed only to create the user."""
    active: bool = True


class RiskSection(_Strict):
    rules: tuple[RiskRule, ...] = ()
    whitelists: tuple[RiskWhitelist, ...] = ()


class SlaSection(_Strict):
    stages: tuple[SlaPolicy, ...] = ()
    ship_by: tuple[ShipByPromise, ...] = ()
    calendar: BusinessCalendar = BusinessCalendar()


class ConfigFile(_Strict):
    channels: tuple[ChannelConfig, ...] = ()
    users: tuple[UserConfig, ...] = ()
    risk: RiskSection | None = None
    sla: SlaSection | None = None
    safety_stock: tuple[SafetyStockRule, ...] | None = None
    refund: RefundPolicy | None = None
    alerts: dict[str, Any] | None = None
    """Receivers and routes: ``alerts.config`` checks them."""

    def kinds(self) -> list[str]:
        """The rule kinds this file defines completely."""
        present = {
            ("risk", "risk_whitelist"): self.risk,
            ("sla", "ship_by", "calendar"): self.sla,
            ("safety_stock",): self.safety_stock,
            ("refund_approval",): self.refund,
        }
        return [kind for kinds, section in present.items() if section is not None for kind in kinds]

    def rule_set(self, current: RuleSet) -> RuleSet:
        """``current`` with this file's sections in place of its own."""
        update: dict[str, Any] = {}
        if self.risk is not None:
            update |= {"risk_rules": self.risk.rules, "whitelists": self.risk.whitelists}
        if self.sla is not None:
            update |= {
                "sla": self.sla.stages,
                "ship_by": self.sla.ship_by,
                "calendar": self.sla.calendar,
            }
        if self.safety_stock is not None:
            update["safety_stock"] = self.safety_stock
        if self.refund is not None:
            update["refund"] = self.refund
        return current.model_copy(update=update)


class ConfigError(InvalidInput):
    """A configuration file with problems; ``problems`` lists each one on its own line."""

    code = "invalid_config"

    def __init__(self, problems: list[str]) -> None:
        count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
        super().__init__(f"{count}, nothing was changed:\n" + "\n".join(problems))
        self.problems = problems


@dataclass
class ApplyReport:
    changes: list[str] = field(default_factory=list)
    rule_kinds_changed: set[str] = field(default_factory=set)

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def read_config(path: Path) -> tuple[ConfigFile, str]:
    """Parse and type-check one file, or raise ``ConfigError`` naming each problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: cannot read: {exc}"]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: not valid TOML: {exc}"]) from None
    try:
        return ConfigFile.model_validate(data), text
    except ValidationError as exc:
        raise ConfigError(describe_errors(path, text, exc)) from None


def config_problems(
    session: Session, config: ConfigFile, path: Path, text: str
) -> tuple[list[str], RuleSet]:
    """The problems of a parsed file that need the store to see (``path:line: key: problem``
    each), and the rule set it would put in force."""
    known = {str(n) for n in session.scalars(select(Channel.name))}
    problems = _channel_problems(session, config) + _user_problems(session, config)
    proposed = config.rule_set(load_rules(session).rules)
    known |= {c.name for c in config.channels}
    for problem in check_rule_set(proposed, known):
        line = line_of(text, parse_where(problem.where))
        problems.append(f"{path}:{line}: {problem.where}: {problem.message}")
    return problems, proposed


def check_config(session: Session, path: Path) -> tuple[ConfigFile, RuleSet]:
    """Everything ``apply_config`` checks before writing; returns the file and the rule set
    it would put in force."""
    config, text = read_config(path)
    problems, proposed = config_problems(session, config, path, text)
    if problems:
        raise ConfigError(problems)
    return config, proposed


def apply_config(
    session: Session, path: Path, *, author: str, reason: str | None = None
) -> ApplyReport:
    """Make the store match ``path`` in the caller's transaction; see the module docstring."""
    config, proposed = check_config(session, path)
    return apply_checked(session, config, proposed, path, author=author, reason=reason)


def apply_checked(
    session: Session,
    config: ConfigFile,
    proposed: RuleSet,
    path: Path,
    *,
    author: str,
    reason: str | None = None,
) -> ApplyReport:
    """Write a file that passed every check (channels, users, rules; not its alerts)."""
    report = ApplyReport()
    for channel in config.channels:
        report.changes += _apply_channel(session, channel, author)
    for user in config.users:
        report.changes += _apply_user(session, user, author)
    why = reason or f"orderwatch apply {path.name}"
    for change in save_rules(session, proposed, kinds=config.kinds(), author=author, reason=why):
        report.changes.append(f"{change.kind} {change.name}: {change.change} (v{change.version})")
        report.rule_kinds_changed.add(change.kind)
    return report


def _channel_problems(session: Session, config: ConfigFile) -> list[str]:
    problems = []
    existing = {c.name: c for c in session.scalars(select(Channel))}
    for index, channel in enumerate(config.channels):
        now = existing.get(channel.name)
        if now is not None and now.platform != channel.platform:
            problems.append(
                f"channels[{index}].platform: channel {channel.name!r} is on {now.platform}; "
                "a channel cannot change platform (add a new channel instead)"
            )
    return problems


def _user_problems(session: Session, config: ConfigFile) -> list[str]:
    problems = []
    existing = set(session.scalars(select(User.username)))
    for index, user in enumerate(config.users):
        if user.username in existing:
            continue
        if user.password_env is None:
            problems.append(f"users[{index}]: new user {user.username!r} needs password_env")
        elif len(os.environ.get(user.password_env, "")) < 8:
            problems.append(
                f"users[{index}].password_env: ${user.password_env} must hold a password of "
                "at least 8 characters"
            )
    return problems


def _apply_channel(session: Session, wanted: ChannelConfig, author: str) -> list[str]:
    channel = session.scalar(select(Channel).where(Channel.name == wanted.name))
    fields = wanted.model_dump(exclude={"name", "platform"})
    if channel is None:
        create_channel(session, name=wanted.name, platform=wanted.platform, **fields)
        write_audit(
            session, actor=author, action="channel.created", entity_type="channel",
            entity_id=wanted.name, after=wanted.model_dump(),
        )  # fmt: skip
        return [f"channel {wanted.name}: created"]
    return _update(session, channel, fields, author=author, kind="channel", key=wanted.name)


def _apply_user(session: Session, wanted: UserConfig, author: str) -> list[str]:
    user = session.scalar(select(User).where(User.username == wanted.username))
    if user is None:
        password = os.environ[str(wanted.password_env)]
        user = create_user(
            session, username=wanted.username, role=wanted.role, password=password,
            display_name=wanted.display_name, actor=author,
        )  # fmt: skip
        user.is_active = wanted.active
        return [f"user {wanted.username}: created ({wanted.role})"]
    fields = {"role": wanted.role, "display_name": wanted.display_name, "is_active": wanted.active}
    return _update(session, user, fields, author=author, kind="user", key=wanted.username)


def _update(
    session: Session, entity: object, fields: dict[str, Any], *, author: str, kind: str, key: str
) -> list[str]:
    """Set ``fields`` on an existing channel or user, audited; nothing when they hold already."""
    before = {name: getattr(entity, name) for name in fields}
    if before == fields:
        return []
    for name, value in fields.items():
        setattr(entity, name, value)
    write_audit(
        session, actor=author, action=f"{kind}.changed", entity_type=kind, entity_id=key,
        before=before, after=fields,
    )  # fmt: skip
    changed = ", ".join(sorted(name for name in fields if before[name] != fields[name]))
    return [f"{kind} {key}: changed {changed}"]


def export_config(session: Session) -> str:
    """The current channels, users and rules in the format ``apply_config`` reads."""
    rules = load_rules(session).rules
    document: dict[str, Any] = clean_for_toml(
        {
            "channels": [
                clean_for_toml(
                    ChannelConfig.model_validate(c, from_attributes=True).model_dump(mode="json")
                )
                for c in session.scalars(select(Channel).order_by(Channel.name))
            ],
            "users": [
                clean_for_toml(
                    {
                        "username": u.username,
                        "role": u.role,
                        "display_name": u.display_name,
                        "active": u.is_active,
                    }
                )
                for u in session.scalars(select(User).order_by(User.username))
            ],
            "risk": {
                "rules": [_dump(r) for r in rules.ordered_risk_rules],
                "whitelists": [_dump(w) for w in rules.whitelists],
            },
            "sla": {
                "stages": [_dump(p) for p in rules.sla],
                "ship_by": [_dump(p) for p in rules.ship_by],
                "calendar": _dump(rules.calendar),
            },
            "safety_stock": [_dump(s) for s in rules.safety_stock],
            "refund": _dump(rules.refund),
        }
    )
    header = (
        "# orderwatch configuration — `orderwatch apply FILE` makes the store match it.\n"
        "# A rule section present here is the complete set of its rules.\n\n"
    )
    return header + tomli_w.dumps(document)


def _dump(model: BaseModel) -> dict[str, Any]:
    cleaned: dict[str, Any] = clean_for_toml(model.model_dump(mode="json"))
    return cleaned


def clean_for_toml(value: Any) -> Any:
    """TOML has no null: drop ``None`` entries everywhere; drop empty lists too, so that
    adding the first item by hand (``[[risk.whitelists]]``) does not clash with ``= []``."""
    if isinstance(value, dict):
        return {k: clean_for_toml(v) for k, v in value.items() if v is not None and v != []}
    if isinstance(value, list):
        return [clean_for_toml(v) for v in value]
    return value


def describe_errors(
    path: Path, text: str, exc: ValidationError, prefix: tuple[Any, ...] = ()
) -> list[str]:
    """``path:line: key: problem`` for each error of a model read from the file at ``prefix``."""
    problems = []
    for error in exc.errors(include_url=False, include_input=False):
        location = (*prefix, *error["loc"])
        where = format_where(location)
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        elif error["type"] == "missing":
            message = "is required"
        problems.append(f"{path}:{line_of(text, location)}: {where}: {message}")
    return problems


def format_where(location: tuple[Any, ...]) -> str:
    out = ""
    for part in location:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "file"


def parse_where(where: str) -> tuple[Any, ...]:
    parts: list[Any] = []
    for name, index in re.findall(r"([A-Za-z_]+)|\[(\d+)\]", where):
        parts.append(int(index) if index else name)
    return tuple(parts)


_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\"]+)\s*=")


def line_of(text: str, location: tuple[Any, ...]) -> int:
    """The line of ``location`` (``("risk", "rules", 2, "when")``) in the TOML text: the line
    of the deepest table or key that leads to it (1 when nothing does)."""
    best, best_depth = 1, 0
    for number, path in _paths(text):
        depth = len(path)
        if depth > best_depth and location[:depth] == path:
            best, best_depth = number, depth
    return best


def _paths(text: str) -> list[tuple[int, tuple[Any, ...]]]:
    """Every table header and key in the text, with its full path (array indexes resolved)."""
    found: list[tuple[int, tuple[Any, ...]]] = []
    arrays: dict[tuple[str, ...], int] = {}
    table: tuple[Any, ...] = ()
    for number, line in enumerate(text.splitlines(), start=1):
        if header := _HEADER.match(line):
            names = tuple(part.strip().strip('"') for part in header.group(2).split("."))
            if header.group(1) == "[[":
                arrays[names] = arrays.get(names, -1) + 1
            table = _resolve(names, arrays)
            found.append((number, table))
        elif key := _KEY.match(line):
            found.append((number, (*table, key.group(1).strip('"'))))
    return found


def _resolve(names: tuple[str, ...], arrays: dict[tuple[str, ...], int]) -> tuple[Any, ...]:
    path: list[Any] = []
    for depth in range(1, len(names) + 1):
        path.append(names[depth - 1])
        if names[:depth] in arrays:
            path.append(arrays[names[:depth]])
    return tuple(path)
