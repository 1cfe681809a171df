import datetime as dt

import pytest

from sikd_host.org.nip import NIPError, is_valid_nip, parse_nip

TODAY = dt.date(2026, 12, 3)


def test_valid_nip_is_parsed():
    nip = parse_nip("199001012015031001", TODAY)
    assert nip.birth_date == dt.date(1990, 1, 1)
    assert (nip.start_year, nip.start_month) == (2015, 3)
    assert nip.gender == "pria"
    assert nip.serial == 1
    assert nip.grouped == "19900101 201503 1 001"


def test_spaces_are_ignored_and_wanita_is_read():
    assert parse_nip("19660801 198803 2 001", TODAY).gender == "wanita"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("199002302015031001", "birth date"),  # 30 February
        ("199001012015033001", "gender"),  # gender digit 3
        ("199001012007121001", "18th birthday"),  # start at 17 years 11 months
        ("199001012027011001", "future"),  # start after today
        ("19900101201503100", "18 digits"),  # 17 digits
        ("1990010120150310011", "18 digits"),  # 19 digits
        ("199001012015131001", "month"),  # start month 13
        ("199001012015031000", "000"),  # serial 000
        ("19900101201503100a", "18 digits"),
    ],
)
def test_invalid_nips_are_refused_with_the_reason(raw, reason):
    with pytest.raises(NIPError) as error:
        parse_nip(raw, TODAY)
    assert reason in error.value.message
    assert not is_valid_nip(raw, TODAY)


def test_start_exactly_at_the_18th_birthday_month_is_accepted():
    assert is_valid_nip("199001012008011001", TODAY)
