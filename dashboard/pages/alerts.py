"""Alerts (告警): what the alerts engine has told people and what it is holding back, for the
person on call. Open groups first (firing, then acknowledged), the recent resolved ones, and
the alerts no route takes; per group its alerts (linked to their orders), its escalation and
its delivery log; silences; the delivery log with the dead letters; receivers and routes.

Supervisors and above acknowledge, silence (with a reason, as themselves), re-send dead
letters and test a receiver; ops supervisors and admins edit the routing. Every action is
checked on the server (``dashboard.permissions``) and goes through the function the REST API
and the CLI call. The page reads the store again every few seconds; the filters, the open
group and the tab live in the URL (``/alerts?state=firing&group=12``), which is where the
messages' links point.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_mantine_components as dmc
from dash import Input, Output, callback, clientside_callback, dcc, html

from dashboard.alertdesk import (
    actions,
    deliveries_tab,
    groups_tab,
    reading,
    routing_tab,
    silences_tab,
)
from dashboard.alertdesk.frame import (
    DIALOG,
    EXPORTS,
    FILTERS,
    GROUP,
    POLL_MS,
    REFRESH,
    TABS,
    TICK,
    URL_SEARCH,
)
from dashboard.i18n import lang_of, t
from dashboard.shell import LANG_STORE

dash.register_page(__name__, path="/alerts", title="orderwatch · alerts")  # type: ignore[no-untyped-call]


def layout(**url_query: Any) -> html.Section:
    filters, group, tab = reading.from_query(url_query)
    panels = (
        ("groups", groups_tab.layout(filters, group)),
        ("silences", silences_tab.layout()),
        ("deliveries", deliveries_tab.layout()),
        ("routing", routing_tab.layout()),
    )
    tabs = dmc.Tabs(
        [
            dmc.TabsList(
                [dmc.TabsTab(id=f"alerts-tab-{name}", value=name) for name, _panel in panels]
            ),
            *(dmc.TabsPanel(panel, value=name, pt="sm") for name, panel in panels),
        ],
        id=TABS,
        value=tab,
        keepMounted=True,
    )
    return html.Section(
        [
            dcc.Store(id=FILTERS, data=filters),
            dcc.Store(id=GROUP, data=group),
            dcc.Store(id=REFRESH, data=0),
            dcc.Store(id=URL_SEARCH, data=reading.to_query(filters, group, tab)),
            dcc.Store(id="alerts-url-synced"),
            dcc.Interval(id=TICK, interval=POLL_MS),
            EXPORTS.layout(),
            dmc.Group(
                [
                    dmc.Stack(
                        [
                            dmc.Title(id="alerts-title", order=2),
                            dmc.Text(id="alerts-intro", c="dimmed", maw=820),
                        ],
                        gap=0,
                    ),
                    dmc.Text(id="alerts-updated", c="dimmed", size="sm"),
                ],
                justify="space-between",
                align="flex-end",
            ),
            html.Div(id="alerts-stats", style={"margin": "12px 0"}),
            tabs,
            DIALOG.layout(),
        ],
        id="alerts-page",
    )


@callback(
    Output("alerts-title", "children"),
    Output("alerts-intro", "children"),
    *(Output(f"alerts-tab-{name}", "children") for name in reading.TABS),
    Input(LANG_STORE, "data"),
)
def translate(lang_data: Any) -> tuple[str, ...]:
    lang = lang_of(lang_data)
    return (
        t("alerts.title", lang),
        t("alerts.intro", lang),
        *(t(f"alerts.tab.{name}", lang) for name in reading.TABS),
    )


@callback(
    Output(URL_SEARCH, "data"),
    Input(FILTERS, "data"),
    Input(GROUP, "data"),
    Input(TABS, "value"),
    prevent_initial_call=True,
)
def url_search(filters: reading.Filters | None, group: Any, tab: Any) -> str:
    chosen = group if isinstance(group, int) else None
    return reading.to_query(filters or {}, chosen, tab if tab in reading.TABS else "groups")


clientside_callback(
    """function(search) {
        if (window.location.search !== search) {
            window.history.replaceState(null, "", window.location.pathname + search);
        }
        return search;
    }""",
    Output("alerts-url-synced", "data"),
    Input(URL_SEARCH, "data"),
)

groups_tab.register()
silences_tab.register()
deliveries_tab.register()
routing_tab.register()
actions.register()
