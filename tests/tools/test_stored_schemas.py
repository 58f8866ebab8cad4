"""The schemas the server reads at start-up (`tools/schemas.json`) are exactly what the models generate.

Generating six tools' schemas was most of what building the server cost before its first `tools/list`, so
`scripts/gen_docs.py` stores them ahead; this test fails when a model changed and the file was not
regenerated, and the schema snapshots (test_schema_snapshot.py) still check what is published."""

from __future__ import annotations

import json

from ccc_mcp.tools.registry import TOOLS
from ccc_mcp.tools.results import CallControlResult
from ccc_mcp.tools.schema import STORED_SCHEMAS, model_schema, stored_schemas, tool_models


def test_the_stored_schemas_are_what_the_models_generate() -> None:
    stored = json.loads(STORED_SCHEMAS.read_text(encoding="utf-8"))
    assert stored == stored_schemas(tool_models(TOOLS)), "stale: run python scripts/gen_docs.py"


def test_every_tool_model_has_a_stored_schema_in_both_forms_of_its_arguments() -> None:
    models = tool_models(TOOLS)
    with_user = [spec for spec in TOOLS if "user_id" in spec.arguments.model_fields]
    assert len(models) == 2 * len(TOOLS) + len(with_user)
    distinct = set(models)  # the four call-control tools share one result model
    assert len(stored_schemas(models)) == len(distinct), "each model, and each form of the arguments, has its own key"


def test_a_model_schema_is_a_copy_callers_may_change() -> None:
    first = model_schema(CallControlResult, "serialization")
    first["properties"].clear()
    [generated] = stored_schemas([(CallControlResult, "serialization")]).values()
    assert model_schema(CallControlResult, "serialization") == generated
