#!/usr/bin/env bash
# The README's "Writing a plugin" example must build against the ABI header and pass the
# conformance kit, exactly as printed.
set -euo pipefail
readme="$1" abi_dir="$2" check="$3"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
awk '/^```c$/ {inblock=1; next} /^```$/ {if (inblock) exit} inblock {print}' "$readme" > "$work/my_embed.c"
grep -q SKALD_PLUGIN_DEFINE "$work/my_embed.c" || { echo "FAIL: no plugin example found in $readme"; exit 1; }
cc -std=c11 -Wall -Wextra -Werror -shared -fPIC -I"$abi_dir" "$work/my_embed.c" -o "$work/my_embed.so"
"$check" "$work/my_embed.so"
