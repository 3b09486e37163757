"""Editing receivers and routes from the console, as the ``[alerts]`` section of the file
``orderwatch apply`` reads, so what is written here can be pasted into that file and back.

It is as safe as ``apply`` because it is ``apply``'s own check and write: the text is checked
whole first (every problem as ``console:LINE: key: problem``, nothing written while there is
one), a check shows the changes it would make without keeping them, and the write is one
transaction. Secrets never reach the browser: the text shows them as ``**********``, which
keeps the stored value. Two editors cannot overwrite each other unknowingly: the text carries
a fingerprint of what it was made from, and a write over a configuration that changed since
is refused.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path

import tomli_w
from sqlalchemy.orm import Session, sessionmaker

from alerts.config import AlertsSection, apply_alerts, check_section, export_section
from rules.config import ConfigError, clean_for_toml
from store.errors import Conflict

SOURCE = Path("console")
"""How a problem names the edited text (``console:12: alerts.routes[0].levels: …``)."""


def section_text(session: Session) -> str:
    """The stored receivers (secrets masked) and routes as ``[alerts]`` TOML."""
    return tomli_w.dumps({"alerts": clean_for_toml(export_section(session))})


def fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def current(sessions: sessionmaker[Session]) -> tuple[str, str]:
    """The text to edit and its fingerprint."""
    with sessions() as session:
        text = section_text(session)
    return text, fingerprint(text)


def check(session: Session, text: str) -> tuple[AlertsSection | None, list[str]]:
    """The section the text holds, or why it cannot be applied."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        return None, [f"{SOURCE}: not valid TOML: {error}"]
    others = sorted(set(data) - {"alerts"})
    if others:
        return None, [
            f"{SOURCE}: {', '.join(others)}: only the [alerts] section is edited here; "
            "channels, users and rules are applied with orderwatch apply"
        ]
    section = data.get("alerts")
    if not isinstance(section, dict):
        return None, [f"{SOURCE}: no [alerts] section with receivers and routes"]
    return check_section(session, section, SOURCE, text)


@dataclass(frozen=True, slots=True)
class Checked:
    changes: list[str]
    problems: list[str]


def dry_run(sessions: sessionmaker[Session], text: str) -> Checked:
    """What applying the text would change, written and rolled back."""
    with sessions() as session:
        section, problems = check(session, text)
        if section is None:
            return Checked([], problems)
        changes = apply_alerts(session, section, author="console-check")
        session.rollback()
    return Checked(changes, [])


def apply(sessions: sessionmaker[Session], actor: str, text: str, made_from: str) -> list[str]:
    """Apply the text (audited as ``actor``); ``Conflict`` when the stored configuration is no
    longer the one the text was made from, ``ConfigError`` when it has problems."""
    with sessions.begin() as session:
        if fingerprint(section_text(session)) != made_from:
            raise Conflict(
                "the alert routing changed since this text was loaded (someone applied a "
                "change meanwhile); load it again and redo the edit"
            )
        section, problems = check(session, text)
        if section is None:
            raise ConfigError(problems)
        return apply_alerts(session, section, author=actor)
