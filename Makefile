# The README's commands. Each target does its own set-up on a fresh Debian 12 machine (as root).
PRESET ?= release
BUILD  := build/$(PRESET)
PY     := /usr/bin/python3
JOBS   ?= $(shell nproc)

.PHONY: all deps build test unit lab demo sanitize fuzz bench install deb compat-doc clean

all: build

deps:
	./scripts/install-deps.sh

$(BUILD)/build.ninja:
	cmake --preset $(PRESET)

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

unit: build
	ctest --preset $(PRESET) -j $(JOBS)

# Lab tests need root and network namespaces; they skip themselves with a reason otherwise.
# LAB_WORKERS pytest-xdist workers share them out a file at a time, each worker in a mount
# namespace with its own /run (tests/lab/worker_python); LAB_WORKERS=1 runs them in one process.
LAB_WORKERS ?= 2
ifeq ($(LAB_WORKERS),1)
LAB_PARALLEL :=
else
LAB_PARALLEL := --tx $(LAB_WORKERS)*popen//python=$(CURDIR)/tests/lab/worker_python --dist loadfile
endif
lab: build
	VIGIL_BUILD=$(CURDIR)/$(BUILD) $(PY) -m pytest -q -p no:cacheprovider --durations=25 $(LAB_PARALLEL) tests/corpus tests/lab

test: unit lab

sanitize:
	$(MAKE) unit PRESET=sanitize

# Every tests/fuzz/fuzz_<name>.cc for FUZZ_SECONDS each, one at a time, from its committed
# seeds; the corpus grows in build/fuzz/corpus/<name>, crashes land in build/fuzz/artifacts/.
# (`make test` replays the seeds through the same targets built with g++: ctest -L fuzz.)
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= $(patsubst tests/fuzz/fuzz_%.cc,%,$(wildcard tests/fuzz/fuzz_*.cc))
fuzz: deps
	cmake --preset fuzz && cmake --build build/fuzz --target fuzz_all -j $(JOBS)
	mkdir -p build/fuzz/artifacts
	set -e; for t in $(FUZZ_TARGETS); do \
	  mkdir -p build/fuzz/corpus/$$t; \
	  echo "== fuzz_$$t ($(FUZZ_SECONDS) s)"; \
	  ASAN_SYMBOLIZER_PATH=$$(command -v llvm-symbolizer-16 || command -v llvm-symbolizer) \
	  ./build/fuzz/tests/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=2 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix=build/fuzz/artifacts/$$t- \
	    build/fuzz/corpus/$$t tests/fuzz/seeds/$$t; \
	done

# Only the two programs the demo runs. VIGIL_DEMO_KEEP=1 keeps its directory of configs and logs.
demo: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS) --target vigild vigilctl
	VIGIL_BUILD=$(CURDIR)/$(BUILD) ./demo/run.sh

# Into /usr (the build's CMAKE_INSTALL_PREFIX); DESTDIR=/some/root installs beneath it.
install: build
	cmake --install $(BUILD)

# The Debian package, $(BUILD)/vigil_<version>_<arch>.deb: `apt-get install ./$(BUILD)/vigil_*.deb`.
deb: build
	cd $(BUILD) && cpack -G DEB

# docs/compatibility.md from the schema (src/config/schema*.cc); commit it with the schema change.
compat-doc: $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS) --target vigil-compat-doc
	$(BUILD)/tools/vigil-compat-doc > docs/compatibility.md

bench: build
	VIGIL_BUILD=$(CURDIR)/$(BUILD) ./bench/run.sh

clean:
	rm -rf build
