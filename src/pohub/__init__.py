"""pohub: an open, self-hostable purchase-order exchange."""

__version__ = "0.1.0"
