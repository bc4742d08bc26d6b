"""iCalendar feeds (RFC 5545), written by hand: one VEVENT per activity.

TEXT values are escaped (backslash, semicolon, comma, newline), lines end in CRLF and are folded at 75
octets without splitting a UTF-8 character, and every time is in UTC ("Z").
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from ..models import Activity, ActivityStatus
from .docx import agenda_lines

PRODID = "-//dangjian//党建工作标准化管理平台//ZH"
DEFAULT_DURATION = dt.timedelta(hours=1)
LINE_OCTETS = 75
STATUS: dict[str, str] = {
    ActivityStatus.PLANNED: "TENTATIVE",
    ActivityStatus.NOTIFIED: "CONFIRMED",
    ActivityStatus.HELD: "CONFIRMED",
    ActivityStatus.ARCHIVED: "CONFIRMED",
}


def escape_text(value: str) -> str:
    """RFC 5545 §3.3.11: backslash, semicolon, comma and line breaks."""
    value = (value or "").replace("\r\n", "\n").replace("\r", "\n")
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold(line: str) -> str:
    """RFC 5545 §3.1: lines of at most 75 octets; continuation lines begin with one space."""
    data = line.encode("utf-8")
    if len(data) <= LINE_OCTETS:
        return line
    parts: list[str] = []
    current: list[str] = []
    size, limit = 0, LINE_OCTETS
    for char in line:
        n = len(char.encode("utf-8"))
        if size + n > limit:
            parts.append("".join(current))
            current, size, limit = [], 0, LINE_OCTETS - 1  # the leading space counts
        current.append(char)
        size += n
    parts.append("".join(current))
    return "\r\n ".join(parts)


def utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


@dataclass(frozen=True)
class Event:
    uid: str
    stamp: dt.datetime
    start: dt.datetime
    end: dt.datetime
    summary: str
    location: str
    description: str
    status: str
    url: str = ""

    def lines(self) -> list[str]:
        out = [
            "BEGIN:VEVENT",
            f"UID:{self.uid}",
            f"DTSTAMP:{utc(self.stamp)}",
            f"LAST-MODIFIED:{utc(self.stamp)}",
            f"DTSTART:{utc(self.start)}",
            f"DTEND:{utc(self.end)}",
            f"SUMMARY:{escape_text(self.summary)}",
        ]
        if self.location:
            out.append(f"LOCATION:{escape_text(self.location)}")
        if self.description:
            out.append(f"DESCRIPTION:{escape_text(self.description)}")
        if self.url:
            out.append(f"URL:{self.url}")
        out += [f"STATUS:{self.status}", "END:VEVENT"]
        return out


def activity_event(activity: Activity, *, domain: str, url: str = "") -> Event:
    """An activity (with select_related("org")) as an event."""
    end = activity.ends_at or activity.starts_at + DEFAULT_DURATION
    place = activity.place or ""
    if activity.online:
        place = f"{place}（线上）" if place else "线上"
    description = [f"组织：{activity.org.name}", f"状态：{activity.get_status_display()}"]
    if activity.agenda.strip():
        description += ["议程：", *agenda_lines(activity.agenda)]
    return Event(
        uid=f"activity-{activity.pk}@{domain}",
        stamp=activity.updated_at,
        start=activity.starts_at,
        end=end,
        summary=f"[{activity.get_kind_display()}] {activity.title}",
        location=place,
        description="\n".join(description),
        status=STATUS.get(activity.status, "CONFIRMED"),
        url=url,
    )


def calendar(name: str, events: Iterable[Event]) -> bytes:
    """The whole VCALENDAR, UTF-8 with CRLF line endings."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
        "X-WR-TIMEZONE:Asia/Shanghai",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
    ]
    for event in events:
        lines += event.lines()
    lines.append("END:VCALENDAR")
    return ("\r\n".join(fold(line) for line in lines) + "\r\n").encode("utf-8")
