"""The supplier's inventory feed: stock per SKU and warehouse, broadcast to the buyers it trades with."""
