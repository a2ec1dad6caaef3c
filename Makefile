# pexbridge: shortcuts for the scripts (the README's two commands are scripts/run.sh and scripts/test.sh,
# which need nothing but bash and the Swift toolchain).
.PHONY: run test test-swift test-browser test-autobahn deps build release schema bench clean

# Run the bridge with the embedded simulator and the web page on http://127.0.0.1:8080/
run:
	./scripts/run.sh

# Every test: Swift, the web page in a real browser, WebSocket conformance.
test:
	./scripts/test.sh

test-swift:
	./scripts/test.sh swift

test-browser:
	./scripts/test.sh browser

test-autobahn:
	./scripts/test.sh autobahn

deps:
	@./scripts/install-deps.sh

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
