"""Recorded order, exhausted sequences, reset."""

import pytest

from tillroll.replay.playback import Exhausted, Playback


def test_identical_requests_get_their_recordings_in_order_then_the_policy():
    index = {"balance": [3, 7], "other": [5]}
    repeat, cycle, error = Playback(index, "repeat"), Playback(index, "cycle"), Playback(index, "error")
    assert [repeat.next("balance") for _ in range(4)] == [3, 7, 7, 7]
    assert [cycle.next("balance") for _ in range(4)] == [3, 7, 3, 7]
    assert [error.next("balance") for _ in range(2)] == [3, 7]
    with pytest.raises(Exhausted, match="all 2 recording"):
        error.next("balance")
    assert repeat.next("missing") is None


def test_reset_rewinds_and_unused_lists_what_was_never_served():
    p = Playback({"a": [0, 1], "b": [2]})
    assert p.next("a") == 0 and p.unused() == [1, 2]
    p.reset()
    assert p.next("a") == 0 and p.next("a") == 1 and p.unused() == [2]


def test_an_unknown_policy_is_refused():
    with pytest.raises(ValueError, match="repeat, cycle, error"):
        Playback({}, "shuffle")
