# The README's commands. Each target does its own set-up on a fresh Debian 12 machine (as root).
PRESET ?= release
BUILD  := build/$(PRESET)
PY     := /usr/bin/python3
JOBS   ?= $(shell nproc)

.PHONY: all deps build test unit lab demo sanitize fuzz bench clean

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

demo: build
	VIGIL_BUILD=$(CURDIR)/$(BUILD) ./demo/run.sh

bench: build
	VIGIL_BUILD=$(CURDIR)/$(BUILD) ./bench/run.sh

clean:
	rm -rf build
