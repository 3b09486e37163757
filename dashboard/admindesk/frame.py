"""What the admin page's parts share: the ids they read and write, the confirmation dialog,
the exports, and the role check every one of its callbacks makes on the server."""

from __future__ import annotations

from dashboard.auth import ConsoleUser
from dashboard.grids import Exports
from dashboard.permissions import MANAGE_ACCESS, require_role
from dashboard.workbench.acting import ActionDialog

REFRESH = "admin-refresh"
"""A counter every action bumps: the grids read the store again."""
USERS = "admin-users-grid"
TOKENS = "admin-tokens-grid"
DIALOG = ActionDialog("admin")
"""Confirms a deactivation (with its reason) and a revocation."""
EXPORTS = Exports("admin")


async def as_admin(action: str) -> ConsoleUser:
    """The signed-in admin; anyone else is refused (403) and the refusal audited as
    ``admin.<action>``. Every callback of the page calls it before it reads or writes."""
    return await require_role(MANAGE_ACCESS, action=f"admin.{action}")
