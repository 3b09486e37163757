"""Rule versions: every change a new version with author and reason, audited, restorable."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.orm import Session, sessionmaker

from rules.catalog import install_defaults, load_rules, save_rules
from rules.definitions import RiskWhitelist
from store.audit import audit_trail
from store.errors import Conflict, NotFound
from store.rule_versions import history, restore_version
from tests.rules.article import BNPL, XHS

WHITELIST = RiskWhitelist(name="xhs-bnpl", channel=XHS, payment_method=BNPL, below=Decimal(300))


def _whitelists(session: Session, *items: RiskWhitelist) -> list[str]:
    rules = load_rules(session).rules.model_copy(update={"whitelists": items})
    changes = save_rules(session, rules, kinds=["risk_whitelist"], author="li", reason="test")
    return [f"{c.name} {c.change} v{c.version}" for c in changes]


def test_changes_make_versions_and_restore_brings_one_back(
    sessions: sessionmaker[Session],
) -> None:
    higher = WHITELIST.model_copy(update={"below": Decimal(500)})
    with sessions.begin() as session:
        assert _whitelists(session, WHITELIST) == ["xhs-bnpl created v1"]
        assert _whitelists(session, WHITELIST) == []  # same again: nothing
        assert _whitelists(session, higher) == ["xhs-bnpl changed v2"]
        assert _whitelists(session) == ["xhs-bnpl retired v3"]
        assert load_rules(session).rules.whitelists == ()
        restored = restore_version(
            session, kind="risk_whitelist", name="xhs-bnpl", version=1, author="wang", reason=None
        )
        loaded = load_rules(session)
        versions = [
            (r.version, r.is_active, r.author)
            for r in history(session, "risk_whitelist", "xhs-bnpl")
        ]
        trail = audit_trail(session, entity_type="rule", entity_id="risk_whitelist/xhs-bnpl")
    assert restored.version == 4
    assert loaded.rules.whitelists == (WHITELIST,)
    assert loaded.version("risk_whitelist", "xhs-bnpl") == 4
    assert versions == [(1, False, "li"), (2, False, "li"), (3, False, "li"), (4, True, "wang")]
    assert [e.action for e in trail] == [
        "rule.created",
        "rule.changed",
        "rule.retired",
        "rule.restored",
    ]
    assert trail[-1].after is not None and trail[-1].after["reason"] == "restore version 1"


def test_restore_refuses_unknown_or_current_versions(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        _whitelists(session, WHITELIST)
        with pytest.raises(NotFound, match="has no version 7 \\(versions 1–1\\)"):
            restore_version(
                session, kind="risk_whitelist", name="xhs-bnpl", version=7, author="w", reason=None
            )
        with pytest.raises(Conflict, match="already as in version 1"):
            restore_version(
                session, kind="risk_whitelist", name="xhs-bnpl", version=1, author="w", reason=None
            )


def test_defaults_are_installed_once_as_version_1(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        assert load_rules(session).version("risk", "bnpl-high-risk") == 0
        first = install_defaults(session)
        again = install_defaults(session)
        loaded = load_rules(session)
    assert {c.change for c in first} == {"created"} and again == []
    assert loaded.version("risk", "bnpl-high-risk") == 1
