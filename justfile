# Development tasks for streamctl. Install just with `npm install -g rust-just`;
# every recipe is plain go/bash, so the commands below also work without it.

# List the recipes.
default:
    @just --list

# go vet, a gofmt check and the tests with the race detector.
test:
    go vet ./...
    @files="$(gofmt -l .)"; if [ -n "$files" ]; then echo "gofmt -w needed:"; echo "$files"; exit 1; fi
    go test -race ./...

# gofmt, go vet, and `duplicates` (repeated code) when it is installed.
lint:
    @files="$(gofmt -l .)"; if [ -n "$files" ]; then echo "gofmt -w needed:"; echo "$files"; exit 1; fi
    go vet ./...
    @if command -v duplicates >/dev/null 2>&1; then duplicates; else echo "duplicates not installed: skipped"; fi

# Every comparison of docs/performance.md in one run, then the Go benchmarks.
bench:
    bash scripts/bench/run.sh
    go test -run='^$' -bench=. ./...

# Each fuzz target for a short time (default 10s): just fuzz 1m
fuzz time="10s":
    #!/usr/bin/env bash
    set -euo pipefail
    for pkg in $(go list ./...); do
        for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
            echo "== $pkg $target"
            go test -run='^$' -fuzz="^${target}\$" -fuzztime={{time}} "$pkg"
        done
    done

# Regenerate docs/reference.md from the reference beside each binding
# (bindings/*_doc.go).
docs:
    go generate ./bindings
