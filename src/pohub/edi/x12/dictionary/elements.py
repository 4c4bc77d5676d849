"""Data elements: reference number, type, minimum and maximum length, and the code lists pohub enforces.

Types: AN string, ID code, N0/N2 integers with 0/2 implied decimals (TDS01 and SAC05 are cents), R decimal,
DT date, TM time, C a composite whose components are not checked. Lengths count digits only for numbers.
Code lists are enforced only where pohub maps every code; elsewhere any value of the right shape passes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Element:
    ref: str
    type: str
    min: int
    max: int
    name: str
    codes: frozenset[str] | None = None


# ref type min max name
_TABLE = """
19 AN 2 30 City Name
26 ID 2 3 Country Code
28 N0 1 9 Group Control Number
66 ID 1 2 Identification Code Qualifier
67 AN 2 80 Identification Code
91 ID 1 2 Transportation Method/Type Code
92 ID 2 2 Purchase Order Type Code
93 AN 1 60 Name
96 N0 1 10 Number of Included Segments
97 N0 1 6 Number of Transaction Sets Included
98 ID 2 3 Entity Identifier Code
100 ID 3 3 Currency Code
116 ID 3 15 Postal Code
124 AN 2 15 Application Receiver's Code
127 AN 1 30 Reference Identification
128 ID 2 3 Reference Identification Qualifier
133 ID 1 2 Routing Sequence Code
142 AN 2 15 Application Sender's Code
143 ID 3 3 Transaction Set Identifier Code
156 ID 2 2 State or Province Code
166 AN 1 55 Address Information
183 R 1 8 Volume
188 ID 1 1 Weight Unit Code
212 R 1 17 Unit Price
234 AN 1 48 Product/Service ID
235 ID 2 2 Product/Service ID Qualifier
248 ID 1 1 Allowance or Charge Indicator
284 ID 1 2 Service Level Code
309 ID 1 2 Location Qualifier
310 AN 1 30 Location Identifier
324 AN 1 22 Purchase Order Number
326 AN 1 45 Request Reference Number
328 AN 1 30 Release Number
329 AN 4 9 Transaction Set Control Number
330 R 1 15 Quantity Ordered
331 ID 2 2 Allowance or Charge Method of Handling Code
332 R 1 6 Percent
333 ID 1 2 Terms Basis Date Code
336 ID 2 2 Terms Type Code
337 TM 4 8 Time
338 R 1 6 Terms Discount Percent
342 R 1 5 Percent of Invoice Payable
347 R 1 10 Hash Total
349 ID 1 1 Item Description Type
350 AN 1 20 Assigned Identification
351 N0 1 3 Terms Discount Days Due
352 AN 1 80 Description
353 ID 2 2 Transaction Set Purpose Code
354 N0 1 6 Number of Line Items
355 ID 2 2 Unit or Basis for Measurement Code
358 R 1 15 Quantity Invoiced
362 N2 1 10 Terms Discount Amount
363 ID 3 3 Note Reference Code
364 AN 1 80 Communication Number
365 ID 2 2 Communication Number Qualifier
366 ID 2 2 Contact Function Code
367 AN 1 30 Contract Number
368 ID 2 2 Shipment/Order Status Code
370 DT 8 8 Terms Discount Due Date
373 DT 8 8 Date
374 ID 3 3 Date/Time Qualifier
378 ID 1 1 Allowance/Charge Percent Qualifier
380 R 1 15 Quantity
382 R 1 10 Number of Units Shipped
386 N0 1 3 Terms Net Days
387 AN 1 35 Routing
388 DT 8 8 Terms Deferred Due Date
389 N2 1 10 Deferred Amount Due
396 AN 2 30 Shipment Identification
1005 ID 4 4 Hierarchical Structure Code
236 ID 3 3 Price Identifier Code
344 ID 2 2 Unit of Time Period or Interval
345 ID 2 2 Lead Time Code
673 ID 2 2 Quantity Qualifier
687 ID 2 2 Class of Trade Code
755 ID 2 2 Report Type Code
441 ID 1 1 Tax Exempt Code
443 AN 1 20 Contact Inquiry Reference
446 DT 8 8 Terms Net Due Date
455 ID 1 2 Responsible Agency Code
479 ID 2 2 Functional Identifier Code
480 AN 1 12 Version / Release / Industry Identifier Code
522 ID 1 3 Amount Qualifier Code
559 ID 2 2 Agency Qualifier Code
587 ID 2 2 Acknowledgment Type
610 N2 1 15 Amount
623 ID 2 2 Time Code
628 AN 1 12 Hierarchical ID Number
639 ID 2 2 Basis of Unit Price Code
640 ID 2 2 Transaction Type Code
646 R 1 15 Quantity Shipped to Date
662 ID 1 1 Relationship Code
668 ID 2 2 Line Item Status Code
706 ID 2 2 Entity Relationship Code
715 ID 1 1 Functional Group Acknowledge Code
716 ID 1 3 Functional Group Syntax Error Code
717 ID 1 1 Transaction Set Acknowledgment Code
718 ID 1 3 Transaction Set Syntax Error Code
719 N0 1 10 Segment Position in Transaction Set
720 ID 1 3 Segment Syntax Error Code
721 ID 2 3 Segment ID Code
722 N0 1 2 Element Position in Segment
723 ID 1 3 Data Element Syntax Error Code
724 AN 1 99 Copy of Bad Data Element
725 N0 1 4 Data Element Reference Number
734 AN 1 12 Hierarchical Parent ID Number
735 ID 1 2 Hierarchical Level Code
736 ID 1 1 Hierarchical Child Code
750 ID 2 3 Product/Process Characteristic Code
751 AN 1 12 Product Description Code
752 ID 2 2 Surface/Layer/Position Code
765 N0 1 2 Day of Month
770 ID 1 2 Option Number
782 R 1 18 Monetary Amount
786 ID 2 2 Security Level Code
819 ID 2 3 Language Code
822 AN 1 15 Source Subqualifier
828 R 1 9 Dollar Basis For Percent
88 ID 1 2 Marks and Numbers Qualifier
87 AN 1 48 Marks and Numbers
954 R 1 10 Percent
955 ID 2 2 Tax Jurisdiction Code Qualifier
956 AN 1 10 Tax Jurisdiction Code
963 ID 2 2 Tax Type Code
1019 ID 3 3 Invoice Type Code
1166 ID 2 2 Contract Type Code
1232 ID 2 2 Acknowledgment Type
1250 ID 2 3 Date Time Period Format Qualifier
1251 AN 1 35 Date Time Period
1271 AN 1 30 Industry Code
1300 ID 4 4 Service, Promotion, Allowance, or Charge Code
1301 AN 1 10 Agency Service, Promotion, Allowance, or Charge Code
1705 AN 1 35 Implementation Convention Reference
22 AN 1 30 Commodity Code
23 ID 1 1 Commodity Code Qualifier
76 AN 1 22 Invoice Number
79 AN 1 50 Lading Description
80 N0 1 7 Lading Quantity
81 R 1 10 Weight
103 AN 3 5 Packaging Code
107 ID 1 2 Payment Method Code
118 R 1 9 Rate
123 N0 1 6 Number of Received Transaction Sets
2 N0 1 6 Number of Accepted Transaction Sets
187 ID 1 2 Weight Qualifier
306 ID 1 2 Action Code
325 ID 1 30 Tax Identification Number
327 AN 1 8 Change Order Sequence Number
369 AN 1 80 Free-form Description
447 AN 1 4 Loop Identifier Code
478 ID 1 1 Credit/Debit Flag Code
641 ID 3 3 Status Reason Code
670 ID 2 2 Change or Response Type Code
671 R 1 9 Quantity Left to Receive
728 ID 1 10 Returnable Container Load Make-Up Code
731 ID 1 1 Transit Direction Code
732 ID 2 2 Transit Time Direction Qualifier
733 R 1 4 Transit Time
933 AN 1 264 Free-Form Message Text
934 ID 2 2 Printer Carriage Control Code
1073 ID 1 1 Yes/No Condition or Response Code
1470 N0 1 9 Number
1715 ID 1 3 Country Subdivision Code
C030 C 1 10 Position in Segment (005010 composite)
C040 C 1 99 Reference Identifier (composite)
C001 C 1 99 Composite Unit of Measure
"""

CODE_LISTS: dict[str, tuple[str, ...]] = {
    # BAK02: pohub reads every acknowledgment type (docs/edi.md has what each means to the order).
    "587": ("AC", "AD", "AE", "AH", "AK", "AP", "AT", "NA", "RD", "RF", "RJ", "RN", "RO", "RV", "ZZ"),
    # ACK01: every line item status (004010 list) maps to accepted, backordered or cancelled.
    "668": (
        "AA",
        "AC",
        "AR",
        "BP",
        "DR",
        "IA",
        "IB",
        "IC",
        "ID",
        "IE",
        "IF",
        "IH",
        "IP",
        "IQ",
        "IR",
        "IS",
        "IW",
        "R1",
        "R2",
        "R3",
        "R4",
        "R5",
        "R6",
        "R7",
        "R8",
        "SP",
    ),
    # HL03 in an 856: the levels pohub maps (shipment, order, tare, pack, item).
    "735": ("S", "O", "T", "P", "I"),
    "248": ("A", "C", "N"),
    "349": ("F", "S", "X"),
    "479": ("PO", "PR", "SH", "IN", "PC", "CA", "IB", "AN", "FA"),
    "455": ("T", "X"),
    "715": ("A", "E", "M", "P", "R", "W", "X"),
    "717": ("A", "E", "M", "R", "W", "X"),
    "736": ("0", "1"),
    # POC02: what a changed line does (860) or which change an 865 line answers.
    "670": ("AI", "CA", "CT", "DI", "PC", "PQ", "QD", "QI", "RZ"),
    "143": ("850", "855", "856", "810", "860", "865", "846", "180", "997"),
}


def _parse(table: str) -> dict[str, Element]:
    out: dict[str, Element] = {}
    for line in table.strip().splitlines():
        ref, kind, low, high, name = line.split(" ", 4)
        codes = CODE_LISTS.get(ref)
        out[ref] = Element(ref, kind, int(low), int(high), name, frozenset(codes) if codes else None)
    return out


ELEMENTS: dict[str, Element] = _parse(_TABLE)

# Where 005010 differs from 004010 for the elements above.
VERSION_OVERRIDES: dict[str, dict[str, tuple[int, int]]] = {
    "005010": {"127": (1, 50), "364": (1, 256), "67": (2, 80), "350": (1, 80)},
}


def element(ref: str, version: str) -> Element:
    """The definition of ``ref`` in ``version`` ("004010" or "005010")."""
    base = ELEMENTS[ref]
    override = VERSION_OVERRIDES.get(version, {}).get(ref)
    if override is None:
        return base
    return Element(base.ref, base.type, override[0], override[1], base.name, base.codes)
