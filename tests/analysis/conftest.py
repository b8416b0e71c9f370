import pytest

from tests.analysis.scripted import VIOLATIONS, write_day


@pytest.fixture(scope="session")
def clean_day(tmp_path_factory):
    return write_day(tmp_path_factory.mktemp("clean") / "day")


@pytest.fixture(scope="session")
def broken_day(tmp_path_factory):
    return write_day(tmp_path_factory.mktemp("broken") / "day", set(VIOLATIONS))
