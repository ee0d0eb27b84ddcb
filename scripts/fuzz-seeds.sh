#!/usr/bin/env bash
# Seeds the fuzz corpora (fuzz/corpus/TARGET, not committed) from testdata/ and examples/.
# Targets whose first input byte chooses the file kind (cloudformation, run) get that byte
# prepended, so each seed is read as the kind of file it is.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=fuzz/corpus
mkdir -p "$corpus"/{yaml,json,hcl,cloudformation,run}

seed() { # TARGET PREFIX_BYTE_OR_EMPTY FILE
    local target=$1 prefix=$2 file=$3 name
    name=$(printf '%s' "$file" | tr '/' '_')
    if [ -n "$prefix" ]; then
        { printf "\\x$prefix"; cat "$file"; } >"$corpus/$target/$name"
    else
        cp "$file" "$corpus/$target/$name"
    fi
}

# The run target's first byte indexes this list (fuzz/fuzz_targets/run.rs, NAMES).
run_byte() {
    case "$1" in
        *.tf) echo 00 ;;
        *.tf.json) echo 01 ;;
        *.yaml | *.yml) echo 02 ;;
        *plan*.json) echo 05 ;;
        */manifest.json) echo 06 ;;
        *.json) echo 03 ;;
        *.template) echo 04 ;;
        *.tfvars) echo 07 ;;
        *) echo "" ;;
    esac
}

find testdata examples -type f | sort | while read -r f; do
    case "$f" in
        *.tf) seed hcl "" "$f" ;;
        *.yaml | *.yml)
            seed yaml "" "$f"
            seed cloudformation 00 "$f"
            ;;
        *.json)
            seed json "" "$f"
            seed cloudformation 01 "$f"
            ;;
    esac
    b=$(run_byte "$f")
    if [ -n "$b" ]; then seed run "$b" "$f"; fi
done
for t in yaml json hcl cloudformation run; do
    echo "$t: $(find "$corpus/$t" -type f | wc -l) seeds"
done
