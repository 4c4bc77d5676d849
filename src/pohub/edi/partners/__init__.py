"""EDI partner profiles: who trades with whom in X12 or EDIFACT, under which identities, and how."""
