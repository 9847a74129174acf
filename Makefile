# A thin layer over meson; the real build is meson.build.
BUILD ?= build

.PHONY: all test demo bench install clean

all: $(BUILD)/build.ninja
	ninja -C $(BUILD)

$(BUILD)/build.ninja:
	meson setup $(BUILD)

test:
	sh tests/run.sh

demo:
	sh packaging/demo.sh

bench: all
	sh tests/bench/bench.sh

install: all
	meson install -C $(BUILD)

clean:
	rm -rf $(BUILD)
