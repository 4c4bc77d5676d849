"""EDIFACT D.96A: syntax through pydifact (UNA, release character), pohub's envelopes, validation, CONTRL."""
