"""Every router of the REST API, mounted under ``/api``; each area adds its own module."""

from __future__ import annotations

from fastapi import APIRouter

from dashboard.api import (
    alerts,
    channel_push,
    explain,
    floor_orders,
    inventory,
    metrics,
    order_actions,
    pick_tasks,
    scans,
    worklist,
)

ROUTERS: list[APIRouter] = [
    scans.router,
    pick_tasks.router,
    floor_orders.router,
    order_actions.router,
    worklist.router,
    inventory.router,
    metrics.router,
    explain.router,
    channel_push.router,
    alerts.router,
]
