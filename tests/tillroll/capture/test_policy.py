import json

import pytest

from tests.samples import KEY, exchange
from tillroll.capture import capture
from tillroll.capture import PolicyError, load_policy
from tillroll.capture import Redactor


def write_policy(tmp_path, text):
    path = tmp_path / "policy.toml"
    path.write_text(text)
    return path


def test_a_policy_adds_fields_keeps_fields_and_drops_bodies(tmp_path):
    policy = load_policy(write_policy(tmp_path, '''
name = "store-42"
[fields]
secret = ["loyalty_ref"]
keep = ["employeeName"]
drop = ["internal_note"]
[bodies]
drop = ["/v1/private/*"]
'''))
    red = Redactor(KEY, policy)
    body = json.dumps({"loyalty_ref": "LR-123456", "employeeName": "Sandy Smith", "internal_note": "x"}).encode()
    ex = capture(exchange("POST", "api.example.com", "/v1/things", body=body, response=b"{}"), red)
    stored = json.loads(ex.request_body_text)
    assert stored["loyalty_ref"].startswith("tillroll:loyaltyref:")
    assert stored["employeeName"] == "Sandy Smith"
    assert stored["internal_note"] == "tillroll:dropped"
    assert ex.redaction_policy == "store-42"
    private = capture(exchange("POST", "api.example.com", "/v1/private/x", body=body, response=b'{"a": 1}'), red)
    assert private.request_body_text is None and private.response_body_text is None
    assert private.request_body_size == len(body)
    assert ("request.body", "policy.drop-body") in private.redactions
    assert private.params_json is None  # parameters decoded from a dropped body go with it


@pytest.mark.parametrize("text,message", [
    ("[fields\nsecret = [", "not valid TOML"),
    ('[fields]\nhide = ["a"]', "unknown \\[fields\\] key"),
    ('[fields]\nsecret = "a"', "must be a list"),
])
def test_bad_policy_files_are_one_clear_error(tmp_path, text, message):
    with pytest.raises(PolicyError, match=message):
        load_policy(write_policy(tmp_path, text))


def test_a_missing_policy_file_is_a_clear_error(tmp_path):
    with pytest.raises(PolicyError, match="does not exist"):
        load_policy(tmp_path / "nope.toml")
