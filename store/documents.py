"""The base of the typed documents the layers answer with (the metrics document, the explain
answer, flow health findings): the REST API serves them as they are and its OpenAPI document
describes them; the CLI prints the same JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, PlainSerializer, WithJsonSchema

IsoTime = Annotated[
    datetime,
    PlainSerializer(datetime.isoformat, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
"""A time written as ``isoformat()`` writes it, with the offset it carries (``+08:00``,
``+00:00``) rather than pydantic's ``Z``: the JSON stays what scripts already read."""


class Document(BaseModel):
    """A document or a part of one: read-only, described by its attribute docstrings, written
    with its JSON keys (``from``) and built by field name (``from_``)."""

    model_config = ConfigDict(
        frozen=True,
        use_attribute_docstrings=True,
        serialize_by_alias=True,
        validate_by_name=True,
        validate_by_alias=True,
    )
