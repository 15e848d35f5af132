"""Hardened XML parsing for GPX/TCX: no entity expansion, no external entities or DTD fetches.

defusedxml refuses entity declarations (billion-laughs, quadratic blow-up) and external references (XXE).
Refusals surface as :class:`UnsafeXmlError` with a reason naming the attack, so the file is quarantined with
a message a user can act on.
"""

from __future__ import annotations

from datetime import UTC, datetime
from xml.etree.ElementTree import Element, ParseError

import defusedxml
from defusedxml.ElementTree import fromstring


class UnsafeXmlError(ValueError):
    pass


class BadXmlError(ValueError):
    pass


def parse_xml(data: bytes) -> Element:
    try:
        return fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except defusedxml.EntitiesForbidden as exc:
        raise UnsafeXmlError(
            f"refused: XML declares entity {exc.name!r} (entity expansion is refused: billion-laughs/XXE protection)"
        ) from exc
    except defusedxml.ExternalReferenceForbidden as exc:
        raise UnsafeXmlError(
            f"refused: XML references an external resource ({exc.sysid!r}): XXE protection"
        ) from exc
    except defusedxml.DTDForbidden as exc:
        raise UnsafeXmlError("refused: XML document type declaration") from exc
    except defusedxml.DefusedXmlException as exc:
        raise UnsafeXmlError(f"refused: unsafe XML construct ({exc})") from exc
    except ParseError as exc:
        raise BadXmlError(f"malformed XML: {exc}") from exc
    except (LookupError, ValueError) as exc:  # an encoding Python does not know, or expat cannot read
        raise BadXmlError(f"unreadable XML encoding: {exc}") from exc


def local(tag: str) -> str:
    """Tag without its namespace: '{http://www.topografix.com/GPX/1/1}trkpt' -> 'trkpt'."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def child(element: Element, name: str) -> Element | None:
    for sub in element:
        if local(sub.tag) == name:
            return sub
    return None


def children(element: Element, name: str) -> list[Element]:
    return [sub for sub in element if local(sub.tag) == name]


def text(element: Element | None, name: str | None = None) -> str | None:
    if element is None:
        return None
    if name is not None:
        element = child(element, name)
        if element is None:
            return None
    value = (element.text or "").strip()
    return value or None


def parse_float(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


def parse_time(value: str | None) -> datetime | None:
    """ISO 8601 timestamp -> aware UTC datetime (a time without offset is taken as UTC); None if unparsable."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
