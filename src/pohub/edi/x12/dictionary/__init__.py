"""The part of the X12 dictionary pohub uses (004010 and 005010), as tables: elements, segments, sets."""
