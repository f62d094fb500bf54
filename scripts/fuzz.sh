#!/usr/bin/env bash
# Builds the libFuzzer targets under Fuzz/ (swiftc -sanitize=fuzzer,address) and runs each one for
# SECONDS (default 60; 0 = build only) on a copy of its committed seed corpus. Crashes land in .build-fuzz/crashes/
# and fail the script. Usage: scripts/fuzz.sh [SECONDS] [TARGET...]   (targets: Fuzz/Targets/*.swift)
# Environment: FUZZ_JOBS (default 1) runs that many workers per target; FUZZ_NICE (default 0).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
if ((${#targets[@]} == 0)); then
    for f in Fuzz/Targets/*.swift; do targets+=("$(basename "$f" .swift)"); done
fi
out=.build-fuzz
mkdir -p "$out/modules" "$out/bin" "$out/corpus" "$out/crashes"
flags=(-O -sanitize=fuzzer,address -parse-as-library -swift-version 6 -enable-upcoming-feature ExistentialAny
       -enable-testing -I "$out/modules" -I Sources/CLibcrypto -I Sources/CLZO -I Sources/CLZ4)

# The pure modules, once per source change (instrumented for coverage, with ASan).
build_module() {
    local name=$1 stamp="$out/modules/$1.stamp"
    if [[ -f $stamp ]] && [[ -z $(find "Sources/$name" Fuzz/Support scripts/fuzz.sh -newer "$stamp" -print -quit) ]]; then
        return
    fi
    echo "fuzz.sh: building $name"
    # shellcheck disable=SC2046
    swiftc "${flags[@]}" -module-name "$name" -emit-module -emit-module-path "$out/modules/$name.swiftmodule" \
        -wmo -c -o "$out/modules/$name.o" $(find "Sources/$name" -name '*.swift' | sort)
    touch "$stamp"
}
build_module SwvpnCrypto
build_module SwvpnProtocol
build_module SwvpnConfig
build_module SwvpnCompression

status=0
for t in "${targets[@]}"; do
    src="Fuzz/Targets/$t.swift"
    [[ -f $src ]] || { echo "fuzz.sh: no target $t ($src)" >&2; exit 2; }
    bin="$out/bin/$t"
    if [[ ! -x $bin || $src -nt $bin || -n $(find "$out/modules" Fuzz/Support -newer "$bin" -name '*.o' -o -newer "$bin" -name '*.swift' | head -1) ]]; then
        echo "fuzz.sh: building $t"
        swiftc "${flags[@]}" -module-name "Fuzz_${t//-/_}" -o "$bin" "$src" Fuzz/Support/*.swift \
            "$out"/modules/*.o -lcrypto -llzo2 -llz4 2>&1 | { grep -v 'Cannot export local symbol' || true; }
        [[ ${PIPESTATUS[0]} -eq 0 ]] || { echo "fuzz.sh: building $t failed" >&2; exit 2; }
    fi
    corpus="$out/corpus/$t"
    mkdir -p "$corpus"
    [[ -d Fuzz/Corpus/$t ]] && cp -n Fuzz/Corpus/"$t"/* "$corpus"/ 2>/dev/null || true
    ((seconds > 0)) || continue
    max_len=4096
    [[ $t == offload ]] && max_len=20000
    echo "fuzz.sh: running $t for ${seconds}s"
    if ! nice -n "${FUZZ_NICE:-0}" "$bin" -max_total_time="$seconds" -max_len=$max_len -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$out/crashes/$t-" "$corpus" \
        ${FUZZ_JOBS:+-jobs=$FUZZ_JOBS -workers=$FUZZ_JOBS} >"$out/$t.log" 2>&1; then
        echo "fuzz.sh: $t FAILED, see $out/$t.log and $out/crashes/" >&2
        tail -40 "$out/$t.log" >&2
        status=1
    fi
    grep -E '^stat::number_of_executed_units|^Done ' "$out/$t.log" | sed "s/^/fuzz.sh: $t: /" || true
done
exit $status
