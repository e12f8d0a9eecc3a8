#!/usr/bin/env bash
# Look-up throughput over keep-alive HTTPS (SPEC §7): authenticated,
# authorised, audited (durable), decrypted and masked GET /v1/persons/{id},
# driven by wrk. Prints wrk's figures for each run; report medians.
# MODE=search drives POST /v1/persons/search by phone number instead; MODE
# and CONNECTIONS may each be a space-separated list ("lookup search",
# "8 32 64"), measured in that order on one server.
# PREPARED=DIR uses a data directory made beforehand instead of generating and
# importing: DIR holds data/ and root.key from `warden init --dev-key-file`,
# init.txt (what init printed, bootstrap tokens unused) and persons.csv
# (imported); PERSONS is then ignored. Each run also prints one
# tab-separated line: result MODE CONNECTIONS RUN REQUESTS/S P50_MS P99_MS CPU_US.
# STRACE=1 adds one run (the last mode and connection count) with
# `strace -c -f` attached to the server and prints its system calls per
# request (strace slows the server: that run's rate is not a figure).
#
#   [WARDEN=path/to/warden] [MODE=lookup|search] [PREPARED=DIR] [STRACE=1] bench/lookup/run.sh [PERSONS] [CONNECTIONS] [SECONDS] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
persons=${1:-100000}
connections_list=${2:-64}
seconds=${3:-10}
runs=${4:-3}
warden=${WARDEN:-build/warden}
work=$(mktemp -d /tmp/warden-lookup-XXXXXX)
trap 'kill "$server" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

if [ -n "${PREPARED:-}" ]; then
  data=$PREPARED/data
  cp "$PREPARED/init.txt" "$work/init.txt"
  ln -s "$(realpath "$PREPARED/persons.csv")" "$work/persons.csv"
else
  data=$work/data
  $warden init --data "$data" --dev-key-file "$work/root.key" > "$work/init.txt"
  $warden gen persons --count "$persons" --format csv > "$work/persons.csv"
  $warden import --quiet --data "$data" --collection persons "$work/persons.csv"
fi
bootstraps=($(sed -nE 's/.*bootstrap token [0-9]: (.*)/\1/p' "$work/init.txt"))
cut -d, -f1 "$work/persons.csv" | tail -n +2 > "$work/ids.txt"
# The first phone number of each person (column 9; several are ';'-separated).
cut -d, -f9 "$work/persons.csv" | tail -n +2 | cut -d';' -f1 | grep -v '^$' > "$work/phones.txt"
modes=${MODE:-lookup}

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
port=$((20000 + RANDOM % 20000))
$warden serve --data "$data" --listen "127.0.0.1:$port" \
  --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" \
  --max-daily-reads 1000000000 --max-rate 1000000 2> "$work/serve.log" &
server=$!
url="https://127.0.0.1:$port"
for _ in $(seq 50); do curl -sk "$url/healthz" > /dev/null && break; sleep 0.2; done

call() { curl -sk -X "$1" "$url$2" -H 'Content-Type: application/json' ${3:+-H "Authorization: Bearer $3"} -d "${4:-}"; }
# Two security officers from the two bootstrap tokens; every account is
# asked for by one, approved by the other and enrolled with both code halves.
so_login() {  # USER PASSWORD TOTP_SECRET -> session token
  call POST /v1/auth/login "" "{\"username\":\"$1\",\"password\":\"$2\",\"totp\":\"$($warden totp "$3")\"}" | json '["token"]'
}
sec_secret=$(call POST /v1/auth/bootstrap "${bootstraps[0]}" '{"username":"sec","password":"bench security password"}' | json '["totp_secret"]')
sec2_secret=$(call POST /v1/auth/bootstrap "${bootstraps[1]}" '{"username":"sec2","password":"bench security password"}' | json '["totp_secret"]')
sec=$(so_login sec "bench security password" "$sec_secret")
sec2=$(so_login sec2 "bench security password" "$sec2_secret")
approve() { call POST "/v1/admin/requests/$1/approve" "$sec2" '{}'; }
person() {  # USER ROLE PASSWORD -> "account_id totp_secret"
  local asked approved
  asked=$(call POST /v1/admin/accounts "$sec" "{\"username\":\"$1\",\"roles\":[\"$2\"]}")
  approved=$(approve "$(echo "$asked" | json '["request_id"]')")
  echo "$(echo "$asked" | json '["account_id"]')" "$(call POST /v1/auth/enrol "" \
    "{\"username\":\"$1\",\"password\":\"$3\",\"enrolment_codes\":[\"$(echo "$asked" | json '["enrolment_code_part"]')\",\"$(echo "$approved" | json '["enrolment_code_part"]')\"]}" | json '["totp_secret"]')"
}
read -r officer_id officer_secret < <(person bench officer "bench officer password")
widened=$(call PATCH "/v1/admin/accounts/$officer_id" "$sec" \
  '{"policy":{"daily_read_quota":1000000000,"rate_per_second":1000000,"burst":1000000}}')
approve "$(echo "$widened" | json '["request_id"]')" > /dev/null
token=$(so_login bench "bench officer password" "$officer_secret")
read -r _ operator_secret < <(person bench.op operator "bench operator password")
operator=$(so_login bench.op "bench operator password" "$operator_secret")

# The audit writer's work so far: group commits, entries, mean entries per
# commit and mean commit (sync) time, from the server's own metrics.
audit_figures() {
  curl -sk "$url/metrics" -H "Authorization: Bearer $operator" | awk '
    /^warden_audit_commit_seconds_count/ {n=$2} /^warden_audit_commit_seconds_sum/ {s=$2}
    /^warden_audit_entries_total/ {e=$2}
    END {printf "%d %d %.6f\n", n, e, s}'
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
# wrk's latency (850.00us, 10.69ms, 1.20s) in milliseconds.
wrk_ms() {
  awk -v p="$1" '$1 == p {v = $2; u = v; gsub(/[0-9.]/, "", u); sub(/[a-z]+$/, "", v)
    f = (u == "us") ? 0.001 : (u == "s") ? 1000 : (u == "m") ? 60000 : 1; printf "%.3f", v * f}' "$work/wrk.txt"
}

echo "persons: $(($(wc -l < "$work/persons.csv") - 1)), seconds: $seconds"
for mode in $modes; do
for connections in $connections_list; do
for run in $(seq "$runs"); do
  echo "--- $mode, $connections connections, run $run"
  read -r commits0 entries0 sum0 < <(audit_figures)
  cpu0=$(awk '{print $14 + $15}' "/proc/$server/stat")
  TOKEN=$token IDS_FILE=$work/ids.txt PHONES_FILE=$work/phones.txt \
    wrk -t2 -c"$connections" -d"${seconds}s" --latency -s "bench/lookup/$mode.lua" "$url" | tee "$work/wrk.txt" | grep -E 'Requests/sec|50%|99%|requests in|Non-2xx'
  cpu1=$(awk '{print $14 + $15}' "/proc/$server/stat")
  read -r commits1 entries1 sum1 < <(audit_figures)
  requests=$(awk '/requests in/ {print $1}' "$work/wrk.txt")
  awk -v c="$((commits1 - commits0))" -v e="$((entries1 - entries0))" -v s0="$sum0" -v s1="$sum1" \
      -v ticks="$((cpu1 - cpu0))" -v hz="$(getconf CLK_TCK)" -v r="$requests" 'BEGIN {
    printf "audit: %d commits, %.1f entries per commit, mean commit %.3f ms\n", c, e / c, (s1 - s0) / c * 1000
    printf "server CPU: %.1f us per request\n", ticks / hz / r * 1e6 }'
  printf 'result\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$mode" "$connections" "$run" \
    "$(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt")" "$(wrk_ms 50%)" "$(wrk_ms 99%)" \
    "$(awk -v t="$((cpu1 - cpu0))" -v hz="$(getconf CLK_TCK)" -v r="$requests" 'BEGIN {printf "%.1f", t / hz / r * 1e6}')"
done
done
done

if [ "${STRACE:-}" = 1 ]; then
  echo "--- strace run"
  strace -c -f -p "$server" -o "$work/strace.txt" &
  tracer=$!
  sleep 1
  TOKEN=$token IDS_FILE=$work/ids.txt PHONES_FILE=$work/phones.txt \
    wrk -t2 -c"$connections" -d"${seconds}s" -s "bench/lookup/$mode.lua" "$url" > "$work/wrk.txt"
  kill -INT "$tracer"
  wait "$tracer" || true
  requests=$(awk '/requests in/ {print $1}' "$work/wrk.txt")
  awk -v r="$requests" '
    $NF == "total" {printf "system calls: %.2f per request (%d requests)\n", $4 / r, r}
    $NF ~ /^(pread64|read|write|writev|sendmsg|recvfrom|futex|epoll_wait|fsync|fdatasync)$/ {
      printf "  %-10s %.3f per request\n", $NF, $4 / r }' "$work/strace.txt"
fi
