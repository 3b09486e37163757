"""Each notifier's signing against its provider's published example.

The vectors in ``vectors/`` are copies of /work/shared/research/alert-vectors/; each file's
``source`` field names where the values were published (an official SDK test or doc page).
DingTalk and Feishu publish the algorithm and code but no fixed input → output pair, so
their signatures are checked by the loopback fakes in test_notifiers_robots.py, which
recompute them the way the official snippets do.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from alerts.notifiers import aliyun_sms, tencent_sms, twilio_sms, webhook

VECTORS = Path(__file__).parent / "vectors"


def vector(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((VECTORS / f"{name}.json").read_text())
    return data


def test_standard_webhooks_sign_example() -> None:
    """standard-webhooks libraries/javascript/src/webhook.test.ts, "sign function works"."""
    v = vector("standard_webhooks_v1_sign")
    got = webhook.signature(v["secret"], v["msg_id"], v["timestamp"], v["payload"])
    assert got == v["expected_signature_header"]


def test_aliyun_rpc_v1_documented_example() -> None:
    """AlibabaCloudDocs/ecs "Request signatures", Example 1 (DescribeRegions, GET)."""
    v = vector("aliyun_rpc_v1_describeregions")
    assert aliyun_sms.string_to_sign("GET", v["params"]) == v["expected_string_to_sign"]
    got = aliyun_sms.signature(v["access_key_secret"], "GET", v["params"])
    assert got == v["expected_signature"]
    assert aliyun_sms.percent_encode(got) == v["expected_signature_urlencoded"]


def test_aliyun_sendsms_example_with_a_chinese_sign_name() -> None:
    """help.aliyun.com/document_detail/101343 SendSms walkthrough (multi-byte SignName)."""
    v = vector("aliyun_sms_sendsms_rpc_v1")
    assert aliyun_sms.canonical_query(v["params"]) == v["expected_sorted_query_string"]
    assert aliyun_sms.string_to_sign("GET", v["params"]) == v["expected_string_to_sign"]
    assert (
        aliyun_sms.signature(v["access_key_secret"], "GET", v["params"])
        == (v["expected_signature"])
    )


def test_aliyun_percent_encoding_rules() -> None:
    """RFC 3986 as the doc states: space %20 (never '+'), '*' %2A, '~' kept."""
    assert aliyun_sms.percent_encode("a b*c~d+e/") == "a%20b%2Ac~d%2Be%2F"


def test_tencent_tc3_documented_example() -> None:
    """Tencent Cloud "Signature v3" worked example (CVM DescribeInstances)."""
    v = vector("tencent_tc3_cvm_describeinstances")
    got = tencent_sms.tc3_signature(
        v["secret_key"],
        service=v["service"],
        host=v["host"],
        timestamp=v["timestamp"],
        payload=v["payload"].encode(),
    )
    assert got == v["expected_signature"]


def test_twilio_form_callback_signature() -> None:
    """twilio-python tests/unit/test_request_validator.py test_compute_signature."""
    v = vector("twilio_signature_form_params")
    params = list(v["params"].items())
    assert twilio_sms.signature(v["auth_token"], v["url"], params) == v["expected_signature"]
    assert twilio_sms.valid_callback(
        v["auth_token"], v["url"], v["expected_signature"], params=params
    )
    assert not twilio_sms.valid_callback(
        v["auth_token"], v["url"] + "&x=1", v["expected_signature"], params=params
    )


def test_twilio_signature_over_the_url_with_port_443() -> None:
    """test_validation_adds_port_on_https: Twilio may sign the URL with its default port."""
    v = vector("twilio_signature_url_with_port_443")
    params = list(v["params"].items())
    assert (
        twilio_sms.signature(v["auth_token"], v["url_signed"], params) == (v["expected_signature"])
    )
    assert twilio_sms.valid_callback(
        v["auth_token"], v["url_received"], v["expected_signature"], params=params
    )


def test_twilio_signature_without_the_port_a_proxy_added() -> None:
    """test_validation_removes_port_on_https: the port on the URL we saw is not signed."""
    v = vector("twilio_signature_form_params")
    with_port = v["url"].replace("mycompany.com", "mycompany.com:1234")
    assert twilio_sms.valid_callback(
        v["auth_token"], with_port, v["expected_signature"], params=list(v["params"].items())
    )


def test_twilio_repeated_keys_sort_by_value() -> None:
    """test_compute_signature_duplicate_multi_dict."""
    v = vector("twilio_signature_duplicate_params")
    params = [(key, value) for key, value in v["params_ordered_pairs"]]
    assert twilio_sms.signature(v["auth_token"], v["url"], params) == v["expected_signature"]


def test_twilio_json_body_signature_checks_the_body_hash() -> None:
    """test_validation_of_body_succeeds: bodySHA256 in the URL, no parameters signed."""
    v = vector("twilio_signature_json_body")
    body = v["body"].encode()
    url = v["url_with_body_hash"]
    assert twilio_sms.valid_callback(v["auth_token"], url, v["expected_signature"], body=body)
    assert not twilio_sms.valid_callback(
        v["auth_token"], url, v["expected_signature"], body=body + b" "
    )
