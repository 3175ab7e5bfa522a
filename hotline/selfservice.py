"""The IVR's self-service hooks, answered from the ticketing database.

Bills live in the utility's billing system, which Hotline does not own; with no
``bill_lookup`` configured the IVR does not offer the bill choice at all (its key is
refused like any other, and a warning at start names it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ivr import Outage, SelfServiceHooks, TicketProgress
from ivr.notice_voice import NoticeVoices, NoticeWords
from ivr.prompts import CATALOGUE_DIR, PromptCatalogueError, load_catalogue
from ticketing.customers import ticket_progress
from ticketing.knowledge import search_notices
from ticketing.models import Customer, CustomerPhone, Site

log = logging.getLogger(__name__)

#: planned outages however far ahead are told (and spoken: published_notices)
_AHEAD = dt.timedelta(days=3650)


def ticketing_hooks(
    sessions: async_sessionmaker[AsyncSession], voices: NoticeVoices | None = None
) -> SelfServiceHooks:
    async def outage_lookup(area: str) -> Sequence[Outage]:
        # What the caller keyed in is a site's code (the notices covering it: its own, its
        # sub-sites', and its 局's unless their coded areas name other places; search_notices)
        # and the code of an affected area a notice names (a 台区编号, a district's 行政区划
        # 代码), each whole, both told: sites are coded by 行政区划代码 too, so 440106 is the 天河区
        # 供电所 and 天河区 alike, and a 广州 notice naming 天河区 is its callers' outage as much
        # as the 供电所's own. Never a search in the 停电范围 text or the areas' names: keyed
        # digits are a code, and "1", "20" or "200" inside "1-200号" would tell a caller of
        # another area's outage (QA F2).
        # Only the published version of each notice (发布中) is told: a revision from the
        # console is what the next caller hears; an ended (OutageNotice.over_by, what the console
        # shows as 已结束 and will not send) or withdrawn outage is not told at all.
        now = dt.datetime.now(dt.UTC)
        until = now + _AHEAD
        async with sessions() as session:
            found = {
                n.id: n
                for by in ({"site_code": area}, {"area_code": area})
                for n in await search_notices(session, start=now, end=until, ended=False, now=now, **by)
            }
        # none is over (ended=False): the earliest first, as search_notices lists them; every one,
        # as the IVR says how many and reads each in turn (the caller presses 1 for the next)
        notices = sorted(found.values(), key=lambda n: (n.starts_at, n.id))
        # The area and reason are said too when the notice's words have been spoken into a sound
        # (voices: hotline.runtime runs their upkeep); else the times alone, as before.
        return [
            Outage(
                area=n.area,
                starts_at=_epoch(n.starts_at),
                ends_at=_epoch(n.ends_at),
                reason=n.reason,
                voice=voices.sound_for(n.notice_key, n.area, n.reason) if voices else "",
            )
            for n in notices
        ]

    async def ticket_status(keyed: str, caller: str) -> Sequence[TicketProgress]:
        async with sessions() as session:
            found = await ticket_progress(session, keyed, caller)
        return [
            TicketProgress(
                number=f["number"], status=f["status"], updated_at=f["updated_at"], phones=tuple(f["phones"])
            )
            for f in found
        ]

    async def home_area(caller: str) -> str:
        # "#" alone at 停电查询: the bureau of the customer registered on the number the caller rings
        # from (its site code, which outage_lookup takes as such); '' for none, or for customers of
        # more than one bureau on one number (a caller is then asked for the code, never told
        # another bureau's outages as theirs).
        async with sessions() as session:
            codes = set(
                await session.scalars(
                    select(Site.code)
                    .join(Customer, Customer.site_id == Site.id)
                    .join(CustomerPhone, CustomerPhone.customer_id == Customer.id)
                    .where(CustomerPhone.number == caller)
                )
            )
        return codes.pop() if len(codes) == 1 else ""

    return SelfServiceHooks(outage_lookup=outage_lookup, ticket_status=ticket_status, home_area=home_area)


def published_notices(sessions: async_sessionmaker[AsyncSession]):
    """What ``NoticeVoices.run`` keeps spoken: every notice the IVR may tell now (published, not
    over), the version callers hear."""

    async def source() -> list[NoticeWords]:
        now = dt.datetime.now(dt.UTC)
        async with sessions() as session:
            notices = await search_notices(session, start=now, end=now + _AHEAD, ended=False, now=now)
        return [NoticeWords(key=n.notice_key, area=n.area, reason=n.reason) for n in notices]

    return source


def _epoch(value: dt.datetime) -> float:
    return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).timestamp()


def notice_voices(
    mode: str, asterisk_root: Path, database_url: str, language: str = "zh"
) -> NoticeVoices | None:
    """The IVR's spoken outage notices (area and reason), when this machine has Asterisk's sounds.

    ``mode`` is the ``notice_voices`` setting: ``auto`` speaks them when
    ``<asterisk_root>/usr/share/asterisk/sounds`` is a directory here (Asterisk on this host,
    or its sounds mounted there), ``off`` never. The voice and speed are the prompt catalogue's
    of the IVR's language; the files are the installation's, named by its database."""
    if mode == "off":
        return None
    sounds = Path(asterisk_root) / "usr/share/asterisk/sounds"
    if not sounds.is_dir():
        log.info(
            "outage notices: area and reason not spoken, no Asterisk sounds directory at %s "
            "(Asterisk on another machine: mount its sounds there, or set notice_voices: off); "
            "the IVR says an outage's times",
            sounds,
        )
        return None
    voice, speed = "cmn-latn-pinyin", 150
    try:
        catalogue = load_catalogue(CATALOGUE_DIR / f"{language}.yaml")
        voice, speed = catalogue.voice, catalogue.speed
    except PromptCatalogueError as exc:
        log.warning("outage notices: no %s prompt catalogue (%s); espeak-ng's %s voice", language, exc, voice)
    url = database_url
    if url.startswith("sqlite") and ":///" in url:  # one file, wherever the process started
        url = str(Path(url.split(":///", 1)[1].split("?", 1)[0]).resolve())
    installation = hashlib.sha256(url.encode()).hexdigest()[:12]
    return NoticeVoices(sounds, installation=installation, voice=voice, speed=speed)
