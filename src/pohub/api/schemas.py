"""Shapes of the answers, for the OpenAPI document, and the small request bodies that are not
Logicbroker documents."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ErrorItem(BaseModel):
    Field: str
    Error: str


class ErrorBody(BaseModel):
    model_config = ConfigDict(extra="allow")
    Code: str
    Message: str
    Errors: list[ErrorItem] | None = None


class CreatedBody(BaseModel):
    LogicbrokerKey: str
    OrderStatusCode: int


class CreatedMessage(BaseModel):
    Code: str
    Message: str
    Body: CreatedBody


class ArrayResponse(BaseModel):
    model_config = ConfigDict(extra="allow")
    Records: list[Any]
    TotalPages: int
    CurrentPage: int
    TotalRecords: int


class Message(BaseModel):
    Code: str
    Message: str
    Body: Any = None


class BulkStatusUpdateRequest(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)
    status: str | int = Field(alias="Status", description="New status: a code (200) or a name (Acknowledged)")
    only_increase_status: bool | None = Field(
        default=None,
        alias="OnlyIncreaseStatus",
        description="Only update documents in an earlier status than the one given",
    )
    logicbroker_keys: list[str | int] = Field(alias="LogicbrokerKeys", max_length=1000)


_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in [
        (400, "Malformed JSON"),
        (401, "No or unknown API key"),
        (403, "Not connected, the sender is not the caller, or the caller's side may not set that status"),
        (404, "No such document for this caller"),
        (409, "Duplicate, or a status move the lifecycle does not allow"),
        (413, "Body too large"),
        (422, "A field breaks a rule; Errors names it"),
    ]
}
CREATE_RESPONSES: dict[int | str, dict[str, Any]] = {
    201: {"model": CreatedMessage, "description": "Created"},
    200: {
        "model": CreatedMessage,
        "description": "Already received: the first document's key, nothing changed",
    },
    **_ERRORS,
}
SEARCH_RESPONSES: dict[int | str, dict[str, Any]] = {200: {"model": ArrayResponse}, **_ERRORS}
BULK_RESPONSES = SEARCH_RESPONSES
DOCUMENT_RESPONSES: dict[int | str, dict[str, Any]] = {200: {"model": Message}, **_ERRORS}
STATUS_RESPONSES = DOCUMENT_RESPONSES
EVENTS_RESPONSES = DOCUMENT_RESPONSES


def body(schema_name: str, examples: dict[str, Any] | None = None) -> dict[str, Any]:
    """openapi_extra for a route that reads its JSON body itself (to keep it byte for byte)."""
    content: dict[str, Any] = {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}
    if examples:
        content["examples"] = examples
    return {"requestBody": {"required": True, "content": {"application/json": content}}}
