"""Map links for every venue with an address (issue 12.6): a location where the venue has coordinates, a maps search
by name and address where it has none, and the same link for the knowledge base's places."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

from core.knowledge.entries import Location
from core.maps import maps_link
from core.venues import VenueCatalog
from tests.support import ChatUser, Recorder, join_as, plan_with_programme, publish, register

ONE_DAY_VENUES = ("Lounge Pelayanan Publik", "Mal Pelayanan Publik", "Waroeng Kemarang", "Smart Kampung Desa Ketapang")


def query_of(url: str) -> str:
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "www.google.com", "/maps/search/")
    [api], [query] = parse_qs(parts.query)["api"], parse_qs(parts.query)["query"]
    assert api == "1"
    return query


async def published_one_day_visit(recorder: Recorder, coordinator: ChatUser, staff: ChatUser) -> ChatUser:
    code = await register(coordinator)
    member = await join_as(recorder, "Pak Dedi", code)
    await plan_with_programme(staff)  # the one-day programme: only the Mal Pelayanan Publik has coordinates
    await publish(staff)
    return member


async def test_every_venue_of_a_plan_with_an_address_has_a_map_button(
    recorder: Recorder, coordinator: ChatUser, staff: ChatUser
) -> None:
    member = await published_one_day_visit(recorder, coordinator, staff)
    [schedule] = await member.says("/jadwal")
    assert [label for label in schedule.labels if label.startswith("📍")] == [f"📍 {v}" for v in sorted(ONE_DAY_VENUES)]


async def test_a_venue_without_coordinates_opens_a_search_by_name_and_address(
    recorder: Recorder, coordinator: ChatUser, staff: ChatUser
) -> None:
    member = await published_one_day_visit(recorder, coordinator, staff)
    await member.says("/jadwal")
    [shown] = await member.presses("text", 2)  # 📍 Smart Kampung Desa Ketapang (by name: Lounge, Mal, Smart, Waroeng)
    assert shown.template == "plan/venue" and shown.reply.venue is None
    [url] = _links(shown.text)
    assert query_of(url) == "Smart Kampung Desa Ketapang, Desa Ketapang, Kecamatan Kalipuro, Banyuwangi"


async def test_a_venue_with_coordinates_is_still_sent_as_a_location_with_its_link(
    recorder: Recorder, coordinator: ChatUser, staff: ChatUser
) -> None:
    member = await published_one_day_visit(recorder, coordinator, staff)
    await member.says("/jadwal")
    [shown] = await member.presses("text", 1)  # 📍 Mal Pelayanan Publik
    assert shown.reply.venue is not None and (shown.reply.venue.latitude, shown.reply.venue.longitude) == (
        -8.2098,
        114.3752,
    )
    [url] = _links(shown.text)
    assert query_of(url) == "-8.20980,114.37520"


def test_the_link_is_url_encoded_and_none_without_a_place() -> None:
    assert query_of(maps_link("Warung <Bu> & Co", "Jl. A. Yani #3, Banyuwangi")) == (
        "Warung <Bu> & Co, Jl. A. Yani #3, Banyuwangi"
    )
    assert maps_link("Sesi daring", None) is None


def test_every_venue_but_the_online_one_can_be_shown_on_a_map() -> None:
    catalog = VenueCatalog()
    without = [v.id for v in catalog.venues.values() if catalog.on_map(v.id) is None]
    assert without == ["virtual"]


def test_a_knowledge_place_without_coordinates_is_searched_by_its_name_and_address() -> None:
    place = Location(address="Desa Kemiren, Kecamatan Glagah & sekitarnya")
    assert query_of(place.maps_url("Desa Adat Kemiren")) == (
        "Desa Adat Kemiren, Desa Kemiren, Kecamatan Glagah & sekitarnya"
    )


def _links(text: str) -> list[str]:
    """The addresses of the links in a rendered message."""
    return [html.unescape(u) for u in re.findall(r'href="([^"]+)"', text)]
