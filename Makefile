# anemll: `make demo` and `make test` each install missing system packages (apt-get as root on
# Debian, brew on macOS), configure, build, and then run the demo or the tests.

BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc 2>/dev/null || sysctl -n hw.ncpu 2>/dev/null || echo 2)
CMAKE_FLAGS ?=

APT_PACKAGES := build-essential cmake pkg-config xz-utils nlohmann-json3-dev libyaml-cpp-dev \
  libprotobuf-dev protobuf-compiler libpcre2-dev libcli11-dev libhwy-dev libcpp-httplib-dev \
  libgtest-dev libgmock-dev libbenchmark-dev libutf8proc-dev ccache
BREW_PACKAGES := cmake pkg-config xz nlohmann-json yaml-cpp protobuf pcre2 cli11 highway \
  cpp-httplib googletest google-benchmark utf8proc

DEMO_MODEL := tests/fixtures/models/stories260K

.PHONY: all deps build test test-sanitize demo bench clean

all: build

deps:
	@if command -v apt-get >/dev/null 2>&1 && command -v dpkg-query >/dev/null 2>&1; then \
	  missing=""; \
	  for p in $(APT_PACKAGES); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	  done; \
	  if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = "0" ]; then \
	      echo "installing:$$missing"; \
	      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	    else \
	      echo "missing Debian packages:$$missing (run 'sudo make deps' or install them)"; exit 1; \
	    fi; \
	  fi; \
	elif command -v brew >/dev/null 2>&1; then \
	  for p in $(BREW_PACKAGES); do brew list --versions $$p >/dev/null 2>&1 || brew install $$p; done; \
	else \
	  echo "neither apt-get nor brew found: install the packages listed in README.md by hand"; \
	fi

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 900

# The whole suite under AddressSanitizer and UndefinedBehaviorSanitizer.
test-sanitize: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DANEMLL_SANITIZE=ON -DANEMLL_BUILD_BENCH=OFF $(CMAKE_FLAGS)
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j $(JOBS) --timeout 1800 -LE slow

# The demo converts the bundled stories260K checkpoint to ANEMLL-layout Core ML packages (fp16
# weights; the LUT defaults are meant for billion-parameter models) and runs them on the CPU
# runtime with ANE-like fp16 numerics.
demo: build
	$(BUILD)/bin/anemll convert --model $(DEMO_MODEL) --output $(BUILD)/demo/stories260K --context 512 \
	  --lut1 none --lut2 none --lut3 none
	$(BUILD)/bin/anemll run --model $(BUILD)/demo/stories260K --prompt "Once upon a time" -n 256 --temperature 0

bench: build
	@ls $(BUILD)/bench/ 2>/dev/null | grep -E '^bench_' | while read b; do $(BUILD)/bench/$$b; done

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
