#!/usr/bin/env bash
# Documentation checks (step `docs` of tests/run-all.sh):
#  1. Every torrc block in the docs passes `tor --verify-config`. A torrc
#     block is a fenced ```torrc block in docs/*.md, or the lines between
#     `.\" torrc` and `.\" end torrc` in docs/ilpd.8 (roff requests such as
#     .nf/.fi are dropped, \- and \e unescaped). Before the check, paths
#     and ports are made local to this run: /var/lib/ilpd, /var/lib/tor and
#     /run/tor become directories under a temporary one, and every
#     127.0.0.1:PORT a free port. A block fails if tor exits non-zero, does
#     not say "Configuration was valid", or warns (except about running as
#     root). No block found is a failure too; tor missing is a failure.
#  2. Log events: every event the code logs (hal_log(LEVEL, "a.b", ...) in
#     firmware/, net/, hal/) is listed under "Events" in docs/ilpd.8, and
#     every event listed there is logged by the code.
#  3. /metrics examples: every ilpd_NAME{labels} in README.md, docs/*.md and
#     docs/ilpd.8 has label keys (and their order) that firmware/admin.c
#     (or settle_glue.c / settle_api.c, whose lines /metrics appends) prints
#     for that metric.
# Prints PASS:/FAIL: lines and "N passed, N failed"; exits non-zero on failure.
#
# Usage: tests/docs/run.sh
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
passed=0 failed=0
# shellcheck source=../lib/report.sh
. "$root/tests/lib/report.sh"
work=$(mktemp -d /tmp/ilpd-docs.XXXXXX)
trap 'rm -rf "$work"' EXIT

# --- 1. torrc blocks ------------------------------------------------------------------
# Writes each block to $work/blocks/N.torrc and its origin (FILE:LINE) to N.where.
mkdir -p "$work/blocks"
n=0
for f in "$root"/docs/*.md; do
	awk -v out="$work/blocks" -v name="docs/$(basename "$f")" -v start="$n" '
		/^```torrc[ \t]*$/ { if (!inb) { inb = 1; start++; print name ":" NR > (out "/" start ".where"); printf "" > (out "/" start ".torrc"); next } }
		/^```/ && inb { inb = 0; next }
		inb { print >> (out "/" start ".torrc") }
		END { if (inb) { print name ": unterminated ```torrc block" > "/dev/stderr"; exit 1 } }' "$f" ||
		bad "$f: a \`\`\`torrc block is not closed"
	n=$(find "$work/blocks" -name '*.torrc' | wc -l)
done
awk -v out="$work/blocks" -v name="docs/ilpd.8" -v start="$n" '
	/^\.\\" torrc[ \t]*$/ { inb = 1; start++; print name ":" NR > (out "/" start ".where"); printf "" > (out "/" start ".torrc"); next }
	/^\.\\" end torrc[ \t]*$/ { inb = 0; next }
	inb && /^\./ { next }
	inb { gsub(/\\-/, "-"); gsub(/\\e/, "\\"); print >> (out "/" start ".torrc") }
	END { if (inb) { print name ": unterminated torrc block" > "/dev/stderr"; exit 1 } }' "$root/docs/ilpd.8" ||
	bad "docs/ilpd.8: a torrc block is not closed"
n=$(find "$work/blocks" -name '*.torrc' | wc -l)

free_port() {  # a port on 127.0.0.1 nothing answers on, not handed out before
	local p=$((40000 + RANDOM % 20000))
	while (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null || grep -qx "$p" "$work/ports" 2>/dev/null; do
		p=$((40000 + RANDOM % 20000))
	done
	echo "$p" >> "$work/ports"
	echo "$p"
}

if ! command -v tor >/dev/null; then
	bad "tor is missing: the torrc blocks in the docs cannot be checked (toolchain/install-deps.sh installs it)"
elif [ "$n" -eq 0 ]; then
	bad "no torrc block found in docs/*.md (\`\`\`torrc) or docs/ilpd.8 (.\\\" torrc)"
else
	for b in $(seq 1 "$n"); do
		src=$work/blocks/$b.torrc where=$(cat "$work/blocks/$b.where")
		d=$work/t$b
		mkdir -p "$d/ilpd" "$d/tor" "$d/run" "$d/data"
		chmod 700 "$d"/*
		: > "$d/defaults"
		sed -e "s#/var/lib/ilpd#$d/ilpd#g" -e "s#/var/lib/tor#$d/tor#g" -e "s#/run/tor#$d/run#g" "$src" > "$d/torrc"
		for p in $(grep -o '127\.0\.0\.1:[0-9]\+' "$d/torrc" | cut -d: -f2 | sort -u); do
			q=$(free_port)
			sed -i "s#127\.0\.0\.1:$p\b#127.0.0.1:$q#g" "$d/torrc"
		done
		out=$(timeout 60 tor --verify-config -f "$d/torrc" --defaults-torrc "$d/defaults" \
			--DataDirectory "$d/data" 2>&1); rc=$?
		warns=$(echo "$out" | grep -F '[warn]' | grep -v 'You are running Tor as root')
		if [ "$rc" -eq 0 ] && echo "$out" | grep -q 'Configuration was valid' && [ -z "$warns" ]; then
			ok "$where: torrc block ($(grep -cv '^[[:space:]]*\(#\|$\)' "$src") option lines) passes tor --verify-config"
		else
			bad "$where: torrc block fails tor --verify-config (rc $rc):"
			sed 's/^/    | /' "$src"
			echo "$out" | grep -E '\[(warn|err)\]' | sed 's/^/    tor: /'
		fi
	done
fi

# --- 2. log events: code and man page ---------------------------------------------------
# hal_log(LEVEL, "event", ...) anywhere in the daemon's sources (calls may span lines).
find "$root/firmware" "$root/net" "$root/hal" -name '*.[ch]' -print0 |
	xargs -0 perl -0777 -ne 'while (/\bhal_log\(\s*[^,;()]+(?:\([^()]*\))?[^,;()]*,\s*"([^"]*)"/g) { print "$1\n" }' |
	sort -u > "$work/code-events"
# Any other hal_log call (the event not a literal) could not be checked.
nonlit=$(find "$root/firmware" "$root/net" "$root/hal" -name '*.[ch]' -print0 |
	xargs -0 perl -0777 -ne 'while (/\bhal_log\(\s*([^,;()]+),\s*([^",\s][^,]*),/g) { my ($l, $e) = ($1, $2); next if $l =~ /^int\b/; print "$ARGV: hal_log($l, $e, ...)\n" }')
[ -z "$nonlit" ] || bad "hal_log calls whose event is not a string literal (cannot be checked): $nonlit"
# The "Events (level in brackets):" list of docs/ilpd.8, up to the next section.
awk '/^Events \(level in brackets\):/ { f = 1; next } f && /^\.SH/ { exit } f && /^\.R?BR? / { print }' "$root/docs/ilpd.8" |
	tr ' ,"' '\n\n\n' | grep -E '^[a-z][a-z0-9]*\.[a-z][a-z0-9_]*$' | sort -u > "$work/doc-events"
nc=$(wc -l < "$work/code-events") nd=$(wc -l < "$work/doc-events")
if [ "$nc" -lt 20 ] || [ "$nd" -lt 20 ]; then
	bad "event lists look wrong: $nc events found in the code, $nd in docs/ilpd.8"
else
	undoc=$(comm -23 "$work/code-events" "$work/doc-events")
	unlogged=$(comm -13 "$work/code-events" "$work/doc-events")
	[ -z "$undoc" ] && ok "all $nc events the code logs are documented in docs/ilpd.8" ||
		bad "logged but not documented in docs/ilpd.8 (Events):" $undoc
	[ -z "$unlogged" ] && ok "all $nd events documented in docs/ilpd.8 are logged by the code" ||
		bad "documented in docs/ilpd.8 but never logged:" $unlogged
fi
# --- 3. /metrics label examples in the docs match what the code writes ---------------
# Every ilpd_NAME{key="...",...} written in README.md, docs/*.md or docs/ilpd.8 must
# have the same label keys, in the same order, as a sample firmware/admin.c prints
# (a scraper written from the docs must match the output; issue 12, point 1).
# (The lobby metrics are printed as "%s{listener=...}" from a table of names.)
perl -0777 -ne 's/"\s*\n\s*"//g; while (/(ilpd_[a-z0-9_]+)\{([^}]*)\}/g) { my ($n, $l) = ($1, $2); my @k = ($l =~ /([a-z_]+)=/g); print "$n\{" . join(",", @k) . "}\n" }
	if (/%s\{listener=/) { print "$1\{listener}\n" while /"(ilpd_lobby_[a-z_]+)"/g }' \
	"$root/firmware/admin.c" "$root/firmware/settle_glue.c" "$root/firmware/settle_api.c" |
	sort -u > "$work/code-labels"
perl -ne 's/\\-/-/g; while (/(ilpd_[a-z0-9_]+)\{([^}]*)\}/g) { my ($n, $l) = ($1, $2); my @k = ($l =~ /([a-z_]+)=/g); print "$ARGV: $n\{" . join(",", @k) . "}\n" }' \
	"$root/README.md" "$root"/docs/*.md "$root/docs/ilpd.8" | sort -u > "$work/doc-labels"
nl=$(wc -l < "$work/doc-labels")
wrong=$(while read -r where sample; do
	grep -qxF "$sample" "$work/code-labels" || echo "$where $sample"
done < "$work/doc-labels")
if [ "$(wc -l < "$work/code-labels")" -lt 10 ] || [ "$nl" -lt 3 ]; then
	bad "metric label lists look wrong: $(wc -l < "$work/code-labels") in admin.c, $nl in the docs"
elif [ -z "$wrong" ]; then
	ok "all $nl metric label sets in the docs are ones /metrics prints"
else
	bad "metric samples in the docs whose labels /metrics does not print (label keys shown):" "$wrong"
fi
# --- 4. settlement.md's remembered Idempotency-Keys per board match settle.h -----------
# ILPD_SETTLE_KEYS = ILPD_MAX_PEERS / 2 (at least 8) on each board (ilp/include/ilp/settle.h).
want=""
for b in host rpi router; do
	p=$(sed -n 's/^#define ILPD_MAX_PEERS \([0-9]*\).*/\1/p' "$root/boards/$b/ilpd_config.h")
	k=$((p >= 16 ? p / 2 : 8))
	want="$want $k on $b"
done
got=$(tr '\n' ' ' < "$root/docs/settlement.md" | grep -o 'keys are remembered:[^)]*' |
	grep -o '[0-9]* on [a-z]*' | tr '\n' ' ')
[ " $got" = "$want " ] && ok "settlement.md's remembered Idempotency-Keys ($want) match settle.h" ||
	bad "settlement.md's remembered Idempotency-Keys: '$got', settle.h gives '$want'"
finish
