"""Each count a job reports has words in each language: `portcrm jobs run` and the demo never print dicts."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from portcrm.calendar import Festival
from portcrm.i18n import gettext_for
from portcrm.jobs.base import JobContext
from portcrm.jobs.registry import JOBS
from portcrm.jobs.summaries import LABELS, describe
from portcrm.settings import Settings
from portcrm.storage.db import Database


async def test_every_count_of_every_job_has_a_message(db: Database) -> None:
    settings = Settings(_env_file=None)
    now = dt.datetime(2027, 2, 6, 9, tzinfo=settings.tz)  # 春节: the greetings report a festival too
    for job in JOBS:
        result = await job.run(JobContext(db, settings, now))
        assert set(result) <= set(LABELS[job.name]), job.name


def test_greetings_name_every_festival() -> None:
    assert {f.value for f in Festival} | {"birthday", "anniversary"} == set(LABELS["greetings"])


@pytest.mark.parametrize("locale", ["zh_CN", "zh_TW"])
def test_a_summary_is_one_line_of_the_readers_words(locale: str) -> None:
    t = gettext_for(locale)
    line = describe("grading", {"assessed": 200, "proposed": 39, "upgrades": 25}, t)
    assert (
        line == "已評估客戶：200；分級建議：39；建議升級：25"
        if locale == "zh_TW"
        else "已评估客户：200；分级建议：39；建议升级：25"
    )
    assert not re.search(r"[A-Za-z]", line)


def test_a_count_without_a_message_is_still_shown() -> None:
    assert (
        describe("grading", {"assessed": 1, "novel": 2}, gettext_for("en"))
        == "customers assessed: 1; novel: 2"
    )
