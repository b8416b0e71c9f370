"""--to: where each vendor's requests go, and what looks like production (pure)."""

from __future__ import annotations

import pytest

from tillroll.send.targets import Target, TargetError, parse_targets, production_vendor, target_for


def test_one_url_for_all_and_one_per_vendor():
    targets = parse_targets(["http://127.0.0.1:8700", "spot=https://staging.example.com/spot/"])
    assert target_for(targets, "spot") == Target("https", "staging.example.com", 443, "/spot")
    assert target_for(targets, "xgl").base == "http://127.0.0.1:8700"
    assert target_for(parse_targets(["xgl=http://[::1]:9"]), "spot") is None
    assert parse_targets(["http://[::1]:9"])[None].base == "http://[::1]:9"


@pytest.mark.parametrize("values, says", [
    ([], "say where to send"),
    (["example.com"], r"is not an http\(s\) URL"),
    (["http://h:99999"], "invalid port"),
    (["http://h/?a=1"], "query or fragment"),
    (["spot=http://a", "SPOT=http://b"], "names spot twice"),
])
def test_a_wrong_target_is_one_clear_error(values, says):
    with pytest.raises(TargetError, match=says):
        parse_targets(values)


@pytest.mark.parametrize("url, vendor", [
    ("https://api.mydrycleaner.com", "spot"),
    ("https://restaurantapi.spoton.com", "spoton"),
    ("https://api.spoonity.com", "spoonity"),
    ("https://spoonity.com", "spoonity"),
    ("https://sandbox.spoonity.com", None),
    ("https://api-staging.spoton.com", None),
    ("https://qa.api.mydrycleaner.com", None),
    ("https://sandbox2.mydrycleaner.com", None),
    ("https://devices.spoton.com", "spoton"),  # a word that only starts like "dev"
    ("https://notspoonity.com", None),
    ("http://127.0.0.1:8700", None),
])
def test_production_looking_urls_of_known_vendors(url, vendor):
    assert production_vendor(parse_targets([url])[None]) == vendor
