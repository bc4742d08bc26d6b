import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dangjian.core.idcard import IdNumberError, age_on, check_digit, parse_id_number
from dangjian.core.masking import mask_id_number, mask_phone

# A published sample number (GB 11643 example): 11010519491231002X, a woman born 1949-12-31.
SAMPLE = "11010519491231002X"


def test_good_number_gives_birth_date_and_gender():
    info = parse_id_number(SAMPLE)
    assert info.birth_date == dt.date(1949, 12, 31)
    assert info.gender == "女"
    assert info.number == SAMPLE


def test_lowercase_x_and_spaces_are_normalized():
    assert parse_id_number(" 11010519491231002x ").number == SAMPLE


def test_male_from_odd_sequence_digit():
    first17 = "35010519800101001"  # 17th digit 1 is odd
    assert parse_id_number(first17 + check_digit(first17)).gender == "男"


def test_bad_check_digit_is_rejected():
    with pytest.raises(IdNumberError, match="校验位错误"):
        parse_id_number("110105194912310021")


@pytest.mark.parametrize("birth", ["19490230", "19491301", "20990101"])
def test_bad_birth_date_is_rejected(birth):
    first17 = f"110105{birth}002"
    with pytest.raises(IdNumberError, match="出生日期"):
        parse_id_number(first17 + check_digit(first17), today=dt.date(2026, 1, 1))


@pytest.mark.parametrize("value, message", [("", "不能为空"), ("1101051949123100", "应为18位"),
                                            ("11010519491231002Y", "最后一位")])
def test_shape_errors(value, message):
    with pytest.raises(IdNumberError, match=message):
        parse_id_number(value)


@given(st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2008, 12, 31)), st.integers(0, 999))
def test_any_generated_number_round_trips(birth, seq):
    first17 = f"350105{birth:%Y%m%d}{seq:03d}"
    info = parse_id_number(first17 + check_digit(first17), today=dt.date(2026, 1, 1))
    assert info.birth_date == birth
    assert info.gender == ("男" if seq % 2 else "女")


@given(st.text(alphabet="0123456789", min_size=17, max_size=17), st.sampled_from("0123456789X"))
def test_only_the_right_check_digit_passes(first17, last):
    try:
        parse_id_number(first17 + last, today=dt.date(2026, 1, 1))
    except IdNumberError:
        return
    assert last == check_digit(first17)


def test_age_on_birthday_boundary():
    assert age_on(dt.date(2000, 3, 15), dt.date(2018, 3, 14)) == 17
    assert age_on(dt.date(2000, 3, 15), dt.date(2018, 3, 15)) == 18


def test_masking_keeps_only_ends():
    assert mask_id_number(SAMPLE) == "1101**********002X"
    assert mask_phone("13800001234") == "138****1234"
    assert mask_id_number("") == "" and mask_phone(None) == ""
