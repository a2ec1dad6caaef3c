# pexbridge: the two commands of the README, and a few more.
.PHONY: run test deps test-deps build release schema clean

# Run the bridge with the embedded simulator and the web page on http://127.0.0.1:8080/
run: deps
	swift run pexbridge serve --simulate

# Run every test (unit, real-socket integration, CLI).
test: test-deps
	swift build --build-tests
	swift test --skip-build

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

clean:
	rm -rf .build
