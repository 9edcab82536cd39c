"""The port's working calendar: the library's holidays and make-up days, working time, the override file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
import pytest

from portcrm.calendar import Festival, PortCalendar
from portcrm.settings import ConfigError, Settings

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _calendar(**settings: object) -> PortCalendar:
    return PortCalendar(Settings(_env_file=None, **settings))  # type: ignore[arg-type]


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)


class TestWorkingDays:
    def test_agree_with_the_library_through_a_whole_year(self) -> None:
        library, calendar = holidays.China(years=2026), _calendar()
        day = dt.date(2026, 1, 1)
        while day.year == 2026:
            assert calendar.is_working_day(day) == library.is_working_day(day), day
            day += dt.timedelta(days=1)

    def test_a_make_up_saturday_is_worked_and_a_substituted_weekday_is_not(self) -> None:
        calendar = _calendar()
        assert dt.date(2026, 2, 14).weekday() == 5
        assert dt.date(2026, 2, 14) in holidays.China(years=2026).weekend_workdays
        assert calendar.is_working_day(dt.date(2026, 2, 14))
        assert not calendar.is_working_day(dt.date(2026, 2, 20)), "a Friday off in exchange"
        assert not calendar.is_working_day(dt.date(2026, 2, 21)), "an ordinary Saturday"
        assert calendar.is_working_day(dt.date(2026, 2, 24))

    def test_working_days_after_skip_the_spring_festival_and_count_the_make_up_saturday(self) -> None:
        calendar = _calendar()
        assert calendar.working_days_after(dt.date(2026, 2, 12), 1) == dt.date(2026, 2, 13)
        assert calendar.working_days_after(dt.date(2026, 2, 12), 2) == dt.date(2026, 2, 14), "make-up Sat"
        assert calendar.working_days_after(dt.date(2026, 2, 12), 3) == dt.date(2026, 2, 24), "after the break"
        assert calendar.working_days_after(dt.date(2026, 3, 6), 5) == dt.date(2026, 3, 13), "Fri to Fri"

    def test_a_make_up_day_before_new_year_belongs_to_next_years_arrangement(self) -> None:
        assert _calendar().is_working_day(dt.date(2001, 12, 29))  # a Saturday worked for New Year 2002


class TestFestivals:
    def test_first_days_as_the_library_has_them_and_never_qingming(self) -> None:
        festivals = _calendar().festivals(2027)
        assert festivals == [
            (dt.date(2027, 1, 1), Festival.NEW_YEAR),
            (dt.date(2027, 2, 6), Festival.SPRING_FESTIVAL),
            (dt.date(2027, 6, 9), Festival.DRAGON_BOAT),
            (dt.date(2027, 9, 15), Festival.MID_AUTUMN),
            (dt.date(2027, 10, 1), Festival.NATIONAL_DAY),
        ]
        library = holidays.China(years=2027, language="en_US")
        assert library.get(dt.date(2027, 2, 6)) == "Chinese New Year (Spring Festival)"
        assert dt.date(2027, 2, 5) in library, "New Year's Eve is a day off but not the festival"
        assert library.get(dt.date(2027, 6, 9)) == "Dragon Boat Festival"
        assert library.get(dt.date(2027, 9, 15)) == "Mid-Autumn Festival"
        qingming = [day for day, name in library.items() if name == "Tomb-Sweeping Day"]
        assert qingming
        assert not {day for day, _ in festivals} & set(qingming)

    def test_two_festivals_on_one_day_are_both_found(self) -> None:
        assert {f for day, f in _calendar().festivals(2020) if day == dt.date(2020, 10, 1)} == {
            Festival.MID_AUTUMN,
            Festival.NATIONAL_DAY,
        }


class TestWorkingTime:
    def test_counts_working_hours_across_a_weekend_with_a_make_up_saturday_and_a_holiday(self) -> None:
        calendar = _calendar(working_hours=("08:30", "17:30"))
        friday = dt.date(2026, 2, 13)
        # Fri 16:00-17:30, Sat 14th (make-up) 9 h, 15th-23rd off (Spring Festival), Tue 24th 08:30-10:00
        assert calendar.working_time_between(_at(friday, 16), _at(dt.date(2026, 2, 24), 10)) == dt.timedelta(
            hours=12
        )
        assert calendar.add_working_time(_at(friday, 16), dt.timedelta(hours=4)) == _at(
            dt.date(2026, 2, 14), 11
        )
        assert calendar.add_working_time(_at(friday, 16), dt.timedelta(hours=12)) == _at(
            dt.date(2026, 2, 24), 10
        )

    def test_outside_hours_counts_nothing_and_adding_starts_at_the_next_opening(self) -> None:
        calendar = _calendar()
        saturday = dt.date(2026, 3, 7)
        assert calendar.working_time_between(_at(saturday, 9), _at(saturday, 18)) == dt.timedelta(0)
        assert calendar.working_time_between(_at(saturday, 18), _at(saturday, 9)) == dt.timedelta(0)
        assert calendar.add_working_time(_at(saturday, 12), dt.timedelta(minutes=30)) == _at(
            dt.date(2026, 3, 9), 9
        )
        assert calendar.day_length == dt.timedelta(hours=9)

    def test_moments_in_utc_are_read_on_the_port_clock(self) -> None:
        calendar = _calendar()
        start = dt.datetime(2026, 3, 9, 0, 30, tzinfo=dt.UTC)  # 08:30 in Shanghai
        assert calendar.working_time_between(start, start + dt.timedelta(hours=3)) == dt.timedelta(hours=3)


class TestOverrideFile:
    def test_changes_working_days_days_off_and_festival_dates(self, tmp_path: Path) -> None:
        path = tmp_path / "calendar.toml"
        path.write_text(
            "[2027]\n"
            'days_off = ["2027-02-05", "2027-02-08", 2027-02-11, "2027-02-12"]\n'
            'working_days = ["2027-02-14"]\n'
            "[2027.festivals]\n"
            'dragon_boat = "2027-06-10"\n',
            encoding="utf-8",
        )
        library, calendar = holidays.China(years=2027), _calendar(calendar_file=path)
        sunday, thursday = dt.date(2027, 2, 14), dt.date(2027, 2, 11)
        assert not library.is_working_day(sunday)
        assert calendar.is_working_day(sunday)
        assert library.is_working_day(thursday)
        assert not calendar.is_working_day(thursday)
        # the year is given in full: the library's guessed days off that the file does not list are worked
        assert not library.is_working_day(dt.date(2027, 2, 9))
        assert calendar.is_working_day(dt.date(2027, 2, 9))
        assert not calendar.is_working_day(dt.date(2027, 2, 13)), "weekends stay off"
        assert (dt.date(2027, 6, 10), Festival.DRAGON_BOAT) in calendar.festivals(2027)
        assert (dt.date(2027, 2, 6), Festival.SPRING_FESTIVAL) in calendar.festivals(2027)
        assert calendar.is_working_day(dt.date(2026, 2, 14)), "other years stay the library's"

    def test_the_example_file_reads(self) -> None:
        calendar = _calendar(calendar_file=Path(__file__).parents[2] / "examples" / "calendar.toml")
        assert calendar.overrides.full_years == {2027}
        assert not calendar.is_working_day(dt.date(2027, 2, 5))

    @pytest.mark.parametrize(
        ("content", "says"),
        [
            ('[2027]\ndays_off = ["2027-02-30"]\n', "is not a date"),
            ('[2027]\nholidays = ["2027-02-05"]\n', "unknown key 'holidays'"),
            ('[2027.festivals]\nqingming = "2027-04-05"\n', "unknown festival 'qingming'"),
            ('[2027]\ndays_off = ["2027-02-05"]\nworking_days = ["2027-02-05"]\n', "both"),
            ("[next]\n", "expected a year's table"),
            ("[2027\n", "not valid TOML"),
        ],
    )
    def test_a_mistake_stops_start_up_with_one_clear_line(
        self, tmp_path: Path, content: str, says: str
    ) -> None:
        path = tmp_path / "calendar.toml"
        path.write_text(content, encoding="utf-8")
        with pytest.raises(ConfigError, match=says) as raised:
            _calendar(calendar_file=path)
        assert "\n" not in str(raised.value)

    def test_a_missing_file_is_named(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigError, match="does not exist"):
            _calendar(calendar_file=tmp_path / "nowhere.toml")
