# Floe — build, run and test. See README.md.
GO       ?= go
PKGS     := ./...
# grpcnotrace: gRPC without golang.org/x/net/trace (its /debug/requests
# pages, never served: Floe does not serve http.DefaultServeMux). That
# package executes html/template, whose reflective method calls keep every
# exported method of every linked type; without it the linker drops them
# (docs/BENCHMARKS.md, binary size).
TAGS     ?= grpcnotrace
FUZZTIME ?= 10s

.PHONY: all build run install test test-short vet fmt fuzz fuzz-short bench bench-short bench-syscalls bench-arrow bench-readsplit bench-tracing bench-cache release binsize bench-idle firewall-corpus firewall-app lexdiff services compat-deps compat clean

all: build

# The first build compiles the PostgreSQL parser (C, through cgo): several
# minutes on two cores, cached afterwards.
build:
	@test -x bin/floe || echo "building bin/floe (the first build compiles the PostgreSQL parser, a C library: several minutes on two cores; later builds are cached)…"
	$(GO) build -tags "$(TAGS)" -o bin/floe ./cmd/floe

## release: bin/floe as shipped: no file paths of the build machine, no
## symbol table or DWARF (-trimpath -ldflags "-s -w"), tags $(TAGS);
## prints its size.
release:
	$(GO) build -tags "$(TAGS)" -trimpath -ldflags "-s -w" -o bin/floe ./cmd/floe
	@ls -l bin/floe | awk '{printf "bin/floe: %.1f MB\n", $$5/1e6}'

## binsize: the release build's size by package (from a build that keeps
## its symbol table, bin/floe-syms), and any reachable function that calls
## methods by name through reflect (text/template execution, for one): one
## makes the linker keep every exported method of every type.
binsize:
	$(GO) build -tags "$(TAGS)" -trimpath -o bin/floe-syms ./cmd/floe
	./scripts/binsize.py bin/floe-syms 30
	@$(GO) build -tags "$(TAGS)" -trimpath -ldflags=-dumpdep -o /dev/null ./cmd/floe 2>&1 | \
	grep -o '^[^ ]* <ReflectMethod> ->' | sort -u | \
	sed 's/ <ReflectMethod> ->$$//; s/^/reachable call of a method by name (keeps every exported method): /' || true

## run: the gateway in demo mode (no config file needed)
run: build
	./bin/floe serve

## install: the floe command in $(PREFIX)/bin (default /usr/local/bin)
PREFIX ?= /usr/local
install: build
	install -D -m 0755 bin/floe $(DESTDIR)$(PREFIX)/bin/floe
	@echo "installed $(DESTDIR)$(PREFIX)/bin/floe"

services:
	./scripts/services.sh

## compat-deps: the client libraries of the driver compatibility suite
## (Java, PgJDBC, MariaDB Connector/J, psycopg2, PyMySQL, SQLAlchemy, node
## pg and mysql2): Debian packages (needs root) and npm ci in test/compat/node.
compat-deps:
	./scripts/compat-deps.sh

## test: everything CI runs — servers, vet, gofmt, unit + integration tests
## with the race detector, a short sample of every fuzz target and of the
## benchmarks.
test: services compat-deps vet fmt
	$(GO) test -race -count=1 -timeout 20m $(PKGS)
	$(MAKE) fuzz-short
	$(MAKE) bench-short

test-short:
	$(GO) test -short -count=1 $(PKGS)

vet:
	$(GO) vet $(PKGS)

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# Every fuzz target, FUZZTIME each. `make fuzz FUZZTIME=10m` for a long run.
fuzz:
	./scripts/fuzz.sh $(FUZZTIME)

fuzz-short:
	./scripts/fuzz.sh 2000x

## lexdiff: the differential lexing test (the gateway's reading of
## generated texts against PostgreSQL's and MariaDB's) on LEXDIFF_CASES
## texts per dialect; the test suite runs 300. FLOE_LEXDIFF_SEED replays.
LEXDIFF_CASES ?= 200000
lexdiff:
	FLOE_LEXDIFF_CASES=$(LEXDIFF_CASES) $(GO) test -count=1 -timeout 60m -run TestDifferential ./internal/sqlparse/

## firewall-corpus: every payload and benign statement of the committed
## corpora through the firewall; the report goes to docs/firewall-corpus.md
## (the test suite runs a sample).
firewall-corpus:
	$(GO) test -count=1 -run TestFirewallCorpus ./internal/policy/ -args -corpus.full -corpus.report $(CURDIR)/docs/firewall-corpus.md
	@cat docs/firewall-corpus.md

## firewall-app: every payload of the committed corpora, concatenated into an
## injectable application's statements, sent through Floe's PostgreSQL and
## MySQL relays to the real servers (the e2e suite runs a sample).
firewall-app:
	$(GO) test -count=1 -timeout 60m -run TestFirewallInjectableApp ./test/e2e/ -args -firewall.full -firewall.report $(CURDIR)/docs/firewall-app.md
	@cat docs/firewall-app.md

## compat: every client of the driver compatibility suite against the
## embedded SQLite engine and the PostgreSQL and MariaDB relays; the matrix
## goes to docs/compatibility.md (the test suite runs the same test and
## holds the embedded engine to test/compat/testdata/expected.txt).
compat: compat-deps
	$(GO) test -count=1 -timeout 10m -run TestDriverCompat ./test/e2e/ -args -compat.report $(CURDIR)/docs/compatibility.md
	@cat docs/compatibility.md

## bench: every throughput benchmark with its defaults: pgbench -S against
## direct PostgreSQL, a haproxy TCP relay, PgBouncer and Floe (TPS, p50/p99),
## sysbench against MariaDB direct, haproxy and Floe, policy, Arrow, read/write
## split, tracing and cache costs. Long: tens of minutes.
bench:
	./bench/pgbench.sh
	./bench/sysbench-mysql.sh
	./bench/policy.sh
	./bench/arrow.sh
	./bench/readsplit.sh
	./bench/tracing.sh
	./bench/cache.sh

# A short sample of the benchmarks (CI): every Go benchmark once, the
# Arrow export at pgbench scale 1, the read/write split for 2 s, 500 idle
# connections on each protocol.
bench-short: build
	$(GO) test -run '^$$' -bench . -benchtime 1x ./...
	SCALE=1 ./bench/arrow.sh 1
	CLIENTS=4 MODES=extended ./bench/readsplit.sh 2
	FLOE_BIN=bin/floe TARGETS="floe-pg floe-mysql" ./bench/idle.sh 500

## bench-idle: RSS of 10,000 idle client connections on Floe (PostgreSQL
## and MySQL protocols, release build) and on PgBouncer.
bench-idle:
	./bench/idle.sh $(IDLE_CONNS)
IDLE_CONNS ?= 10000

## bench-syscalls: CPU µs, syscalls, context switches and Go allocations per
## transaction inside Floe, PgBouncer and haproxy for a fixed number of
## transactions (pgbench -S -c 16 -t SYSCALLS_TX, sysbench point selects),
## and the calls by syscall name (strace -c -f).
bench-syscalls:
	./bench/syscalls.sh $(SYSCALLS_TX)
SYSCALLS_TX ?= 2000

bench-readsplit:
	./bench/readsplit.sh

## bench-cache: the result cache (cache off / on against direct, pgbench and
## sysbench) and its invalidation lag with a change feed.
bench-cache:
	./bench/cache.sh

# Arrow export of 10M rows: library, HTTP and Flight SQL against binary COPY.
bench-arrow:
	./bench/arrow.sh

## bench-tracing: pgbench -S with tracing off, at sampling 1.0 and 0.01.
bench-tracing:
	./bench/tracing.sh

clean:
	rm -rf bin data
