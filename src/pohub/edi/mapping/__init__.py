"""Pure mappings between X12/EDIFACT documents and pohub's canonical wire models, both ways."""
