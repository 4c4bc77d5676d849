"""Buyer changes and cancellations of open POs (X12 860) and the supplier's answers (865)."""
