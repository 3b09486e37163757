"""What the log redactor removes, in the forms exceptions and libraries quote it."""

from __future__ import annotations

import pytest

from orderwatch.redact import REDACTED, Redactor

REDACTOR = Redactor(known=["Hx3-k9Qm2vT7pL0sWc8Ny4bRz1Jd6Fg5Ue"])


@pytest.mark.parametrize(
    ("text", "kept", "gone"),
    [
        ("{'buyer_name': '张三', 'x': 1}", "'x': 1", "张三"),
        ('{"post_tel":"13812345678","post_receiver":"李四"}', "post_tel", "李四"),
        ("GET /x?access_token=abc123def&page=2", "page=2", "abc123def"),
        ("Authorization: Bearer owt_abcdefghijklmnop", "Authorization", "abcdefghijklmnop"),
        ("postgresql://ow:pw-123@db/ow", "@db/ow", "pw-123"),
        ("[SQL: INSERT INTO t VALUES (?)]\n[parameters: ('张三', 'a]b')]\n(Background on this",
         "[SQL: INSERT", "张三"),
        ("DETAIL:  Failing row contains (1, 张三, 北京).", "DETAIL:", "张三"),
        ('CONTEXT:  COPY orders, line 1: "1\tOW1\t张三"', "COPY orders, line 1", "张三"),
        ("1 error\n  input_value={'phone': 1}, input_type=dict]", "input_type=dict", "phone"),
        ("call +8613812345678 or 13912345678", "call", "3812345678"),
        ("mail li@example.com", "mail", "li@example.com"),
        ("key Hx3-k9Qm2vT7pL0sWc8Ny4bRz1Jd6Fg5Ue used", "used", "Hx3-k9Qm2v"),
    ],
)  # fmt: skip
def test_text_loses_what_it_quotes(text: str, kept: str, gone: str) -> None:
    redacted = REDACTOR.text(text)
    assert kept in redacted
    assert gone not in redacted


def test_a_traceback_source_line_stays_readable_and_order_numbers_stay() -> None:
    line = "    token = await run_in_threadpool(verify_token, session, secret)  OW0000000042"
    assert REDACTOR.text(line) == line


def test_sensitive_keys_are_replaced_whole_at_any_depth() -> None:
    event = {
        "event": "push.failed",
        "app_secret": "s3cret",
        "receiverPhone": "13812345678",
        "nested": {"password": "p", "rows": [{"buyer_address": "北京"}]},
        "count": 3,
        "missing_phone": None,
    }
    assert REDACTOR.mapping(event) == {
        "event": "push.failed",
        "app_secret": REDACTED,
        "receiverPhone": REDACTED,
        "nested": {"password": REDACTED, "rows": [{"buyer_address": REDACTED}]},
        "count": 3,
        "missing_phone": None,
    }


def test_other_objects_are_redacted_as_they_would_be_rendered() -> None:
    class Holder:
        def __repr__(self) -> str:
            return "Holder(phone='13812345678')"

    assert "13812345678" not in REDACTOR.value(Holder())
