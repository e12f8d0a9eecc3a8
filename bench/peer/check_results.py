#!/usr/bin/env python3
"""Checks that a run of bench/peer/run-peer measured every step: each figure
it must report is present and a positive number on each side it belongs to,
the plot exists, and the peer's row-level security hid every row from a read
without a purpose. Says nothing about speed.

    check_results.py OUT_DIR "CLIENT COUNTS"
"""
import csv
import math
import os
import sys


def expected(clients):
    both = ["persons", "csv_bytes", "import_seconds", "import_rows_per_s", "import_cpu_seconds",
            "import_rows_per_cpu_s", "store_bytes", "store_over_csv"]
    for mode in ("lookup", "search"):
        for c in clients:
            both += [f"{mode}_per_s_c{c}", f"{mode}_p50_ms_c{c}", f"{mode}_p99_ms_c{c}",
                     f"{mode}_server_cpu_us_c{c}"]
        both.append(f"{mode}_per_s_best")
    peer = ["peer_copy_seconds", "peer_encrypt_insert_seconds", "peer_index_seconds",
            "peer_analyze_seconds", "peer_table_bytes", "peer_index_bytes", "peer_audit_lines"]
    return both, peer


def positive(text):
    try:
        value = float(text)
    except ValueError:
        return False
    return math.isfinite(value) and value > 0


def check(out, clients):
    problems = []
    with open(os.path.join(out, "results.tsv"), newline="") as f:
        rows = {row["metric"]: row for row in csv.DictReader(f, delimiter="\t")}
    both, peer = expected(clients)
    for metric in both + peer:
        row = rows.get(metric)
        if row is None:
            problems.append(f"{metric}: missing")
            continue
        sides = ("warden", "peer") if metric in both else ("peer",)
        for side in sides:
            if not positive(row[side]):
                problems.append(f"{metric}: {side} is {row[side]!r}, not a positive number")
        if metric in both and not positive(row["warden_over_peer"]):
            problems.append(f"{metric}: no ratio")
    hidden = rows.get("peer_rows_read_without_purpose")
    if hidden is None or hidden["peer"] != "0":
        problems.append("peer_rows_read_without_purpose: a read without a purpose saw rows "
                        f"({hidden['peer'] if hidden else 'missing'})")
    with open(os.path.join(out, "progress.tsv")) as f:
        series = {tuple(line.split("\t")[:2]) for line in f.read().splitlines()[1:]}
    for needed in (("warden", "import"), ("peer", "copy"), ("peer", "insert"), ("peer", "whole")):
        if needed not in series:
            problems.append(f"progress.tsv: no {needed[0]} {needed[1]} samples")
    png = os.path.join(out, "import-rate.png")
    if not os.path.exists(png):
        problems.append("import-rate.png: missing")
    else:
        with open(png, "rb") as f:
            if f.read(8) != b"\x89PNG\r\n\x1a\n":
                problems.append("import-rate.png: not a PNG")
    return problems


def main():
    out, clients = sys.argv[1], sys.argv[2].split()
    problems = check(out, clients)
    for p in problems:
        print(f"check_results: {p}", file=sys.stderr)
    if problems:
        sys.exit(1)
    print("check_results: every step measured")


if __name__ == "__main__":
    main()
