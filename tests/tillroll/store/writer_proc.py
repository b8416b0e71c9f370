"""A writer process for the crash and concurrency tests.

Usage: python writer_proc.py CASSETTE COUNT FLUSH_EVERY [--hang] [--segment-rows N] [--convert-on-append]

Appends COUNT exchanges; after every FLUSH_EVERY it flushes and prints
``flushed <n> <last exchange id>`` (so the parent knows what is on disk). With
--hang it then keeps appending without flushing until it is killed.
"""

import sys
import time

from tests.factories import full_exchange
from tillroll.store import open_writer


def main() -> None:
    path, count, every = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    hang = "--hang" in sys.argv
    extra = {}
    if "--segment-rows" in sys.argv:  # roll (and, on s3://, upload) that often
        extra["segment_rows"] = int(sys.argv[sys.argv.index("--segment-rows") + 1])
    if "--convert-on-append" in sys.argv:  # as the recording proxy's capture worker writes
        extra["convert_on_append"] = True
    writer = open_writer(path, batch_rows=64, flush_interval=0.05, **extra)  # a folder or an s3:// URL
    for i in range(count):
        writer.append(full_exchange(i))
        if (i + 1) % every == 0:
            writer.flush()
            print(f"flushed {i + 1}", flush=True)
    if hang:
        print("hanging", flush=True)
        i = count
        deadline = time.monotonic() + 60  # bounded: the parent kills us long before
        while time.monotonic() < deadline:
            writer.append(full_exchange(i))
            i += 1
            time.sleep(0.001)
    writer.close()
    print("closed", flush=True)


if __name__ == "__main__":
    main()
