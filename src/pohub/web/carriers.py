"""Carriers by SCAC: the ship form's list, and a tracking number's link where the carrier is known."""

from __future__ import annotations

from urllib.parse import quote

# The ship form's list (any other text is allowed too): (SCAC, name).
CARRIERS: tuple[tuple[str, str], ...] = (
    ("UPSN", "UPS"),
    ("UPGF", "UPS Freight / TForce"),
    ("FDEG", "FedEx Ground"),
    ("FDE", "FedEx Express"),
    ("FDEN", "FedEx Express (FDEN)"),
    ("FXFE", "FedEx Freight"),
    ("USPS", "US Postal Service"),
    ("DHL", "DHL Express"),
    ("DHLC", "DHL eCommerce"),
    ("ODFL", "Old Dominion"),
    ("SAIA", "Saia"),
    ("EXLA", "Estes"),
    ("RLCA", "R+L Carriers"),
    ("ABFS", "ABF Freight"),
    ("XPOL", "XPO"),
)
NAMES = dict(CARRIERS)

_UPS = "https://www.ups.com/track?tracknum={}"
_FEDEX = "https://www.fedex.com/fedextrack/?trknbr={}"
_USPS = "https://tools.usps.com/go/TrackConfirmAction?tLabels={}"
_DHL = "https://www.dhl.com/global-en/home/tracking/tracking-express.html?submit=1&tracking-id={}"
# The parcel carriers whose public tracking page takes the number in the URL.
TRACKING_URLS = {
    "UPSN": _UPS,
    "UPS": _UPS,
    "FDEG": _FEDEX,
    "FDE": _FEDEX,
    "FDEN": _FEDEX,
    "FEDEX": _FEDEX,
    "USPS": _USPS,
    "DHL": _DHL,
    "DHLC": _DHL,
}


def tracking_url(carrier: str | None, number: str | None) -> str | None:
    """The carrier's tracking page for this number, or None when the carrier is not one we know."""
    template = TRACKING_URLS.get((carrier or "").strip().upper())
    if template is None or not (number or "").strip():
        return None
    return template.format(quote(str(number).strip(), safe=""))


def name(carrier: str | None) -> str:
    code = (carrier or "").strip()
    return NAMES.get(code.upper(), code)
