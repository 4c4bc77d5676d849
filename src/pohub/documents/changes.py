"""Wire models of a buyer's change to an open PO (X12 860) and the supplier's answer to it (865).
The platform's v3 reference has no change document; these follow its naming (LineNumber,
ItemIdentifier, Quantity, Price, RequestedShipDate)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pohub.documents.logicbroker import DataAttribute, EntityIdentifier, ItemIdentifier
from pohub.documents.types import Int32, LBDateTime, LBModel, LineNumber, Money

ChangeAction = Literal["Change", "Add", "Cancel"]


class ChangeLine(LBModel):
    line_number: LineNumber | None = Field(default=None, alias="LineNumber")
    action: ChangeAction = Field(default="Change", alias="Action")
    item_identifier: ItemIdentifier | None = Field(default=None, alias="ItemIdentifier")
    quantity: Int32 | None = Field(default=None, alias="Quantity")
    price: Money | None = Field(default=None, alias="Price")
    requested_ship_date: LBDateTime | None = Field(default=None, alias="RequestedShipDate")
    description: str | None = Field(default=None, alias="Description", max_length=500)
    quantity_uom: str | None = Field(default=None, alias="QuantityUOM", max_length=20)
    reason: str | None = Field(default=None, alias="Reason", max_length=200)


class OrderChange(LBModel):
    change_number: str | None = Field(default=None, alias="ChangeNumber", max_length=100)
    cancel_order: bool | None = Field(default=None, alias="CancelOrder")
    reason: str | None = Field(default=None, alias="Reason", max_length=200)
    change_lines: list[ChangeLine] = Field(default_factory=list, alias="ChangeLines")
    partner_po: str | None = Field(default=None, alias="PartnerPO", max_length=100)
    sender_company_id: Int32 | None = Field(default=None, alias="SenderCompanyId")
    receiver_company_id: Int32 | None = Field(default=None, alias="ReceiverCompanyId")
    identifier: EntityIdentifier | None = Field(default=None, alias="Identifier")
    document_date: LBDateTime | None = Field(default=None, alias="DocumentDate")
    extended_attributes: list[DataAttribute] | None = Field(default=None, alias="ExtendedAttributes")


class AnswerLine(LBModel):
    line_number: LineNumber | None = Field(default=None, alias="LineNumber")
    accept: bool | None = Field(default=None, alias="Accept")
    reason: str | None = Field(default=None, alias="Reason", max_length=200)


class ChangeAnswer(LBModel):
    """Accept or reject the whole change (Accept), or line by line (Lines); a line not named takes Accept."""

    accept: bool | None = Field(default=None, alias="Accept")
    reason: str | None = Field(default=None, alias="Reason", max_length=200)
    lines: list[AnswerLine] = Field(default_factory=list, alias="Lines")
