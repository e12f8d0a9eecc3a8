#!/usr/bin/env python3
"""The tiny peer run's checker fails whenever a step produced no figure."""
import os
import shutil
import tempfile
import unittest

import check_results

CLIENTS = ["8", "32"]
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16


def complete_results():
    both, peer = check_results.expected(CLIENTS)
    rows = [(m, "x", "2", "1", "2.000") for m in both]
    rows += [(m, "x", "", "5", "") for m in peer]
    rows.append(("peer_rows_read_without_purpose", "rows", "", "0", ""))
    return rows


class CheckResultsTest(unittest.TestCase):
    def setUp(self):
        self.out = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.out)

    def write(self, rows, progress=None, png=PNG):
        with open(os.path.join(self.out, "results.tsv"), "w") as f:
            f.write("metric\tunit\twarden\tpeer\twarden_over_peer\n")
            for row in rows:
                f.write("\t".join(row) + "\n")
        if progress is None:
            progress = [("warden", "import"), ("peer", "copy"), ("peer", "insert"), ("peer", "whole")]
        with open(os.path.join(self.out, "progress.tsv"), "w") as f:
            f.write("system\tstage\trecords\tseconds\n")
            for system, stage in progress:
                f.write(f"{system}\t{stage}\t100\t1.5\n")
        with open(os.path.join(self.out, "import-rate.png"), "wb") as f:
            f.write(png)

    def test_complete_results_pass(self):
        self.write(complete_results())
        self.assertEqual(check_results.check(self.out, CLIENTS), [])

    def test_a_missing_figure_fails(self):
        rows = [r for r in complete_results() if r[0] != "search_p99_ms_c32"]
        self.write(rows)
        self.assertIn("search_p99_ms_c32: missing", check_results.check(self.out, CLIENTS))

    def test_an_empty_or_zero_side_fails(self):
        for bad in ("", "0", "nan", "-3", "n/a"):
            rows = [(m, u, bad if m == "lookup_per_s_c8" else w, p, r)
                    for m, u, w, p, r in complete_results()]
            self.write(rows)
            self.assertTrue(any(p.startswith("lookup_per_s_c8: warden")
                                for p in check_results.check(self.out, CLIENTS)), bad)

    def test_a_peer_step_without_a_figure_fails(self):
        rows = [(m, u, w, "" if m == "peer_index_seconds" else p, r)
                for m, u, w, p, r in complete_results()]
        self.write(rows)
        self.assertTrue(any(p.startswith("peer_index_seconds: peer")
                            for p in check_results.check(self.out, CLIENTS)))

    def test_rows_seen_without_a_purpose_fail(self):
        rows = [(m, u, w, "12" if m == "peer_rows_read_without_purpose" else p, r)
                for m, u, w, p, r in complete_results()]
        self.write(rows)
        self.assertTrue(any(p.startswith("peer_rows_read_without_purpose")
                            for p in check_results.check(self.out, CLIENTS)))

    def test_missing_progress_samples_fail(self):
        self.write(complete_results(), progress=[("warden", "import"), ("peer", "copy")])
        problems = check_results.check(self.out, CLIENTS)
        self.assertIn("progress.tsv: no peer insert samples", problems)
        self.assertIn("progress.tsv: no peer whole samples", problems)

    def test_a_plot_that_is_not_a_png_fails(self):
        self.write(complete_results(), png=b"set terminal")
        self.assertIn("import-rate.png: not a PNG", check_results.check(self.out, CLIENTS))


if __name__ == "__main__":
    unittest.main()
