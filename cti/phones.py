"""Phone numbers as Chinese hotlines see them, normalised for matching.

Callers arrive as ``+8613800138000``, ``008613800138000``, ``013800138000``
(a trunk prefix on a mobile), ``02088886666`` or ``020-8888-6666`` (area code
plus landline), a bare local landline ``88886666``, or a service number
(95598, 400/800 numbers). ``normalize`` maps all spellings of one number to one
key so customer lookups hit an index with an exact match.

Two rules, kept apart. ``normalize`` takes any caller ID Asterisk hands over (withheld, short,
odd: whatever arrives is matched as it is). ``checked`` is for a number a person typed or a file
brought in as a contact number, and holds it to mainland China's numbering plan (``number_kind``):

- a mobile: ``1[3-9]`` and 11 digits (``1380013800``, one digit short, is refused);
- a landline with its area code: ``010`` / ``02x`` and 8 digits, or a 3-digit area code
  (``0755``) and 7–8 digits, 11–12 digits with the 0; a subscriber number never starts with 0 or
  1 (those are the trunk and the service prefixes);
- a local landline of 7–8 digits without its area code: completed with ``default_area_code``
  where the caller has one (``normalize``), else kept local (the hotline's own area; no setting
  gives the product one yet, so most callers keep it as typed);
- a 400/800 number (10 digits): a company's line, a contact number, never one the dialer calls;
- an international number (``+852 …``, ``00852 …``; ``+86`` is folded to the domestic number):
  00, a country code not starting with 0 and 7–15 digits in all (E.164's at most 15). Accepted:
  customers who live or roam abroad give one, and the trunk decides whether it is reached;
- never a customer's or crew's number: an emergency number (110, 119, 120, ``EMERGENCY_NUMBERS``)
  or a service number or short code (95598, 10086, 12345, 114).

What each use accepts is a set of kinds: ``CONTACT`` (an order's 联系电话, a customer's, a crew's,
a form's phone field), ``DIALABLE`` (the do-not-call list: only what the dialer could ever call,
``never_dial`` keeps it from the rest) and ``LISTED`` (a call list's rows: the shape is checked
here, the kind is ``never_dial``'s, which names why the row is left out).
"""

from __future__ import annotations

import re
import unicodedata

_NON_DIGITS = re.compile(r"[^0-9+]")
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
_FULL_WIDTH_PLUS = "\uff0b"


#: why a typed number is refused (``InvalidPhoneNumber.problem``): a form field's problem, named in
#: the console's texts (``problem.field_phone_*``), so every form shows the same words
BAD_PHONE = "field_bad_phone"
MOBILE_DIGITS = "field_phone_mobile_digits"
LANDLINE_DIGITS = "field_phone_landline_digits"
EMERGENCY_PHONE = "field_phone_emergency"
SERVICE_PHONE = "field_phone_service"
NOT_DIALED_PHONE = "field_phone_not_dialed"


class InvalidPhoneNumber(ValueError):
    """The text holds no usable phone number; ``problem`` says why, as a form field's problem."""

    def __init__(self, message: str, problem: str = BAD_PHONE) -> None:
        super().__init__(message)
        self.problem = problem


def normalize(raw: str | None, default_area_code: str = "") -> str:
    """Canonical form: mobiles as 11 digits, landlines as area code + number
    with its leading 0 (``02088886666``), service numbers as dialled.

    ``default_area_code`` (e.g. ``"020"``) completes a bare 7–8 digit local
    landline. Raises ``InvalidPhoneNumber`` for text with no digits.
    """
    if raw is None:
        raise InvalidPhoneNumber("no phone number")
    text = _NON_DIGITS.sub("", ascii_digits(raw.strip()))
    if text.startswith("+"):
        text = "00" + text[1:]
    text = text.replace("+", "")
    if not text:
        raise InvalidPhoneNumber(f"no digits in {raw!r}")
    if text.startswith("0086"):
        text = text[4:]
        if not text.startswith("1"):
            text = "0" + text.lstrip("0")
    elif text.startswith("86") and len(text) == 13 and _MOBILE.match(text[2:]):
        text = text[2:]
    if text.startswith("0") and _MOBILE.match(text[1:]):
        text = text[1:]  # trunk prefix added before a mobile number
    if default_area_code and len(text) in (7, 8) and not text.startswith(("0", "1")):
        text = default_area_code + text
    return text


def ascii_digits(text: str) -> str:
    """Full-width digits and plus (１３９…, ＋８６, typed with a Chinese input method) and any
    other script's decimal digits as ASCII, so one number has one key whatever keyboard typed it;
    what is left that is not 0-9 or + is cut by ``normalize``."""
    if text.isascii():  # nearly every number: no walk, character by character, through it
        return text
    return "".join(
        str(unicodedata.decimal(c)) if c.isdecimal() else "+" if c == _FULL_WIDTH_PLUS else c for c in text
    )


def readable(raw: str, default_area_code: str = "") -> str:
    """``normalize`` for a number that must be one but comes from elsewhere (a caller ID kept as a
    callback or missed-call contact, a number matched against the do-not-call list), refusing
    only what is no phone number at all: text with letters ("abc123", "not a phone <b>"), which
    ``normalize`` would cut down to its digits, or fewer than 3 / more than 20 digits. Its kind is
    not judged here (``never_dial`` does, for what is dialled)."""
    # digits alone (nearly every number) hold no letters: no walk through them
    if not (raw.isascii() and raw.isdigit()) and any(c.isalpha() for c in raw):
        raise InvalidPhoneNumber(f"letters in a phone number: {raw!r}")
    number = normalize(raw, default_area_code)
    if not (number.isascii() and number.isdigit()) or not 3 <= len(number) <= 20:
        raise InvalidPhoneNumber(f"not a phone number: {raw!r}")
    return number


#: kinds of number (``number_kind``)
MOBILE, LANDLINE, LOCAL, FREEPHONE = "mobile", "landline", "local", "freephone"
INTERNATIONAL, SERVICE_CODE, EMERGENCY_CODE = "international", "service", "emergency"
#: a contact number: an order's 联系电话, a customer's or a crew's phone, a form's phone field
CONTACT = frozenset({MOBILE, LANDLINE, LOCAL, FREEPHONE, INTERNATIONAL})
#: the do-not-call list: what the dialer could call; never_dial keeps it from 400/800, service
#: numbers and emergency numbers whatever the list says, so listing one would only mislead
DIALABLE = frozenset({MOBILE, LANDLINE, LOCAL, INTERNATIONAL})
#: a call list's row: any well-formed number; never_dial names why a service one is left out
LISTED = CONTACT | {SERVICE_CODE, EMERGENCY_CODE}
#: the problem of a well-formed number of a kind the use does not take
_KIND_PROBLEMS = {EMERGENCY_CODE: EMERGENCY_PHONE, SERVICE_CODE: SERVICE_PHONE, FREEPHONE: NOT_DIALED_PHONE}

# 010 / 02x (Beijing, Shanghai, Guangzhou…: 8-digit numbers) or a 3-digit area code 03x–09x with
# 7 or 8; a subscriber number starts with 2–9 (0 is the trunk prefix, 1 the service codes)
_MOBILE_START = re.compile(r"^1[3-9]")
_LANDLINE = re.compile(r"^0(?:[12][0-9][2-9][0-9]{7}|[3-9][0-9]{2}[2-9][0-9]{6,7})$")


def number_kind(number: str) -> str:
    """The kind of a normalised number (``MOBILE``, ``LANDLINE``…), or raises
    ``InvalidPhoneNumber`` whose ``problem`` says what is wrong with its shape: a mobile's
    digits (``1380013800``), a landline's (``020-8888-666``), or no number at all."""
    if not (number.isascii() and number.isdigit()):
        raise InvalidPhoneNumber(f"not a phone number: {number!r}")
    if _MOBILE.match(number):
        # first, as most numbers are: 11 digits from 1 are no emergency (short, or from 0) number
        return MOBILE
    if never_dial(number) == EMERGENCY:  # 110, and 020110 (Guangzhou's 110) too
        return EMERGENCY_CODE
    if number.startswith("00"):  # +86 is folded to the domestic number by normalize
        rest = number[2:]
        if rest[:1] != "0" and 7 <= len(rest) <= 15:
            return INTERNATIONAL
        raise InvalidPhoneNumber(f"not an international number: {number!r}")
    if number.startswith("0"):
        if _LANDLINE.match(number):
            return LANDLINE
        raise InvalidPhoneNumber(f"not a landline with its area code: {number!r}", LANDLINE_DIGITS)
    if _MOBILE_START.match(number):
        # 13x…19x is a mobile's start, not a short code's (10086, 114, 12345): a digit short or over
        raise InvalidPhoneNumber(f"a mobile number has 11 digits: {number!r}", MOBILE_DIGITS)
    if number.startswith(("400", "800")) and len(number) == 10:
        return FREEPHONE
    if is_service_number(number) or (number.startswith(("95", "96")) and len(number) <= 8):
        return SERVICE_CODE  # 95598, 12345, 96xxx, 9510xxxx
    if len(number) < MIN_SUBSCRIBER_DIGITS:
        return SERVICE_CODE  # 10086, 114: a short code, never a subscriber
    if len(number) in (7, 8) and number[0] != "1":
        return LOCAL
    raise InvalidPhoneNumber(f"not a phone number: {number!r}")


def checked(raw: str, default_area_code: str = "", kinds: frozenset[str] = CONTACT) -> str:
    """The normalised number someone typed or imported, if it is a real number of one of
    ``kinds`` (``CONTACT`` unless the use says otherwise); else raises ``InvalidPhoneNumber``
    whose ``problem`` names why, for the field: letters or no number (``field_bad_phone``), a
    mobile's or a landline's digits, an emergency or a service number where a contact is asked
    for. ``default_area_code`` completes a bare local landline (``normalize``)."""
    number = readable(raw, default_area_code)
    kind = number_kind(number)
    if kind not in kinds:
        raise InvalidPhoneNumber(
            f"a {kind} number is not taken here: {raw!r}", _KIND_PROBLEMS.get(kind, BAD_PHONE)
        )
    return number


def is_mobile(number: str) -> bool:
    return bool(_MOBILE.match(number))


def is_service_number(number: str) -> bool:
    """95xxx short codes, 400/800 freephone, 12345-style government lines."""
    return (
        (number.startswith("95") and len(number) == 5)
        or (number.startswith(("400", "800")) and len(number) == 10)
        or (number.startswith("12") and len(number) == 5)
    )


#: police, fire, ambulance, traffic police (and their SMS / text lines), the maritime rescue line,
#: the GSM 112 and the foreign 911 / 999 a handset may still route: an auto-dialer or a mistyped
#: list must never ring them
EMERGENCY_NUMBERS = frozenset(
    {"110", "119", "120", "122", "112", "911", "999", "12110", "12119", "12120", "12122", "12395"}
)
#: a subscriber number has at least a local landline's 7 digits; anything shorter is a short code
#: (10086, 114, 95598…), a service, never a customer
MIN_SUBSCRIBER_DIGITS = 7
#: why ``never_dial`` refuses a number (also the state a campaign contact is kept in)
EMERGENCY, SHORT_CODE, SERVICE = "emergency_number", "short_code", "service_number"


def never_dial(number: str) -> str:
    """Why no outbound call the hotline places on its own or for a customer (a campaign, a
    callback, a fax or an SMS) may go to this normalised number, or "" when one may: an emergency
    number (also behind a trunk 0 or an area code: ``020110`` reaches Guangzhou's 110), a
    service number (``is_service_number``) or another short code. The one rule: every outbound
    path asks it."""
    core = number.lstrip("0")
    if core in EMERGENCY_NUMBERS or (
        number.startswith("0") and any(number[n:] in EMERGENCY_NUMBERS for n in (3, 4))
    ):
        return EMERGENCY
    if is_service_number(number):
        return SERVICE
    if len(number) < MIN_SUBSCRIBER_DIGITS:
        return SHORT_CODE
    return ""
