#!/bin/sh
# Checks the micro benchmarks against the p90 thresholds recorded for this Swift toolchain
# (Thresholds/swift-MAJOR.MINOR/: numbers move between compilers, so each keeps its own), or with
# `update` records them. Zero allocations per packet is part of every threshold file.
set -eu
cd "$(dirname "$0")"
version=$(swift --version 2>&1 | sed -n 's/.*Swift version \([0-9]*\.[0-9]*\).*/\1/p' | head -n 1)
dir="Thresholds/swift-$version"
case "${1:-check}" in
check)
    if [ ! -d "$dir" ]; then
        echo "thresholds.sh: no thresholds for Swift $version in Benchmarks/$dir; record them with '$0 update'" >&2
        exit 1
    fi
    exec swift package benchmark thresholds check --path "$dir" --no-progress
    ;;
update)
    mkdir -p "$dir"
    exec swift package --allow-writing-to-package-directory benchmark thresholds update --path "$dir"
    ;;
*)
    echo "usage: $0 [check|update]" >&2
    exit 2
    ;;
esac
