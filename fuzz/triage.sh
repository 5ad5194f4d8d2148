#!/usr/bin/env bash
# Groups a fuzz target's crash / oom / timeout artifacts by cause: replays each once and
# prints, per distinct (panic site, first zkinfer frame), how many artifacts share it and
# one example.
#
#   fuzz/triage.sh verifier_key                     # every artifact of the target
#   fuzz/triage.sh verifier_key path/to/crash-...   # only these files
set -u -o pipefail

cd "$(dirname "$0")"
REPO=$(cd .. && pwd)
t=${1:?usage: fuzz/triage.sh TARGET [ARTIFACT...]}
shift
bin="target/x86_64-unknown-linux-gnu/release/$t"
[ -x "$bin" ] || { echo "no binary $bin: build first (fuzz/run-all.sh)" >&2; exit 1; }
files=("$@")
if [ ${#files[@]} -eq 0 ]; then
    mapfile -t files < <(find "artifacts/$t" -maxdepth 1 -type f \
        \( -name 'crash-*' -o -name 'oom-*' -o -name 'timeout-*' -o -name 'leak-*' \) | sort)
fi
[ ${#files[@]} -eq 0 ] && { echo "$t: no artifacts"; exit 0; }

for f in "${files[@]}"; do
    out=$(RUST_BACKTRACE=1 timeout 120 "$bin" -rss_limit_mb=2048 -timeout=10 "$f" 2>&1)
    cause=$(printf '%s\n' "$out" | grep -m1 -oE 'panicked at [^ ]+|ERROR: libFuzzer: [a-z-]+' \
        | sed 's/^panicked at //; s/^ERROR: libFuzzer: //; s#.*/registry/src/[^/]*/##; s/:$//')
    message=$(printf '%s\n' "$out" | grep -m1 -A1 'panicked at' | tail -1 | cut -c1-100)
    # The first frame in zkinfer's own crates (not the registry, std or the harness).
    frame=$(printf '%s\n' "$out" | grep -E '^ +at ' | grep -vE '\.cargo/registry|/rustc/|fuzz_targets/|fuzz/src/' \
        | head -1 | sed -E "s#^ +at ##; s#^$REPO/##; s#^\./##; s#:[0-9]+\$##")
    printf '%s\t%s\t%s\t%s\n' "${cause:-no failure on replay}" "${frame:--}" "${message:--}" "$f"
done | sort | awk -F'\t' '
    { key = $1 "\t" $2; n[key]++; if (!(key in ex)) { ex[key] = $4; msg[key] = $3 } }
    END { for (k in n) { split(k, p, "\t");
        printf "%5d  %s\n       first zkinfer frame: %s\n       message: %s\n       e.g. %s\n",
            n[k], p[1], p[2], msg[k], ex[k] } }'
