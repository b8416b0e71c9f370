import os
import stat

import pytest

from tillroll.capture.keys import ENV, RedactionKeyError, key_id, load_key


def test_key_file_is_created_0600_on_first_use_and_reused(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    first = load_key()
    path = tmp_path / "tillroll" / "key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_key() == first and len(first) >= 32


def test_environment_key_wins_over_the_default_file(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setenv(ENV, "from-the-environment-0123456789")
    assert load_key() == b"from-the-environment-0123456789"
    assert not (tmp_path / "tillroll" / "key").exists()


def test_explicit_key_file_wins_and_its_errors_name_the_file_not_the_key(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV, "ignored-because-a-file-is-given")
    good = tmp_path / "k"
    good.write_text("a-long-enough-secret-key-value\n")
    assert load_key(good) == b"a-long-enough-secret-key-value"
    short = tmp_path / "short"
    short.write_text("tiny")
    with pytest.raises(RedactionKeyError, match="fewer than 16 bytes") as err:
        load_key(short)
    assert "tiny" not in str(err.value)
    with pytest.raises(RedactionKeyError, match="does not exist"):
        load_key(tmp_path / "missing")


def test_key_id_is_a_stable_fingerprint_that_does_not_reveal_the_key():
    key = b"k" * 32
    assert key_id(key) == key_id(key) != key_id(b"j" * 32)
    assert len(key_id(key)) == 12 and "kkkk" not in key_id(key)
