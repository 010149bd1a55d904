"""A delegation's plan as an .ics file (icalendar): WIB times with their VTIMEZONE, alarms, and stable UIDs,
so that a file sent again updates the events in the phone's calendar instead of duplicating them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from core.agenda import title_in
from core.venues import VenueCatalog
from storage.agenda import AgendaItem

PRODUCT_ID = "-//delegasi//delegation desk//ID"


def plan_calendar(
    items: Sequence[AgendaItem],
    *,
    calendar_name: str,
    catalog: VenueCatalog,
    locale: str,
    tz: ZoneInfo,
    stamp: datetime,
    alarm_minutes: int = 60,
) -> bytes:
    """The plan as the reader sees it: titles and venues in their language."""
    from icalendar import Alarm, Calendar, Event  # ~50 ms to import: loaded by the first calendar file, not at start

    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", calendar_name)
    calendar.add("x-wr-timezone", str(tz))
    for item in items:
        venue = catalog.venues.get(item.venue_id)
        event = Event()
        event.add("uid", item.uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", item.starts_at.astimezone(tz))
        event.add("dtend", item.ends_at.astimezone(tz))
        title = title_in(item, locale)
        event.add("summary", title)
        if venue is not None:
            place = venue.name.in_(locale) + (f", {venue.address}" if venue.address else "")
            event.add("location", place)
            if venue.lat is not None and venue.lon is not None:
                event.add("geo", (venue.lat, venue.lon))
        description = "\n".join(x for x in (item.host_officer, item.notes) if x)
        if description:
            event.add("description", description)
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", title)
        alarm.add("trigger", timedelta(minutes=-alarm_minutes))
        event.add_component(alarm)
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())
