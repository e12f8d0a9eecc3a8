#!/usr/bin/env bash
# The online import rate of `warden import --addr` through a running server
# (warden demo on loopback, TLS, the registrar account): generated persons
# sent in batches of 1,000 over several keep-alive connections.
#
#   bench/import/run-online.sh BUILD_DIR COUNT [CONNECTIONS]
set -euo pipefail
build=${1:?build directory}
count=${2:?record count}
connections=${3:-4}
warden="$(cd "$build" && pwd)/warden"
work=$(mktemp -d "${TMPDIR:-/tmp}/warden-online-bench-XXXXXX")
port=$((20000 + RANDOM % 20000))
demo_pid=
cleanup() {
  [ -n "$demo_pid" ] && kill "$demo_pid" 2> /dev/null && wait "$demo_pid" 2> /dev/null
  rm -rf "$work"
}
trap cleanup EXIT

"$warden" gen persons --count "$count" --seed 2 --out "$work/persons.csv"
"$warden" demo --data "$work/data" --port "$port" --persons 1000 > "$work/demo.out" 2>&1 &
demo_pid=$!
for _ in $(seq 1 300); do
  grep -q "user registrar" "$work/demo.out" 2> /dev/null && break
  sleep 0.2
done
url="https://127.0.0.1:$port"
# Logs the demo account USER in and prints its session token. A TOTP code
# is accepted once: when the demo itself has just used this step's code,
# the next step's is waited for.
login() {
  local line password secret answer
  line=$(grep "user $1 " "$work/demo.out")
  password=$(echo "$line" | sed -E 's/.*password ([^ ]+).*/\1/')
  secret=$(echo "$line" | sed -E 's/.*totp secret ([^ ]+).*/\1/')
  for _ in 1 2; do
    answer=$(curl -sk "$url/v1/auth/login" -H 'Content-Type: application/json' \
      -d "{\"username\":\"$1\",\"password\":\"$password\",\"totp\":\"$("$warden" totp "$secret")\"}")
    if [[ $answer == *'"token"'* ]]; then
      echo "$answer" | sed -E 's/.*"token":"([^"]+)".*/\1/'
      return
    fi
    sleep $((31 - $(date +%s) % 30))
  done
  echo "login of $1 failed: $answer" >&2
  return 1
}
token=$(login registrar)
# The registrar's default daily write quota (10,000) would stop a large
# import: one security officer asks to raise it for this account, the other
# approves (a wider policy needs two people).
security2=$(login security2)
security=$(login security)
registrar_id=$(curl -sk "$url/v1/admin/accounts" -H "Authorization: Bearer $security2" |
  python3 -c 'import json,sys; print([a["account_id"] for a in json.load(sys.stdin)["accounts"] if a["username"] == "registrar"][0])')
request=$(curl -sk -X PATCH "$url/v1/admin/accounts/$registrar_id" -H "Authorization: Bearer $security2" \
  -H 'Content-Type: application/json' \
  -d "{\"policy\":{\"daily_write_quota\":$((count * 2)),\"rate_per_second\":1000,\"burst\":2000}}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["request_id"])')
curl -sk -X POST "$url/v1/admin/requests/$request/approve" -H "Authorization: Bearer $security" \
  -H 'Content-Type: application/json' -d '{}' > /dev/null

start=$(date +%s.%N)
WARDEN_TOKEN="$token" "$warden" import --addr "$url" --insecure --collection persons --quiet \
  --connections "$connections" "$work/persons.csv" | tee "$work/out"
end=$(date +%s.%N)
printf 'online: %d records in %.2f s = %.0f records/s (%d connections, %d cores)\n' "$count" \
  "$(echo "$end - $start" | bc -l)" "$(echo "$count / ($end - $start)" | bc -l)" "$connections" "$(nproc)"
