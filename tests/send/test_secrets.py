"""Secrets: loaded from TOML and the environment, matched to pseudonyms, never shown (pure)."""

from __future__ import annotations

import pytest

from tillroll.send.secrets import Secrets, SecretsError, load_secrets, resolve
from tests.samples import redactor


def test_secrets_come_from_a_toml_file_and_the_environment(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('securityid = "from-file"\napi_key = "file-key"\n')
    secrets = load_secrets(path, {"TILLROLL_SECRET_API_KEY": "env-key", "TILLROLL_SECRET_PASSWORD": "pw-123",
                                  "OTHER": "x"})
    assert sorted(secrets.names()) == ["api_key", "password", "securityid"]
    assert secrets.value("api_key") == "env-key" and secrets.value("securityid") == "from-file"
    assert "from-file" not in repr(secrets) and "env-key" not in str(secrets)


@pytest.mark.parametrize("content, says", [
    (None, "does not exist"),
    ('securityid = "unterminated\n', "is not valid TOML"),
    ("securityid = 12\n", "securityid must be a non-empty string"),
    (b"\xff\xfe", "cannot be read as UTF-8"),
])
def test_a_bad_secrets_file_is_one_clear_error_without_its_values(tmp_path, content, says):
    path = tmp_path / "s.toml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(SecretsError, match=says) as err:
        load_secrets(path, {})
    assert "unterminated" not in str(err.value)


def test_mask_takes_every_form_of_a_value_out():
    secrets = Secrets({"k": "a b/c+d=e"})
    text = "x a b/c+d=e y a%20b%2Fc%2Bd%3De z a+b%2Fc%2Bd%3De w YSBiL2MrZD1l"
    assert secrets.mask(text) == "x [secret] y [secret] z [secret] w [secret]"


def test_secrets_stand_for_pseudonyms_by_digest_or_by_name():
    r = redactor()
    needed = [(r.pseudonym("username", "ann@example.com"), "UserName"),
              (r.pseudonym("email", "ann@example.com"), "Search"),
              (r.pseudonym("securityid", "recorded-sec"), "SecurityID"),
              ("tillroll:dropped", "Password"),
              (r.pseudonym("sessionid", "S-1"), "SessionID"),
              (r.pseudonym("phone", "555-0100"), "Search")]
    secrets = Secrets({"whoever": "ann@example.com", "SecurityID": "a-new-one", "password": "pw"})
    out = resolve(needed, secrets, r, chained={r.digest("S-1")})
    assert out.by_token == {r.pseudonym("username", "ann@example.com"): "whoever",
                            r.pseudonym("email", "ann@example.com"): "whoever",
                            r.pseudonym("securityid", "recorded-sec"): "SecurityID"}
    assert out.by_field == {"password": "password"}
    assert out.unexplained == {r.pseudonym("phone", "555-0100"): {"Search"}}  # the session is chained
    assert out.unused == []
    lookup = out.lookup(secrets)
    assert lookup("tillroll:dropped", "Password") == "pw" and lookup("tillroll:dropped", "PIN") is None


def test_a_recorded_value_is_never_used_by_name_and_an_idle_secret_is_reported():
    r = redactor()
    needed = [(r.pseudonym("phone", "555-0100"), "phone"), (r.pseudonym("phone", "555-0199"), "phone")]
    out = resolve(needed, Secrets({"phone": "555-0100", "loyalty_pin": "1234"}), r)
    assert out.by_token == {r.pseudonym("phone", "555-0100"): "phone"}
    assert out.unexplained == {r.pseudonym("phone", "555-0199"): {"phone"}}
    assert out.unused == ["loyalty_pin"]
