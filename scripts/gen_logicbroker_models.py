"""Generate src/pohub/documents/logicbroker.py from the published Logicbroker definitions.

Run from the project root: ``python scripts/gen_logicbroker_models.py``. The input is the copy of the
definitions kept in tests/fixtures/reference, so the generated models and the alias test read the
same source. Aliases are written out one by one: the platform's casing is irregular (PartnerPO,
SupplierSKU, QuantityUOM, BillofLading), so no alias generator can produce it.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "tests/fixtures/reference/logicbroker-v3-definitions.md"
TARGET = ROOT / "src/pohub/documents/logicbroker.py"

DOCUMENTS = [
    "DataAttribute",
    "ItemIdentifier",
    "EntityIdentifier",
    "Contact",
    "Discount",
    "Tax",
    "PaymentTerm",
    "Payment",
    "ShipmentInfo",
    "OrderLine",
    "AckLine",
    "SalesOrder",
    "Acknowledgement",
    "Shipment",
    "Invoice",
]
# Fields the hub reads to apply a document: typed more tightly than the definitions say.
LINE_NUMBER = "LineNumber"

# The longest string each field takes, in characters. The published definitions give no maxLength
# for any of these fields, so pohub decides, once, here: the generated models refuse anything longer
# with a 422 naming the field and the limit, and every database column a field is copied into is at
# least this wide on both backends (documents/models.py). The README's table is this one.
IDENTIFIER = 100  # numbers, keys, SKUs: documents.partner_po / number / source_key, order_lines.*_sku
NAME = 100  # names and address parts
CODE = 50  # codes from a code list (carrier, class, tax, currency, ...)
UNIT = 20  # units of measure: order_lines.uom
FREE_TEXT = 4000  # notes and extended attribute values (stored only in the body as received)
LIMITS: dict[str, int] = {
    **dict.fromkeys(
        [
            "PartnerPO",
            "SupplierPO",
            "OrderNumber",
            "VendorNumber",
            "CustomerNumber",
            "DepartmentNumber",
            "ReleaseNumber",
            "AcknowledgementNumber",
            "ShipmentNumber",
            "InvoiceNumber",
            "UpdateRequestNumber",
            "BillofLading",
            "PRONumber",
            "SupplierSKU",
            "PartnerSKU",
            "ParentSKU",
            "ManufacturerSKU",
            "ExternalSKU",
            "ASIN",
            "UPC",
            "ISBN",
            "SerialNumber",
            "SourceKey",
            "LogicbrokerKey",
            "DestinationKey",
            "LinkKey",
            "TrackingNumber",
            "ContainerCode",
            "ShipmentContainerParentCode",
            "SellerFullfillmentId",
            "ContactID",
            "ReferenceId",
            "TaxNumber",
            "AddressCode",
        ],
        IDENTIFIER,
    ),
    **dict.fromkeys(
        [
            "CompanyName",
            "FirstName",
            "LastName",
            "Title",
            "Address1",
            "Address2",
            "City",
            "State",
            "Country",
            "Province",
            "Zip",
            "Phone",
            "FaxNumber",
            "DiscountName",
            "TaxTitle",
            "Name",
            "Section",
        ],
        NAME,
    ),
    **dict.fromkeys(
        [
            "TypeCode",
            "PriceCode",
            "WarehouseCode",
            "CarrierCode",
            "ClassCode",
            "SenderClassCode",
            "ReceiverClassCode",
            "ServiceLevelCode",
            "ContainerType",
            "DiscountCode",
            "TaxCode",
            "StateCode",
            "CountryCode",
            "Method",
            "Currency",
        ],
        CODE,
    ),
    **dict.fromkeys(["QuantityUOM", "WeightUOM", "DimensionUnit", "WeightUnit"], UNIT),
    LINE_NUMBER: 50,  # order_lines.line_number
    "Email": 254,  # the longest address SMTP carries (RFC 5321)
    "Description": 500,  # order_lines.description
    "ChangeReason": 200,  # order_lines.change_reason
    "ServiceLevelDescription": 200,
    "TermsDescription": 200,
    "Note": FREE_TEXT,
    "Value": FREE_TEXT,
}


def parse_tables(text: str) -> dict[str, list[tuple[str, str, bool]]]:
    tables: dict[str, list[tuple[str, str, bool]]] = {}
    current: str | None = None
    for line in text.splitlines():
        if line.startswith("## "):
            current = line[3:].strip()
            tables[current] = []
        elif current and line.startswith("| ") and not line.startswith("| field") and "---" not in line:
            cells = [c.strip() for c in line.strip("|").split("|")]
            name, typ = cells[0], cells[1]
            required = name.endswith("*")
            tables[current].append((name.rstrip("*"), typ, required))
    return tables


def snake(name: str) -> str:
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    return s.lower()


def py_type(field: str, typ: str) -> str:
    if field == LINE_NUMBER:
        limit = LIMITS[field]
        return f"Annotated[str, StringConstraints(max_length={limit}), LineNumberInput, NoNul, LineNumberSchema]"
    if typ == "string":
        if field not in LIMITS:
            raise SystemExit(f"{field}: a string field with no limit; add it to LIMITS")
        return f"Annotated[str, StringConstraints(max_length={LIMITS[field]}), NoNul]"
    if typ.startswith("["):
        return f"list[{typ.strip('[]')}]"
    if typ.startswith("integer(int32) enum"):
        values = typ.split("enum", 1)[1].strip()
        # The platform sends these as numbers or digit strings (seed 002: "SalesRequirement": "0").
        return f"Annotated[Literal[{', '.join(values.split(','))}], BeforeValidator(int_like)]"
    return {
        "string(date-time)": "LBDateTime",
        "number(double)": "Money",
        "integer(int32)": "Int32",
        "boolean": "bool",
    }.get(typ, typ)


def main() -> None:
    tables = parse_tables(SOURCE.read_text())
    out = [
        '"""Logicbroker document models, generated by scripts/gen_logicbroker_models.py. Do not edit.',
        "",
        "Field names are snake_case in Python and the platform's own spelling on the wire (aliases).",
        "Unknown fields are kept (extra='allow'): every document is stored as received.",
        "Every string has its limit (max_length, in characters), decided in the generator's LIMITS table.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from typing import Annotated, Literal",
        "",
        "from pydantic import BeforeValidator, Field, StringConstraints",
        "",
        "from pohub.documents.types import (",
        "    Int32,",
        "    LBDateTime,",
        "    LBModel,",
        "    LineNumberInput,",
        "    LineNumberSchema,",
        "    Money,",
        "    NoNul,",
        "    int_like,",
        ")",
        "",
    ]
    for doc in DOCUMENTS:
        out += ["", "", f"class {doc}(LBModel):"]
        for name, typ, required in tables[doc]:
            t = py_type(name, typ)
            if required:
                out.append(f'    {snake(name)}: {t} = Field(alias="{name}")')
            else:
                out.append(f'    {snake(name)}: {t} | None = Field(default=None, alias="{name}")')
    out += ["", "", "for _model in LBModel.__subclasses__():", "    _model.model_rebuild()", ""]
    TARGET.write_text("\n".join(out))
    print(f"wrote {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
