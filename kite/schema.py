"""OpenAPI post-processing: document the error answers every endpoint can give, in docs/api.md's shape."""

from __future__ import annotations

ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error: a readable `detail` and a stable `code`; some codes add numbers (quota).",
    "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
    "required": ["detail", "code"],
    "additionalProperties": True,
}
ERROR_REF = {"$ref": "#/components/schemas/Error"}
DESCRIPTIONS = {
    "400": "Bad input; nothing was changed.",
    "401": "Authentication credentials were missing or wrong.",
    "403": "Not allowed (system topics are staff-only).",
    "404": "Not found, or not yours.",
    "409": "Conflict with the current state.",
    "413": "Too large for the quota or the maximum upload size.",
    "429": "Too many failed attempts; try again later.",
    "503": "A service Kite depends on is unavailable; nothing was changed.",
}


def _error_response(status: str) -> dict:
    return {"description": DESCRIPTIONS[status], "content": {"application/json": {"schema": ERROR_REF}}}


def add_error_responses(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            wanted = set()
            if operation.get("security") != [{}]:
                wanted.add("401")
            parameters = {p.get("name") for p in operation.get("parameters", [])}
            if "{" in path or "page" in parameters:  # an unknown page is a 404 too
                wanted.add("404")
            if "requestBody" in operation or operation.get("parameters"):
                wanted.add("400")
            for status in wanted:
                responses.setdefault(status, _error_response(status))
            for status, response in responses.items():
                if status in DESCRIPTIONS and "content" not in response:
                    response["content"] = {"application/json": {"schema": ERROR_REF}}
    return result
