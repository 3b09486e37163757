"""Counts in text: "1 order", "3 orders", from numbers and from the console's formatted ones."""

from __future__ import annotations

import pytest

from store.wording import say


@pytest.mark.parametrize(
    ("count", "said"),
    [(1, "1 order waits"), (0, "0 orders waits"), (3, "3 orders waits"), ("1", "1 order waits"),
     ("1,234", "1,234 orders waits")],
)  # fmt: skip
def test_a_count_takes_the_word_its_number_needs(count: object, said: str) -> None:
    assert say("{n:order|orders} waits", {"n": count}) == said


def test_other_fields_keep_their_format() -> None:
    facts = {"share": 0.4567, "n": 2, "who": "王芳"}
    assert say("{who}: {share:.1%} of {n:entry|entries}", facts) == "王芳: 45.7% of 2 entries"


def test_a_missing_fact_is_a_key_error_as_with_format_map() -> None:
    with pytest.raises(KeyError):
        say("{n:order|orders}", {})
