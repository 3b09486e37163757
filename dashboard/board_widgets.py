"""The board's cards that are not charts: the KPI cards and the channel health strip."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import dash_mantine_components as dmc

from dashboard.formatting import change, duration, moment, number, percent
from dashboard.i18n import t
from dashboard.theme import BAD, GOOD, NEUTRAL, STALE
from metrics.board_document import ChannelHealth, Kpi, WindowFigures


def shown(card: Kpi, value: float | None, lang: str) -> str:
    """A KPI value in its unit, as the card writes it."""
    if card.unit == "hours":
        return duration(value, lang)
    if card.unit == "share":
        return percent(value, lang)
    return number(value, lang)


def kpi_grid(board: WindowFigures, lang: str) -> list[dmc.Card]:
    return [kpi_card(card, lang) for card in board.kpis]


def kpi_card(card: Kpi, lang: str) -> dmc.Card:
    improved = card.improved
    colour = NEUTRAL if improved is None else GOOD if improved else BAD
    against = (
        f"{t('board.vs_last_week', lang)} {shown(card, card.previous, lang)}"
        if card.previous is not None
        else t("board.no_previous", lang)
    )
    lines: list[Any] = [
        dmc.Text(t(f"kpi.{card.key}", lang), size="sm", c="dimmed"),
        dmc.Group(
            [
                dmc.Text(shown(card, card.value, lang), id=f"board-kpi-{card.key}-value",
                         fw=700, size="xl", **{"data-value": _raw(card.value)}),
                dmc.Badge(change(card.change_pct, lang), color=colour, variant="light",
                          id=f"board-kpi-{card.key}-change"),
            ],
            justify="space-between",
            wrap="nowrap",
        ),
        dmc.Text(against, size="xs", c="dimmed"),
    ]  # fmt: skip
    if card.now is not None:
        lines.append(dmc.Text(f"{t('board.now', lang)} {number(card.now, lang)}", size="xs"))
    return dmc.Card(dmc.Stack(lines, gap=4), id=f"board-kpi-{card.key}", padding="sm")


def _raw(value: float | None) -> str:
    return "" if value is None else repr(value)


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
