"""Builds the optional compiled capture path (tillroll/capture/_native.pyx, _json_text.pyx,
_byte_walk.pyx, _key_table.pyx, _keyed_digest.pyx, _match_key.pyx, _key_reader.pyx,
_record.pyx, _outline.pyx) and the HAR import's entry cutter (tillroll/interop/_entry_spans.pyx), as
aiohttp, yarl and frozenlist build theirs: Cython at
install, and when it cannot be built (no C compiler, TILLROLL_NO_EXTENSIONS=1) the install
still succeeds on the pure-Python path.
Everything else is declared in pyproject.toml."""

import os
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


class OptionalBuildExt(build_ext):
    """A failed compile is a warning, not a failed install: the pure path runs instead."""

    def run(self):
        try:
            super().run()
        except Exception as exc:  # no compiler, no Python headers
            self._fallback(exc)

    def build_extension(self, ext):
        try:
            super().build_extension(ext)
        except Exception as exc:
            self._fallback(exc)

    @staticmethod
    def _fallback(exc):
        print(f"tillroll: the compiled capture path was not built ({exc}); the pure-Python path runs",
              file=sys.stderr)


CAPTURE_EXTENSIONS = ("_native", "_key_table", "_json_text", "_byte_walk", "_keyed_digest", "_match_key", "_key_reader",
                      "_record", "_outline")
HEADERS = {"_keyed_digest": ["tillroll/capture/_sha256_ni.h"]}  # C the module includes (in the sdist: MANIFEST.in)
ext_modules = []
if os.environ.get("TILLROLL_NO_EXTENSIONS", "") in ("", "0"):
    try:
        from Cython.Build import cythonize
    except ImportError:
        print("tillroll: Cython is not available; the pure-Python capture path runs", file=sys.stderr)
    else:
        try:
            ext_modules = cythonize([Extension(f"tillroll.capture.{name}", [f"tillroll/capture/{name}.pyx"],
                                               depends=HEADERS.get(name, []))
                                     for name in CAPTURE_EXTENSIONS]
                                    + [Extension("tillroll.interop._entry_spans", ["tillroll/interop/_entry_spans.pyx"])],
                                    compiler_directives={"language_level": 3}, quiet=True)
        except Exception as exc:  # a Cython that cannot compile it: still install, on the pure path
            OptionalBuildExt._fallback(exc)

setup(ext_modules=ext_modules, cmdclass={"build_ext": OptionalBuildExt})
