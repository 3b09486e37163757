"""Every router of the REST API, mounted under ``/api``; each area adds its own module."""

from __future__ import annotations

from fastapi import APIRouter

ROUTERS: list[APIRouter] = []
