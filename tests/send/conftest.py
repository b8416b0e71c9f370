"""A POS day recorded once per session through the real proxy, for ``send`` and ``verify``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.canaries import token
from tillroll.demo.run import run_demo

START = dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.timezone.utc)
# The POS day moves the sandbox's clock 21 minutes on after SPOT; the later vendors were
# recorded at that time, so a sandbox answering them again starts there.
LATER = START + dt.timedelta(minutes=21)
PII = {"spot_user": "example@example.com", "xgl_phone": "1111111111", "spoonity_card": "brandin@spoonity.com",
       "spoonity_phone": "4165550123", "cashier": "Tony"}


@dataclass
class Day:
    cassette: Path
    key_file: Path
    rotated: dict[str, str]  # the sandbox's own credentials, never seen by the cassette
    secrets_file: Path  # the rotated credentials by the cassette's field names, and the PII by digest

    def secrets(self) -> dict[str, str]:
        return {"securityid": self.rotated["SECURITY_ID"], "password": self.rotated["PASSWORD"],
                "x-api-key": self.rotated["SPOTON_API_KEY"], "api_key": self.rotated["SPOONITY_API_KEY"], **PII}


@pytest.fixture(scope="session")
def pos_day(tmp_path_factory) -> Day:
    work = tmp_path_factory.mktemp("pos-day")
    key_file = work / "key"
    key_file.write_text("send-test-key-0123456789abcdef")
    run_demo(work / "day", key_file=key_file, start=START)
    rotated = {"SECURITY_ID": token("SEC-"), "PASSWORD": token("PW-"), "SPOTON_API_KEY": token("SPOTON-"),
               "SPOONITY_API_KEY": token("SPOONITY-")}
    day = Day(work / "day", key_file, rotated, work / "secrets.toml")
    day.secrets_file.write_text("".join(f'{name} = "{value}"\n' for name, value in day.secrets().items()))
    return day
