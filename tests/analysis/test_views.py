"""Which files the views read."""

import shutil

from tillroll.analysis.views import connect
from tests.factories import full_exchange
from tillroll.store import CassetteWriter, open_cassette


def test_an_imports_staging_folder_and_quarantine_are_not_read(tmp_path):
    with CassetteWriter(tmp_path / "c") as w:
        for i in range(3):
            w.append(full_exchange(i))
    part = open_cassette(tmp_path / "c").parquet_files()[0]
    for hidden in (".import-123-abcd", "quarantine"):  # an import in progress; a damaged file kept
        target = tmp_path / "c" / hidden / part.parent.name
        target.mkdir(parents=True)
        shutil.copy(part, target / part.name)
    assert connect([tmp_path / "c"]).execute("SELECT count(*) FROM exchanges").fetchone()[0] == 3
    assert connect([tmp_path]).execute("SELECT count(*) FROM exchanges").fetchone()[0] == 3  # a folder of cassettes
