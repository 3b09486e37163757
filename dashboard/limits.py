"""How large a request body each route accepts, in one place.

The limits are the framework's (``max_body_size`` on an app, a router or a route): a body whose
``Content-Length`` says it is larger is refused before a byte of it is read, and one sent
without a length (chunked) is refused as soon as what arrived passes the limit, so nothing
larger is ever held in memory or parsed. The answer is 413 (problem+json under ``/api``).
"""

from __future__ import annotations

KIB = 1024

CONSOLE = 1024 * KIB
"""The console's default, which Dash's callbacks get: the largest is a workbench action on a
page of selected rows, a few kilobytes; a megabyte leaves room and stops a flood."""
LOGIN = 4 * KIB
"""A sign-in form: a user name, a password and where to go next."""
API = 64 * KIB
"""Every REST endpoint unless it says otherwise: one order's action, a silence, an ack."""
BATCH = 1024 * KIB
"""Endpoints that take up to 500 items (scans, order actions, receipt and count lines): each
item is a few hundred bytes at most, notes included."""
PUSH = 256 * KIB
"""A platform's message push: a handful of order ids and the platform's envelope."""
