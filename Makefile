# The README's commands. Each target does its own set-up on a fresh Debian 12 machine (as root).
PRESET ?= release
BUILD  := build/$(PRESET)
PY     := /usr/bin/python3
JOBS   ?= $(shell nproc)

.PHONY: all deps build test unit lab demo sanitize fuzz bench install deb clean

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
lab: build
	VIGIL_BUILD=$(CURDIR)/$(BUILD) $(PY) -m pytest -q -p no:cacheprovider tests/corpus tests/lab

test: unit lab

sanitize:
	$(MAKE) unit PRESET=sanitize

fuzz: deps
	cmake --preset fuzz && cmake --build build/fuzz --target fuzz_config -j $(JOBS)
	mkdir -p build/fuzz/corpus && cp -n tests/fuzz/seeds/* build/fuzz/corpus/
	./build/fuzz/tests/fuzz/fuzz_config -max_total_time=$${FUZZ_SECONDS:-60} -timeout=2 -rss_limit_mb=2048 build/fuzz/corpus

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

bench: build
	VIGIL_BUILD=$(CURDIR)/$(BUILD) ./bench/run.sh

clean:
	rm -rf build
