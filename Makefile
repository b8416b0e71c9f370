# Two commands set everything up on a fresh machine: `make demo` and `make test`.
# Both create .venv when it is missing and install the project into it.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
PY      = $(VENV)/bin/python

.PHONY: demo test dist screenshot bench fuzz asan clean

$(PY):
	$(PYTHON) -m venv $(VENV)

# Reinstall when pyproject.toml changes (the stamp is older than it).
$(VENV)/.installed-run: pyproject.toml setup.py $(wildcard tillroll/capture/*.pyx tillroll/capture/*.pxd) | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -e .
	@$(PY) -c "from tillroll.capture import native; print('tillroll:', native.describe())"
	touch $@

$(VENV)/.installed-test: pyproject.toml setup.py $(wildcard tillroll/capture/*.pyx tillroll/capture/*.pxd) | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@# The browser tests drive Debian's Chromium (Playwright cannot download its own here).
	@command -v chromium >/dev/null 2>&1 || { if [ "$$(id -u)" = 0 ]; then \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
	    || echo "tillroll: could not install chromium: the browser tests will be skipped (and reported)"; \
	else echo "tillroll: the browser tests need Debian's chromium (apt-get install chromium); skipped without it"; fi; }
	@$(PY) -c "from tillroll.capture import native; print('tillroll:', native.describe())"
	touch $@ $(VENV)/.installed-run

demo: $(VENV)/.installed-run
	$(VENV)/bin/tillroll demo

# The whole suite on the compiled capture path (when built), the wheel and sdist installed
# outside the checkout included (tests/test_installed.py); then the capture, redaction,
# canary and property tests once more on the pure path, the oracle.
PURE_PATH_TESTS = tests/tillroll/capture tests/replay/test_pseudonym_matching.py tests/replay/test_matching.py \
                  tests/tillroll/interop/test_har_bytes.py

test: $(VENV)/.installed-test
	$(PY) -m pytest
	TILLROLL_NO_EXTENSIONS=1 $(PY) -m pytest -q -p no:nbmake -o addopts=-ra $(PURE_PATH_TESTS)

# The wheel and sdist a user installs (dist/): one import name, the compiled capture path in
# the wheel, its Cython sources in the sdist. tests/test_installed.py builds and runs them.
dist: $(VENV)/.installed-test
	$(PY) -m build --no-isolation --outdir dist .

# The README's picture of `tillroll html` (docs/page.png), taken as the browser tests take theirs.
screenshot: $(VENV)/.installed-test
	$(PY) docs/screenshot.py

# The capture tests with the compiled path built under AddressSanitizer, then rebuilt normally.
asan: $(VENV)/.installed-test
	$(PY) -m pip install --quiet --disable-pip-version-check 'Cython>=3.0'
	CFLAGS="-fsanitize=address -fno-omit-frame-pointer -O1" LDFLAGS="-fsanitize=address" \
	  $(PY) setup.py --quiet build_ext --inplace --force
	ASAN_OPTIONS=detect_leaks=0 LD_PRELOAD=$$(gcc -print-file-name=libasan.so) \
	  $(PY) -m pytest -q -p no:nbmake -o addopts=-ra tests/tillroll/capture; status=$$?; \
	  $(PY) setup.py --quiet build_ext --inplace --force; exit $$status

bench: $(VENV)/.installed-test
	$(PY) benchmarks/bench_store_write.py

# Coverage-guided fuzzing (atheris): each target in fuzz/ for FUZZ_SECONDS, seeded from
# fuzz/corpus/<target>. New corpus entries and crash files go to $(FUZZ_OUT) (ignored).
# A crash stops its target; FUZZ_KEEP_GOING=1 files findings in $(FUZZ_OUT)/<target>/findings
# and goes on (fuzz/findings.py). Either way make fails when anything was found.
FUZZ_SECONDS    ?= 60
FUZZ_OUT        ?= fuzz/.out
FUZZ_KEEP_GOING ?=

$(VENV)/.installed-fuzz: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[fuzz]'
	touch $@ $(VENV)/.installed-run

fuzz: $(VENV)/.installed-fuzz
	@status=0; for target in jsonish capture pass; do \
	  rm -rf $(FUZZ_OUT)/$$target/findings; mkdir -p $(FUZZ_OUT)/$$target/corpus; \
	  echo "== fuzz/fuzz_$$target.py for $(FUZZ_SECONDS) s"; \
	  $(if $(FUZZ_KEEP_GOING),FUZZ_KEEP_GOING=$(FUZZ_OUT)/$$target/findings) \
	  $(PY) fuzz/fuzz_$$target.py -max_total_time=$(FUZZ_SECONDS) -max_len=16384 -timeout=30 \
	    -print_final_stats=1 -artifact_prefix=$(FUZZ_OUT)/$$target/ \
	    $(FUZZ_OUT)/$$target/corpus fuzz/corpus/$$target || status=1; \
	  if [ -s $(FUZZ_OUT)/$$target/findings/counts.txt ]; then \
	    echo "== findings of $$target:"; cat $(FUZZ_OUT)/$$target/findings/counts.txt; status=1; fi; \
	done; exit $$status

clean:
	rm -rf $(VENV) .pytest_cache build dist *.egg-info
