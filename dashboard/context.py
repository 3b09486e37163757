"""What a page or callback may know of the request Dash is serving: its app's store and
configuration (handed in by ``create_app``, never read from globals)."""

from __future__ import annotations

from dash.backends._fastapi import get_current_request
from sqlalchemy.orm import Session, sessionmaker

from dashboard.config import WebConfig
from dashboard.sessions import ConsoleSessions
from metrics.board import HeatmapCache


def store_sessions() -> sessionmaker[Session]:
    """The store of the app serving the current Dash request (for layouts and callbacks)."""
    sessions: sessionmaker[Session] = get_current_request().app.state.sessions
    return sessions


def app_config() -> WebConfig:
    """The configuration of the app serving the current Dash request."""
    config: WebConfig = get_current_request().app.state.config
    return config


def heatmap_cache() -> HeatmapCache:
    """The board heatmaps the app's console refreshes share."""
    cache: HeatmapCache = get_current_request().app.state.heatmaps
    return cache


def console_sessions() -> ConsoleSessions:
    """The console sessions of the app serving the current Dash request."""
    found: ConsoleSessions = get_current_request().app.state.console_sessions
    return found
