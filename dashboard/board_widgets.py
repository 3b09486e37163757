"""The board's cards that are not charts: the KPI cards and the channel health strip."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import dash_mantine_components as dmc
from dash import Output

from dashboard.formatting import change, duration, moment, number, percent
from dashboard.i18n import t
from dashboard.theme import BAD, GOOD, NEUTRAL, STALE
from metrics.board import KPI_CARDS
from metrics.board_document import ChannelHealth, Kpi, WindowFigures


def shown(card: Kpi, value: float | None, lang: str) -> str:
    """A KPI value in its unit, as the card writes it."""
    if card.unit == "hours":
        return duration(value, lang)
    if card.unit == "share":
        return percent(value, lang)
    return number(value, lang)


KPI_KEYS = tuple(key for key, _better, _unit in KPI_CARDS)
KPI_PARTS = (("value", "children"), ("change", "children"), ("change", "color"),
             ("against", "children"), ("now", "children"))  # fmt: skip
"""What a refresh sets on each card: new values in cards that stay cost the browser far less
than drawing new cards (measured: about 45 ms of every board refresh at ten cards)."""


def _part(key: str, name: str) -> str:
    return f"board-kpi-{key}-{name}"


def kpi_cards() -> list[dmc.Card]:
    """The cards, in display order, for ``kpi_values`` to fill."""
    return [_kpi_card(key) for key in KPI_KEYS]


def _kpi_card(key: str) -> dmc.Card:
    value = dmc.Text("–", id=_part(key, "value"), fw=700, size="xl")
    badge = dmc.Badge("–", id=_part(key, "change"), variant="light", color=NEUTRAL)
    lines = [
        dmc.Text(id=_part(key, "label"), size="sm", c="dimmed"),
        dmc.Group([value, badge], justify="space-between", wrap="nowrap"),
        dmc.Text(id=_part(key, "against"), size="xs", c="dimmed"),
        dmc.Text(id=_part(key, "now"), size="xs"),
    ]
    return dmc.Card(dmc.Stack(lines, gap=4), id=f"board-kpi-{key}", padding="sm")


def kpi_outputs() -> list[Output]:
    return [Output(_part(key, name), prop) for key in KPI_KEYS for name, prop in KPI_PARTS]


def kpi_label_outputs() -> list[Output]:
    return [Output(_part(key, "label"), "children") for key in KPI_KEYS]


def kpi_labels(lang: str) -> list[str]:
    return [t(f"kpi.{key}", lang) for key in KPI_KEYS]


def kpi_values(board: WindowFigures, lang: str) -> list[Any]:
    """The values of ``kpi_outputs``, in their order."""
    cards = {card.key: card for card in board.kpis}
    return [value for key in KPI_KEYS for value in _kpi_parts(cards[key], lang)]


def _kpi_parts(card: Kpi, lang: str) -> tuple[str, str, str, str, str]:
    improved = card.improved
    colour = NEUTRAL if improved is None else GOOD if improved else BAD
    against = (
        f"{t('board.vs_last_week', lang)} {shown(card, card.previous, lang)}"
        if card.previous is not None
        else t("board.no_previous", lang)
    )
    now = "" if card.now is None else f"{t('board.now', lang)} {number(card.now, lang)}"
    return shown(card, card.value, lang), change(card.change_pct, lang), colour, against, now


def channel_strip(channels: list[ChannelHealth], zone: ZoneInfo, lang: str) -> Any:
    if not channels:
        return dmc.Text(t("channels.none", lang), c="dimmed")
    return dmc.SimpleGrid(
        [channel_card(health, zone, lang) for health in channels],
        cols={"base": 1, "sm": 2, "lg": 4},
        spacing="sm",
    )


def channel_card(health: ChannelHealth, zone: ZoneInfo, lang: str) -> dmc.Paper:
    border = BAD if health.stale else STALE if health.consecutive_failures else "gray"
    state = t("channels.stale" if health.stale else "channels.ok", lang)
    last = (
        moment(health.last_success_at, zone, lang)
        if health.last_success_at
        else t("channels.never", lang)
    )
    facts = (
        (t("channels.last_sync", lang), last),
        (t("channels.lag", lang), duration((health.lag_minutes or 0) / 60, lang)),
        (t("channels.failures", lang), number(health.consecutive_failures, lang)),
        (t("channels.quarantined", lang), number(health.quarantined, lang)),
    )
    return dmc.Paper(
        dmc.Stack(
            [
                dmc.Group(
                    [
                        dmc.Text(health.name, fw=600),
                        dmc.Badge(state, color=BAD if health.stale else GOOD, variant="light"),
                    ],
                    justify="space-between",
                ),
                *(
                    dmc.Group(
                        [dmc.Text(k, size="xs", c="dimmed"), dmc.Text(v, size="xs")],
                        justify="space-between",
                    )
                    for k, v in facts
                ),
                *(
                    [dmc.Text(health.last_error, size="xs", c=BAD, lineClamp=2)]
                    if health.last_error
                    else []
                ),
            ],
            gap=2,
        ),
        id=f"board-channel-{health.name}",
        p="sm",
        style={"borderColor": f"var(--mantine-color-{border}-5)"},
        **{"data-stale": "true" if health.stale else "false"},
    )
