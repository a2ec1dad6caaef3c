# pexbridge: the two commands of the README, and a few more.
.PHONY: run test test-swift test-browser test-autobahn deps test-deps build release schema bench clean

# Run the bridge with the embedded simulator and the web page on http://127.0.0.1:8080/
run: deps
	swift run pexbridge serve --simulate

# Run every test: Swift (unit, real-socket integration, command line), the web page in a real
# browser, and WebSocket conformance (Autobahn cases 1-7, when Python 2.7 is available).
test: test-swift test-browser test-autobahn

test-swift: test-deps
	swift build --build-tests
	# The suite runs many bridges and sockets at once: lift the soft open-file limit (often 1,024) to the hard one.
	ulimit -n "$$(ulimit -Hn)" 2>/dev/null || true; swift test --skip-build

test-browser: test-deps
	swift build --product pexbridge
	PEXBRIDGE_BIN=.build/debug/pexbridge ./scripts/browser-test.sh

test-autobahn: test-deps
	swift build --product pexbridge
	PEXBRIDGE_BIN=.build/debug/pexbridge ./scripts/autobahn.sh 1-7

deps:
	@./scripts/install-deps.sh

test-deps:
	@./scripts/install-deps.sh --test

build: deps
	swift build

release: deps
	swift build -c release

# Regenerate protocol/schema.json from the BridgeProtocol module.
schema: deps
	swift run pexbridge schema --output protocol/schema.json

# Fan-out, memory, sessions and join-latency figures (release build; takes several minutes).
bench: deps
	./scripts/bench.sh

clean:
	rm -rf .build
