"""Returns (RMAs): the buyer asks to send shipped units back; the supplier authorises, rejects,
receives and credits them."""
