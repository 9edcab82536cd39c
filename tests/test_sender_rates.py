"""The sender's token buckets and digests, on a clock the test moves by hand."""

from __future__ import annotations

import itertools
import math
from collections import deque

import pytest

from bot.delivery.digests import MESSAGE_LIMIT, SEPARATOR, next_message
from bot.delivery.rates import GROUP_BURST, GROUP_PER_MINUTE, Pacing, TokenBucket
from portcrm.models import Notification

GROUP = -100_200
ALICE, BOB = 101, 102


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _send(pacing: Pacing, clock: FakeClock, chat_id: int) -> float:
    """Wait (on the fake clock) until the chat may be served, then send; returns when it started."""
    clock.now = max(clock.now, pacing.ready_at(chat_id))
    pacing.starting()
    pacing.finished(chat_id)
    return clock.now


class TestTokenBucket:
    def test_a_full_bucket_gives_its_capacity_at_once_then_refills_at_its_rate(
        self, clock: FakeClock
    ) -> None:
        bucket = TokenBucket(2.0, 3.0, clock=clock)
        for _ in range(3):
            assert bucket.ready_at() == clock.now
            bucket.take()
        assert bucket.ready_at() == pytest.approx(clock.now + 0.5)
        clock.advance(0.5)
        assert bucket.ready_at() == clock.now

    def test_it_never_holds_more_than_its_capacity_however_long_it_rested(self, clock: FakeClock) -> None:
        bucket = TokenBucket(1.0, 1.0, clock=clock)
        clock.advance(3600)
        bucket.take()
        assert bucket.ready_at() == pytest.approx(clock.now + 1.0)

    def test_spending_into_debt_pushes_the_next_token_further(self, clock: FakeClock) -> None:
        bucket = TokenBucket(1.0, 1.0, clock=clock)
        bucket.take()
        bucket.take()
        assert bucket.ready_at() == pytest.approx(clock.now + 2.0)

    def test_a_bucket_needs_a_positive_rate(self, clock: FakeClock) -> None:
        with pytest.raises(ValueError, match="positive rate"):
            TokenBucket(0, 1.0, clock=clock)


class TestPacing:
    def test_the_overall_rate_spaces_every_send(self, clock: FakeClock) -> None:
        pacing = Pacing(25, clock=clock)
        starts = [_send(pacing, clock, chat_id) for chat_id in range(1, 101)]
        assert all(b - a == pytest.approx(0.04) for a, b in itertools.pairwise(starts))
        within_a_second = [t for t in starts if t < starts[0] + 1.0]
        assert len(within_a_second) <= 26

    def test_a_private_chat_gets_one_message_a_second(self, clock: FakeClock) -> None:
        pacing = Pacing(25, clock=clock)
        starts = [_send(pacing, clock, ALICE) for _ in range(5)]
        assert [b - a for a, b in itertools.pairwise(starts)] == pytest.approx([1.0] * 4)

    def test_a_group_gets_a_short_burst_then_stays_under_twenty_a_minute(self, clock: FakeClock) -> None:
        pacing = Pacing(25, clock=clock)
        starts = [_send(pacing, clock, GROUP) for _ in range(60)]
        assert starts[GROUP_BURST - 1] - starts[0] == pytest.approx(GROUP_BURST - 1)  # one a second
        for i, start in enumerate(starts):
            in_minute = [t for t in starts[i:] if t < start + 60.0]
            assert len(in_minute) < 20
        assert starts[-1] - starts[GROUP_BURST] == pytest.approx(
            (60 - GROUP_BURST - 1) * 60 / GROUP_PER_MINUTE
        )

    def test_a_chat_waiting_for_its_slot_does_not_hold_up_another(self, clock: FakeClock) -> None:
        pacing = Pacing(25, clock=clock)
        _send(pacing, clock, ALICE)
        chat_id, ready = pacing.next_chat([ALICE, BOB]) or (0, 0.0)
        assert (chat_id, ready) == (BOB, clock.now)
        clock.advance(1.0)
        assert pacing.next_chat([ALICE, BOB]) == (ALICE, clock.now)  # both ready: the first given

    def test_a_lifted_rate_still_gives_a_chat_one_message_a_second(self, clock: FakeClock) -> None:
        pacing = Pacing(math.inf, clock=clock)
        assert [_send(pacing, clock, chat_id) for chat_id in range(1, 101)] == [clock.now] * 100
        assert pacing.ready_at(1) == pytest.approx(clock.now + 1.0)

    def test_the_bots_retry_after_window_holds_every_chat_until_it_ends(self, clock: FakeClock) -> None:
        pacing = Pacing(25, clock=clock)
        pacing.windows.open(None, 3)
        assert pacing.ready_at(ALICE) == pacing.ready_at(GROUP) == clock.now + 3
        assert pacing.paused_until == clock.now + 3

    def test_a_chats_retry_after_window_holds_that_chat_alone(self, clock: FakeClock) -> None:
        pacing = Pacing(25, clock=clock)
        pacing.windows.open(ALICE, 3)
        assert (pacing.ready_at(ALICE), pacing.ready_at(GROUP)) == (clock.now + 3, clock.now)
        assert pacing.next_chat([ALICE, GROUP]) == (GROUP, clock.now)
        assert pacing.in_window(ALICE)
        clock.advance(3.0)
        assert not pacing.in_window(ALICE)

    def test_quiet_chats_are_forgotten_once_their_buckets_are_full(self, clock: FakeClock) -> None:
        pacing = Pacing(25, clock=clock)
        _send(pacing, clock, ALICE)
        _send(pacing, clock, GROUP)
        clock.advance(2.0)
        pacing.forget_idle()
        assert pacing.remembered == {GROUP}  # a group's minute bucket takes longer to fill
        clock.advance(60.0)
        pacing.forget_idle()
        assert pacing.remembered == set()


def _note(id_: int, text: str, markup: dict[str, object] | None = None) -> Notification:
    return Notification(id=id_, chat_id=GROUP, text=text, reply_markup=markup, attempts=0)


class TestDigests:
    def test_a_private_chat_gets_one_message_per_notification(self) -> None:
        queue = deque([_note(1, "a"), _note(2, "b")])
        message = next_message(ALICE, queue)
        assert (message.ids, message.text, len(queue)) == ([1], "a", 1)

    def test_a_group_gets_what_is_due_in_one_message_in_order(self) -> None:
        queue = deque(_note(i, f"alert {i}") for i in range(1, 6))
        message = next_message(GROUP, queue)
        assert message.ids == [1, 2, 3, 4, 5]
        assert message.text == SEPARATOR.join(f"alert {i}" for i in range(1, 6))
        assert not queue

    def test_a_digest_is_split_only_where_telegrams_limit_requires(self) -> None:
        queue = deque(_note(i, "x" * 1000) for i in range(1, 10))
        sizes = []
        while queue:
            message = next_message(GROUP, queue)
            assert len(message.text) <= MESSAGE_LIMIT
            sizes.append(len(message.ids))
        assert sizes == [4, 4, 1]

    def test_a_notification_with_buttons_goes_alone_and_keeps_them(self) -> None:
        markup = {"inline_keyboard": [[{"text": "Open", "callback_data": "x:1"}]]}
        queue = deque([_note(1, "a"), _note(2, "b", markup), _note(3, "c")])
        first, second, third = (next_message(GROUP, queue) for _ in range(3))
        assert (first.ids, second.ids, third.ids) == ([1], [2], [3])
        assert second.reply_markup == markup
        assert first.reply_markup is None

    def test_a_notification_of_a_refused_digest_goes_alone(self) -> None:
        queue = deque(_note(i, f"alert {i}") for i in range(1, 6))
        sent = [next_message(GROUP, queue, alone={2}).ids for _ in range(3)]
        assert sent == [[1], [2], [3, 4, 5]]
