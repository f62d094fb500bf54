#!/usr/bin/env bash
# The unit tests of the pure targets under AddressSanitizer (UndefinedBehaviorSanitizer instruments
# the C shims; Swift's own overflow and bounds checks are on in these debug builds, swiftc has no
# -sanitize=undefined on Linux), and the data-plane tests (SwvpnLinuxTests: Dispatch queues,
# atomics, the control queue) under ThreadSanitizer. Each build has its own scratch path.
# Usage: scripts/sanitizers.sh [--build-only] [asan|tsan]... (default both). Run by scripts/test.sh,
# which builds them (--build-only, niced) while the integration suites run and mostly wait.
set -euo pipefail
cd "$(dirname "$0")/.."
build_only=0
if [[ ${1:-} == --build-only ]]; then
    build_only=1
    shift
fi
runs=("$@")
((${#runs[@]})) || runs=(asan tsan)
for run in "${runs[@]}"; do
    start=$SECONDS
    case $run in
    asan)
        # Leak checking stays off: the Swift runtime's and swift-testing's process-lifetime caches read as leaks.
        export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
        swift build --build-tests --scratch-path .build-asan --sanitize=address \
            -Xcc -fsanitize=undefined -Xcc -fno-sanitize-recover=undefined
        ((build_only)) && continue
        # The allocation-counting suites need their own malloc, which the sanitizer replaces: they run
        # in the normal pass instead.
        swift test --skip-build --scratch-path .build-asan --filter 'SwvpnCryptoTests|SwvpnProtocolTests|SwvpnConfigTests' \
            --skip 'ZeroAllocationTests|DataPlaneAllocationTests'
        ;;
    tsan)
        export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
        swift build --build-tests --scratch-path .build-tsan --sanitize=thread
        ((build_only)) && continue
        swift test --skip-build --scratch-path .build-tsan --filter SwvpnLinuxTests \
            --skip 'ZeroAllocationTests|DataPlaneAllocationTests'
        ;;
    *) echo "sanitizers.sh: unknown run '$run' (asan, tsan)" >&2; exit 2 ;;
    esac
    echo "sanitizers.sh: $run passed in $((SECONDS - start)) s"
done
