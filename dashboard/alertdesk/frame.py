"""What every part of the alerts page shares: the stores and ids they read and write, the
confirmation dialog, and the role checks that decide which buttons a page is drawn with."""

from __future__ import annotations

from typing import Any

import dash_mantine_components as dmc

from dashboard.auth import current_user
from dashboard.grids import Exports
from dashboard.permissions import ACT_ON_ALERTS, CONFIGURE_ALERTS, may
from dashboard.workbench.acting import ActionDialog

FILTERS = "alerts-filters"
"""The group list's filters (``reading.Filters``), kept in the URL."""
GROUP = "alerts-group"
"""The id of the group whose detail is open, kept in the URL."""
TABS = "alerts-tabs"
REFRESH = "alerts-refresh"
"""A counter every action bumps: the parts it changed read the store again."""
TICK = "alerts-tick"
POLL_MS = 10_000
"""How often an open page reads the store again (a few indexed queries)."""
URL_SEARCH = "alerts-url-search"
DIALOG = ActionDialog("alerts")
EXPORTS = Exports("alerts")
"""The tabs' CSV exports (``alerts-download``; buttons of the role ``alerts-export``)."""
ACTION = "alerts-action"
"""Pattern id role of the action buttons, drawn only for the roles that may act (so always
addressed by pattern, never by a plain id a viewer's page lacks): ``action`` is what it does
(ack, silence, new_silence, expire, resend, resend_group, test, edit), ``place`` where it is
(detail, silences, deliveries, receivers, routing)."""
VIEWER = "alerts-viewer"
"""Pattern id role of the "you may only look" hints drawn instead of the buttons."""


def may_act() -> bool:
    return may(current_user(), ACT_ON_ALERTS)


def may_configure() -> bool:
    return may(current_user(), CONFIGURE_ALERTS)


def action_button(action: str, place: str, **props: Any) -> dmc.Button:
    """The button for ``action`` at ``place``; its text is set per language by the page
    (``alerts.action.<action>``)."""
    defaults: dict[str, Any] = {"size": "xs", "variant": "light"}
    return dmc.Button(id=action_id(action, place), **(defaults | props))


def action_id(action: str, place: str) -> dict[str, str]:
    return {"role": ACTION, "action": action, "place": place}


def viewer_hint(place: str) -> dmc.Text:
    """Where the buttons would be, for a role that may only look."""
    return dmc.Text(id={"role": VIEWER, "place": place}, c="dimmed", size="sm")
