# Shared by the test scripts: PASS/FAIL lines and the "N passed, N failed"
# summary. Source it after setting passed=0 failed=0.
#   ok MSG      counts a pass       bad MSG   counts a failure
#   finish      prints the summary and exits (non-zero if anything failed)
#   die MSG     a failure that ends the run
ok() { echo "PASS: $*"; passed=$((passed + 1)); }
bad() { echo "FAIL: $*"; failed=$((failed + 1)); }
finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}
die() { bad "$*"; finish; }
