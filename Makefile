# barproof: the two commands a newcomer needs are `make prove` and `make test`.
# Both install what is missing (libz3-dev, pkg-config, z3, cvc5, librsvg2-bin) with apt-get first.
SWIFT ?= swift
SPECS ?= Specs

.PHONY: deps build release test prove bench clean

deps:
	@scripts/ensure-deps.sh

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

test: deps
	$(SWIFT) test

prove: release
	.build/release/barproof prove $(SPECS)

bench: release
	.build/release/barproof-bench

clean:
	rm -rf .build
