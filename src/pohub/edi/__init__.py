"""EDI: X12, EDIFACT and AS2."""
