# A thin layer over go and npm commands. `make dev` runs the whole bank; `make test` runs every test.

GOBIN := $(CURDIR)/bin
export GOBIN

TEMPORAL_CLI_VERSION := v1.5.1
SQLC_VERSION         := v1.31.1
WORKFLOWCHECK_VERSION := v0.6.0
STATICCHECK_VERSION   := v0.8.2
# Mailpit, the development SMTP server: this build serves SMTP and the REST API, not Mailpit's own
# web pages (devstack serves a mailbox page instead).
MAILPIT_VERSION       := v1.33.1

.PHONY: dev test tools build generate check-generated migrate ledger-check bench lint fuzz web web-dev web-test

# The stack runs as its own built program (not `go run`, which turns Ctrl-C into exit status 1):
# Ctrl-C stops every process and the program exits 0.
dev: tools build
	exec $(GOBIN)/devstack $(DEVFLAGS)

test: tools lint check-generated fuzz web-test
	go test -race -count=1 -timeout 30m ./...

# The web app (web/): its packages are installed again only when package-lock.json changed.
# `make web` builds it into web/dist and copies that into internal/webapp/dist, which `make build`
# embeds in the API; `make web-dev` runs Vite's dev server, which proxies the API on :8080.
web: web/node_modules/.package-lock.json
	cd web && npm run build
	rm -rf internal/webapp/dist
	cp -R web/dist internal/webapp/dist

web/node_modules/.package-lock.json: web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	mkdir -p $(@D) && touch $@

web-dev: web/node_modules/.package-lock.json
	cd web && npm run dev

# Type check, unit tests, production build and bundle budget of the web app.
web-test: web/node_modules/.package-lock.json
	cd web && npm run check

# Every fuzz target for a few thousand inputs (longer: make fuzz FUZZTIME=5m). A count, not a
# duration: go1.26's fuzz coordinator can report a duration's end as a failure on a busy machine
# (go.dev/issue/75804, fixed in go1.27).
FUZZTIME ?= 8000x
fuzz:
	go test -run='^$$' -fuzz='^FuzzDecodeStrict$$' -fuzztime=$(FUZZTIME) ./api
	go test -run='^$$' -fuzz='^FuzzParseAmount$$' -fuzztime=$(FUZZTIME) ./api
	go test -run='^$$' -fuzz='^FuzzAccessToken$$' -fuzztime=$(FUZZTIME) ./api
	go test -run='^$$' -fuzz='^FuzzResolveClient$$' -fuzztime=$(FUZZTIME) ./api
	go test -run='^$$' -fuzz='^FuzzReadPayloads$$' -fuzztime=$(FUZZTIME) ./api
	go test -run='^$$' -fuzz='^FuzzCodec$$' -fuzztime=$(FUZZTIME) ./internal/payloadcodec
	go test -run='^$$' -fuzz='^FuzzParseDecimal$$' -fuzztime=$(FUZZTIME) ./domain
	go test -run='^$$' -fuzz='^FuzzAccountNumber$$' -fuzztime=$(FUZZTIME) ./domain

# Static checks: vet (also for macOS, where `make dev` runs too), a tidy go.mod, staticcheck, and no
# non-deterministic calls in workflows.
lint: $(GOBIN)/staticcheck $(GOBIN)/workflowcheck
	go vet ./...
	GOOS=darwin go vet ./...
	go mod tidy -diff
	$(GOBIN)/staticcheck ./...
	$(GOBIN)/workflowcheck ./workflows/...

tools: $(GOBIN)/temporal $(GOBIN)/sqlc $(GOBIN)/mongowire $(GOBIN)/mailpit $(GOBIN)/workflowcheck $(GOBIN)/staticcheck

$(GOBIN)/temporal:
	go install github.com/temporalio/cli/cmd/temporal@$(TEMPORAL_CLI_VERSION)

$(GOBIN)/sqlc:
	CGO_ENABLED=1 go install github.com/sqlc-dev/sqlc/cmd/sqlc@$(SQLC_VERSION)

$(GOBIN)/workflowcheck:
	go install go.temporal.io/sdk/contrib/tools/workflowcheck@$(WORKFLOWCHECK_VERSION)

$(GOBIN)/staticcheck:
	go install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

$(GOBIN)/mailpit:
	go install github.com/axllent/mailpit@$(MAILPIT_VERSION)

$(GOBIN)/mongowire: tools/mongowire/go.mod tools/mongowire/main.go
	cd tools/mongowire && go build -o $(GOBIN)/mongowire .

build: web
	go build -tags webembed -o $(GOBIN)/api ./cmd/api
	go build -o $(GOBIN)/worker ./worker
	go build -o $(GOBIN)/bankctl ./cmd/bankctl
	go build -o $(GOBIN)/devstack ./cmd/devstack

generate: $(GOBIN)/sqlc
	$(GOBIN)/sqlc generate

check-generated: $(GOBIN)/sqlc
	$(GOBIN)/sqlc diff

migrate:
	go run ./cmd/bankctl migrate

ledger-check:
	go run ./cmd/bankctl ledger-check

bench: tools build
	go run ./bench $(BENCHFLAGS)
