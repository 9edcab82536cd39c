"""Cell value parsers: the plain types of an import file."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from portcrm.enums import CustomerType
from portcrm.errors import InvalidInput
from portcrm.importing.values import (
    choice_parser,
    code_parser,
    datetime_parser,
    parse_amount,
    parse_bool,
    parse_count,
    parse_currency,
    parse_date,
    text_parser,
)


class TestDates:
    @pytest.mark.parametrize("raw", ["2026-03-01", "2026/3/1", "2026-03-01 00:00", "2026-03-01 00:00:00"])
    def test_reads_iso_dates_and_excel_exports(self, raw: str) -> None:
        assert parse_date(raw) == dt.date(2026, 3, 1)

    @pytest.mark.parametrize(
        "raw", ["01/03/2026", "2026-02-30", "2026-13-01", "tomorrow", "2026-03-01 08:00"]
    )
    def test_rejects_other_forms_and_impossible_dates(self, raw: str) -> None:
        with pytest.raises(InvalidInput) as caught:
            parse_date(raw)
        assert caught.value.message == "Invalid date (expected YYYY-MM-DD): {value}"
        assert caught.value.params == {"value": raw}

    def test_reads_local_port_time_as_aware_utc(self) -> None:
        parse = datetime_parser(ZoneInfo("Asia/Shanghai"))
        assert parse("2026-11-05 18:00") == dt.datetime(2026, 11, 5, 10, 0, tzinfo=dt.UTC)
        assert parse("2026-11-05 18:00:30").second == 30

    @pytest.mark.parametrize("raw", ["2026-11-05", "2026-11-05 25:00", "18:00"])
    def test_rejects_a_datetime_without_a_valid_time(self, raw: str) -> None:
        with pytest.raises(InvalidInput):
            datetime_parser(ZoneInfo("Asia/Shanghai"))(raw)


class TestAmounts:
    @pytest.mark.parametrize(
        ("raw", "value"), [("1", "1"), ("7420.50", "7420.50"), ("1,234,567.8", "1234567.8"), ("1.500", "1.5")]
    )
    def test_reads_exact_decimals(self, raw: str, value: str) -> None:
        assert parse_amount(raw) == Decimal(value)

    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            ("-100", "Amount must be positive: {value}"),
            ("0", "Amount must be positive: {value}"),
            ("12.345", "At most two decimal places are allowed: {value}"),
            ("1e3", "Invalid number: {value}"),
            ("NaN", "Invalid number: {value}"),
            ("¥100", "Invalid number: {value}"),
            ("12,34", "Invalid number: {value}"),
            ("10000000000000000", "Number too large: {value}"),
        ],
    )
    def test_rejects_what_is_not_money(self, raw: str, message: str) -> None:
        with pytest.raises(InvalidInput) as caught:
            parse_amount(raw)
        assert caught.value.message == message

    def test_counts_are_whole_numbers(self) -> None:
        assert parse_count("48000") == 48000
        with pytest.raises(InvalidInput):
            parse_count("12.5")


class TestChoices:
    @pytest.mark.parametrize(
        ("raw", "expected"),
        [
            ("forwarder", CustomerType.FORWARDER),
            ("Forwarder", CustomerType.FORWARDER),
            ("货代公司", CustomerType.FORWARDER),
            ("货代", CustomerType.FORWARDER),
            ("船公司", CustomerType.SHIPPING_LINE),
            ("船运公司", CustomerType.SHIPPING_LINE),
            ("船運公司", CustomerType.SHIPPING_LINE),
            ("货主", CustomerType.CARGO_OWNER),
            ("服务供应商", CustomerType.SERVICE_PROVIDER),
            ("船东", CustomerType.SHIPPING_LINE),
            ("船東", CustomerType.SHIPPING_LINE),
            ("Shipping Line", CustomerType.SHIPPING_LINE),
            ("shipping-line", CustomerType.SHIPPING_LINE),
            ("ＦＯＲＷＡＲＤＥＲ", CustomerType.FORWARDER),
            (" 貨主 ", CustomerType.CARGO_OWNER),
        ],
    )
    def test_customer_types_by_value_or_chinese_name(self, raw: str, expected: CustomerType) -> None:
        assert choice_parser(CustomerType)(raw) is expected

    def test_an_unknown_choice_lists_the_values(self) -> None:
        with pytest.raises(InvalidInput) as caught:
            choice_parser(CustomerType)("个人")
        assert caught.value.params["choices"] == "forwarder, shipping_line, cargo_owner, service_provider"
        assert "Chinese name" in caught.value.message

    @pytest.mark.parametrize(
        ("raw", "value"), [("1", True), ("是", True), ("Yes", True), ("0", False), ("否", False)]
    )
    def test_booleans(self, raw: str, value: bool) -> None:
        assert parse_bool(raw) is value

    def test_an_unclear_boolean_is_an_error(self) -> None:
        with pytest.raises(InvalidInput):
            parse_bool("maybe")


class TestCodesAndText:
    def test_currency_codes_are_iso_4217_and_rmb_means_cny(self) -> None:
        assert parse_currency("usd") == "USD"
        assert parse_currency("RMB") == "CNY"
        for bad in ("YUAN", "ZZZ", "元"):
            with pytest.raises(InvalidInput):
                parse_currency(bad)

    def test_codes_compare_in_upper_case(self) -> None:
        assert code_parser(32)("nbf001") == "NBF001"
        with pytest.raises(InvalidInput):
            code_parser(32)("NBF 001")

    def test_text_longer_than_its_column_is_an_error(self) -> None:
        with pytest.raises(InvalidInput) as caught:
            text_parser(5)("宁波港集团有限公司")
        assert caught.value.params == {"length": 9, "max": 5}
