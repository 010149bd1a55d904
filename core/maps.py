"""Links that open a place in a maps app, declared once for the plan's venues and the knowledge base's places.

Google Maps' search URL (https://developers.google.com/maps/documentation/urls/get-started) opens the maps app on a
phone and the site elsewhere, needs no key, and takes either a point or a text to search: a place without
coordinates is still found by its name and address.
"""

from __future__ import annotations

from urllib.parse import urlencode

MAPS_SEARCH = "https://www.google.com/maps/search/"


def maps_link(name: str, address: str | None, lat: float | None = None, lon: float | None = None) -> str | None:
    """The place's point where it is known, else a search for its name and address; None for a place with neither
    (an online session)."""
    if lat is not None and lon is not None:
        query = f"{lat:.5f},{lon:.5f}"
    elif address and address.strip():
        query = f"{name.strip()}, {address.strip()}"
    else:
        return None
    return f"{MAPS_SEARCH}?{urlencode({'api': 1, 'query': query})}"
