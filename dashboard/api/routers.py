"""Every router of the REST API, mounted under ``/api``; each area adds its own module."""

from __future__ import annotations

from fastapi import APIRouter

from dashboard.api import (
    channel_push,
    explain,
    floor_orders,
    inventory,
    metrics,
    pick_tasks,
    scans,
)

ROUTERS: list[APIRouter] = [
    scans.router,
    pick_tasks.router,
    floor_orders.router,
    inventory.router,
    metrics.router,
    explain.router,
    channel_push.router,
]
