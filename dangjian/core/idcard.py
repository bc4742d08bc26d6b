"""Chinese resident identity numbers (GB 11643-1999): 18 characters, the last a check digit (0-9 or X)."""

import datetime as dt
import re
from dataclasses import dataclass

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")


class IdNumberError(ValueError):
    """The message is Chinese and fit to show to the user."""


@dataclass(frozen=True)
class IdNumberInfo:
    number: str
    birth_date: dt.date
    gender: str  # "男" or "女"


def normalize_id_number(value: str) -> str:
    return (value or "").strip().upper().replace(" ", "")


def check_digit(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def parse_id_number(value: str, *, today: dt.date | None = None) -> IdNumberInfo:
    """Validate an 18-character ID number and read the birth date and gender from it."""
    number = normalize_id_number(value)
    if not number:
        raise IdNumberError("身份证号不能为空")
    if len(number) != 18:
        raise IdNumberError(f"身份证号应为18位，实际为{len(number)}位")
    if not _SHAPE.match(number):
        raise IdNumberError("身份证号前17位应为数字，最后一位为数字或X")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdNumberError(f"身份证号中的出生日期{number[6:14]}不是有效日期")
    today = today or dt.date.today()
    if birth > today or birth.year < 1900:
        raise IdNumberError(f"身份证号中的出生日期{birth.isoformat()}不合理")
    expected = check_digit(number[:17])
    if number[17] != expected:
        raise IdNumberError("身份证号校验位错误，请核对号码")
    gender = "男" if int(number[16]) % 2 == 1 else "女"
    return IdNumberInfo(number=number, birth_date=birth, gender=gender)


def age_on(birth_date: dt.date, on: dt.date) -> int:
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))
