import pytest


@pytest.fixture
def key_file(tmp_path):
    """A redaction key file of the test's own, so no test touches ~/.config/tillroll."""
    path = tmp_path / "key"
    path.write_text("proxy-test-key-0123456789abcdef")
    return path
