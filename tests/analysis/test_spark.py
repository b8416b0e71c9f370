"""Apache Spark reads a cassette as it is (hive-partitioned Parquet) and, running the usage
report's own SQL file, gets DuckDB's numbers. Slow (a JVM starts); runs when pyspark is installed."""

import json
import os
import sys
from pathlib import Path

import pytest

from tillroll.analysis import reports
from tillroll.analysis.views import connect

pyspark = pytest.importorskip("pyspark")
from pyspark.sql import SparkSession  # noqa: E402

USAGE = Path(reports.__file__).with_name("sql") / "reports" / "usage.sql"
PARTS = ("date=*/*.parquet",)  # the cassette's data files: not tillroll.json, wal/ or quarantine/


@pytest.fixture(scope="module")
def spark():
    # Spark's Python workers run the UDFs: with this interpreter (and its packages), not python3
    saved = {k: os.environ.get(k) for k in ("PYSPARK_PYTHON", "PYSPARK_DRIVER_PYTHON")}
    os.environ["PYSPARK_PYTHON"] = os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    session = (SparkSession.builder.master("local[2]").appName("tillroll-test")
               .config("spark.sql.session.timeZone", "UTC").config("spark.ui.enabled", "false")
               .config("spark.driver.bindAddress", "127.0.0.1").config("spark.driver.host", "127.0.0.1")
               .config("spark.sql.shuffle.partitions", "2").getOrCreate())
    # the two helpers the SQL files use, as Spark SQL functions (DuckDB has them as macros)
    session.udf.register("jget", _jget)
    session.udf.register("header_value", _header_value)
    yield session
    session.stop()
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def _jget(doc, path):
    try:
        value = json.loads(doc)
    except (TypeError, ValueError):
        return None
    for key in path.removeprefix("$.").split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value if value is None or isinstance(value, str) else json.dumps(value)


def _header_value(headers, wanted):
    for h in headers or ():
        if h["name"].lower() == wanted.lower():
            return h["value"]
    return None


@pytest.mark.slow
def test_spark_reproduces_the_usage_report_from_the_cassette_files(spark, clean_day):
    cassette = Path(clean_day)
    frame = spark.read.option("basePath", str(cassette)).parquet(*(str(cassette / p) for p in PARTS))
    frame.createOrReplaceTempView("exchanges")
    sql = USAGE.read_text().strip().rstrip(";")
    got = [r.asDict() for r in spark.sql(sql).collect()]

    con = connect([cassette])
    con.execute("SET TimeZone = 'UTC'")
    expected = reports.run(con, "usage").to_pylist()
    assert len(got) == len(expected) > 5
    columns = ["day", "vendor", "operation", "calls", "ok", "failed", "errors", "places"]
    assert [[r[c] for c in columns] for r in got] == [[r[c] for c in columns] for r in expected]
