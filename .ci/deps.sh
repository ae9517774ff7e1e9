#!/usr/bin/env bash
# Installs what skald needs to build and test on Debian 12, only what is missing.
# Usage: .ci/deps.sh [bench]   (bench also installs wrk, nginx-light and FAISS with OpenBLAS for tests/bench)
set -euo pipefail
# systemd (systemd-analyze) and man-db check the unit, prometheus brings promtool for /metrics,
# python3 plays the notify socket; the prometheus server itself is not used by any test.
pkgs=(build-essential cmake pkg-config libmicrohttpd-dev libsqlite3-dev libcurl4-openssl-dev
      libinih-dev libjansson-dev libzip-dev libcmocka-dev curl procps
      systemd prometheus man-db python3)
if [ "${1:-}" = bench ]; then pkgs+=(wrk nginx-light python3-faiss libopenblas0); fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
