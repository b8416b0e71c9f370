"""Which profile a request goes to: the surest, at least MIN_SCORE, the first among equals."""

from __future__ import annotations

import pytest

from tillroll.capture import vendors
from tillroll.capture.vendors.base import Profile, RequestView

VIEW = RequestView(method="GET", host="h", path="/", query=[], headers=[], content_type=None)


class Fixed(Profile):
    def __init__(self, name: str, score: int):
        self.name, self.score, self.asked = name, score, 0

    def recognise(self, req: RequestView) -> int:
        self.asked += 1
        return self.score


@pytest.mark.parametrize("scores,chosen", [
    ([60, 90, 70], "b"), ([100, 100, 30], "a"), ([20, 40, 10], "generic"), ([80, 120, 100], "b"),
    ([50, 49, 100], "c"),
])
def test_the_surest_profile_is_chosen_the_first_among_equals(monkeypatch, scores, chosen):
    profiles = [Fixed(name, score) for name, score in zip("abc", scores)]
    monkeypatch.setattr(vendors, "PROFILES", profiles)
    assert vendors.detect(VIEW).name == chosen


def test_a_profile_sure_at_the_top_ends_the_search(monkeypatch):
    profiles = [Fixed("a", 70), Fixed("b", 100), Fixed("c", 100)]
    monkeypatch.setattr(vendors, "PROFILES", profiles)
    assert vendors.detect(VIEW).name == "b"
    assert [p.asked for p in profiles] == [1, 1, 0]
