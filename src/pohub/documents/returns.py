"""Wire models of returns (RMAs): the buyer's Return as the platform publishes it (`Return`,
`ReturnLine`), and the supplier's answers to it, which the platform leaves to status changes but
which carry data pohub checks (the RMA number, the units received and their condition, the credit).
Written by hand from the reference's definitions; field names are the platform's."""

from __future__ import annotations

from pydantic import Field

from pohub.documents.logicbroker import Contact, DataAttribute, EntityIdentifier, ItemIdentifier
from pohub.documents.types import Int32, LBDateTime, LBModel, LineNumber, Money


class ReturnLine(LBModel):
    item_identifier: ItemIdentifier | None = Field(default=None, alias="ItemIdentifier")
    quantity: Int32 | None = Field(default=None, alias="Quantity")
    price: Money | None = Field(default=None, alias="Price")
    price_code: str | None = Field(default=None, alias="PriceCode", max_length=50)
    retail_price: Money | None = Field(default=None, alias="RetailPrice")
    quantity_uom: str | None = Field(default=None, alias="QuantityUOM", max_length=20)
    return_reason: str | None = Field(default=None, alias="ReturnReason", max_length=500)
    return_reason_code: str | None = Field(default=None, alias="ReturnReasonCode", max_length=50)
    description: str | None = Field(default=None, alias="Description", max_length=500)
    line_number: LineNumber | None = Field(default=None, alias="LineNumber")
    extended_attributes: list[DataAttribute] | None = Field(default=None, alias="ExtendedAttributes")


class Return(LBModel):
    ship_to_address: Contact | None = Field(default=None, alias="ShipToAddress")
    bill_to_address: Contact | None = Field(default=None, alias="BillToAddress")
    ship_from_address: Contact | None = Field(default=None, alias="ShipFromAddress")
    ordered_by_address: Contact | None = Field(default=None, alias="OrderedByAddress")
    return_number: str | None = Field(default=None, alias="ReturnNumber", max_length=100)
    return_date: LBDateTime | None = Field(default=None, alias="ReturnDate")
    order_number: str | None = Field(default=None, alias="OrderNumber", max_length=100)
    order_date: LBDateTime | None = Field(default=None, alias="OrderDate")
    partner_po: str | None = Field(default=None, alias="PartnerPO", max_length=100)
    vendor_number: str | None = Field(default=None, alias="VendorNumber", max_length=100)
    note: str | None = Field(default=None, alias="Note", max_length=4000)
    extended_attributes: list[DataAttribute] | None = Field(default=None, alias="ExtendedAttributes")
    return_lines: list[ReturnLine] = Field(alias="ReturnLines")
    sender_company_id: Int32 | None = Field(default=None, alias="SenderCompanyId")
    receiver_company_id: Int32 | None = Field(default=None, alias="ReceiverCompanyId")
    identifier: EntityIdentifier | None = Field(default=None, alias="Identifier")
    document_date: LBDateTime | None = Field(default=None, alias="DocumentDate")
    status_code: Int32 | None = Field(default=None, alias="StatusCode")


class ReturnAuthorisation(LBModel):
    """The supplier agrees to take the units back under its RMA number."""

    rma_number: str | None = Field(default=None, alias="RMANumber", max_length=100)
    note: str | None = Field(default=None, alias="Note", max_length=500)


class ReturnRejection(LBModel):
    """The supplier refuses the return; the reason is shown to the buyer."""

    reason: str | None = Field(default=None, alias="Reason", max_length=500)


class ReceiptLine(LBModel):
    line_number: LineNumber | None = Field(default=None, alias="LineNumber")
    item_identifier: ItemIdentifier | None = Field(default=None, alias="ItemIdentifier")
    quantity: Int32 | None = Field(default=None, alias="Quantity")
    condition: str | None = Field(default=None, alias="Condition", max_length=50)


class ReturnReceipt(LBModel):
    """Units of the return that reached the supplier, and in what condition."""

    receipt_number: str | None = Field(default=None, alias="ReceiptNumber", max_length=100)
    receipt_lines: list[ReceiptLine] = Field(alias="ReceiptLines")


class CreditLine(LBModel):
    line_number: LineNumber | None = Field(default=None, alias="LineNumber")
    item_identifier: ItemIdentifier | None = Field(default=None, alias="ItemIdentifier")
    quantity: Int32 | None = Field(default=None, alias="Quantity")
    price: Money | None = Field(default=None, alias="Price")


class CreditMemo(LBModel):
    """The supplier's credit for received units: its own document (kind ``credit``), see docs/returns.md."""

    credit_number: str | None = Field(default=None, alias="CreditNumber", max_length=100)
    credit_lines: list[CreditLine] = Field(alias="CreditLines")
    note: str | None = Field(default=None, alias="Note", max_length=500)
    document_date: LBDateTime | None = Field(default=None, alias="DocumentDate")
