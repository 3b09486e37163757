"""The typed documents are what the README and the OpenAPI document say they are."""

from __future__ import annotations

import re
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.orm import sessionmaker

from dashboard.api import create_api
from metrics.documents import MetricsDocument

README = Path(__file__).parents[2] / "README.md"


def _readme_keys() -> set[str]:
    text = README.read_text(encoding="utf-8")
    table = text.split("### The metrics document", 1)[1].split("The compare document", 1)[0]
    keys: set[str] = set()
    for row in table.splitlines():
        if not row.startswith("| `"):
            continue
        first_cell = row.split("|")[1]
        top_level = re.sub(r"\{[^}]*\}|\[[^\]]*\]", "", first_cell)  # nested keys left out
        keys |= set(re.findall(r"`(\w+)`", top_level))
    return keys


def test_the_readme_table_names_every_key_of_the_document() -> None:
    assert _readme_keys() == {
        field.alias or name for name, field in MetricsDocument.model_fields.items()
    }


def test_the_openapi_document_describes_every_document() -> None:
    document = create_api(sessionmaker(), zone=ZoneInfo("Asia/Shanghai")).openapi()
    answers = {
        path: document["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
        for path in ("/v1/metrics", "/v1/metrics/compare", "/v1/orders/{order_no}/explain")
    }
    assert {
        path: answer["schema"]["$ref"].rsplit("/", 1)[1] for path, answer in answers.items()
    } == {
        "/v1/metrics": "MetricsDocument",
        "/v1/metrics/compare": "Comparison",
        "/v1/orders/{order_no}/explain": "Explanation",
    }
    schemas = document["components"]["schemas"]
    assert set(schemas["ZonedPeriod"]["properties"]) == {"from", "to", "timezone"}
    late = schemas["LateShipments"]["properties"]["shipped_with_promise"]
    assert late["description"] == "Orders shipped in the window that had a ship-by promise."
    explanation = schemas["Explanation"]["properties"]
    assert {"deadlines", "waiting_for", "can_unblock", "risk", "summary"} <= set(explanation)
