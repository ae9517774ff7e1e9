#!/usr/bin/env bash
# The README's two commands:
#   .ci/dev.sh run    install what is missing, build, run skald on conf/skald.ini (foreground)
#   .ci/dev.sh test   install what is missing, build plain and with ASan/UBSan, run every test
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-}"
case "$mode" in run|test) ;; *) echo "usage: $0 run|test" >&2; exit 2 ;; esac

bash .ci/deps.sh
jobs=$(nproc)

build() { # build DIR [cmake args...]
  local dir="$1"; shift
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$dir" -j"$jobs"
}

if [ "$mode" = run ]; then
  build build -DSKALD_TESTS=OFF
  exec build/host/skald -c conf/skald.ini "${@:2}"
fi

build build
(cd build && ctest --output-on-failure -j"$jobs")
build build-asan -DSKALD_SANITIZE=ON
(cd build-asan && ctest --output-on-failure -j"$jobs")
