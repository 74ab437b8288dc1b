# Sourced by the test scripts that run Node.js against npm packages pinned
# in a committed package-lock.json (tests/diff, tests/interop, bench).
#
# ilpd_npm_ci DIR LABEL MIN_NODE_MAJOR
#   Fails loudly (via the caller's `die`) if node or npm is missing or node
#   is older than MIN_NODE_MAJOR; runs `npm ci` in DIR when node_modules is
#   missing or was installed from another lock file (a stamp holds the
#   lock file's SHA-256).
ilpd_npm_ci() {
	local dir=$1 label=$2 min=$3 stamp want
	command -v node >/dev/null 2>&1 || die "node not found: install Node.js 20"
	command -v npm >/dev/null 2>&1 || die "npm not found: install npm (it comes with Node.js)"
	node -e "process.exit(+process.versions.node.split('.')[0] >= $min ? 0 : 1)" ||
		die "node $(node --version) is too old: need Node.js >= $min"
	stamp=$dir/node_modules/.ilpd-lock-stamp
	want=$(node -e 'process.stdout.write(require("crypto").createHash("sha256")
		.update(require("fs").readFileSync(process.argv[1])).digest("hex"))' "$dir/package-lock.json")
	if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
		echo "$label: installing the pinned npm packages (npm ci)"
		(cd "$dir" && npm ci --no-audit --no-fund) || die "npm ci failed"
		printf '%s\n' "$want" >"$stamp"
	fi
}
