# A thin layer over meson; the real build is meson.build.
BUILD ?= build

.PHONY: all test fuzz demo bench install clean

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(BUILD)/build.ninja:
	meson setup $(BUILD)

test:
	sh tests/run.sh

# each libFuzzer target for 10 minutes (tests/fuzz/README.md)
fuzz:
	sh tests/fuzz/run.sh 600

demo:
	sh packaging/demo.sh

bench: all
	sh tests/bench/bench.sh

install: all
	meson install -C $(BUILD)

clean:
	rm -rf $(BUILD)
