#!/usr/bin/env bash
# Layering check: ilp/ is the pure protocol core, so its files may include
# only freestanding-style C headers and ilp's own headers:
#   <std*.h> except <stdio.h>, <string.h>, <limits.h>,
#   "ilp/..." (the public headers), "ilpd_config.h" (board options), and a
#   quoted header that sits next to the including file inside ilp/ (private
#   headers such as ilp/src/amount_internal.h).
# Anything else (hal/, net/, <sys/...>, <stdio.h>, <time.h>, <unistd.h>, ...)
# is a violation: the file, line and include are printed and the exit status
# is 1. Usage: toolchain/check-layering.sh [repo-root]
set -euo pipefail

root="${1:-$(cd "$(dirname "$0")/.." && pwd)}"
cd "$root"

allowed_sys() {
	case "$1" in
	stdio.h) return 1 ;;
	std*.h | string.h | limits.h) return 0 ;;
	*) return 1 ;;
	esac
}

allowed_quoted() { # header, including file
	case "$1" in
	ilp/*.h | ilpd_config.h) return 0 ;;
	*/* | ..*) return 1 ;;
	esac
	[ -f "$(dirname "$2")/$1" ]
}

bad=0
files=0
while IFS= read -r -d '' f; do
	files=$((files + 1))
	n=0
	while IFS= read -r line; do
		n=$((n + 1))
		# '#  include <x>' or '#include "x"' (comments after it are fine)
		if [[ $line =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*([\<\"])([^\>\"]+)[\>\"] ]]; then
			kind="${BASH_REMATCH[1]}"
			hdr="${BASH_REMATCH[2]}"
			if [ "$kind" = "<" ]; then
				allowed_sys "$hdr" && continue
			else
				allowed_quoted "$hdr" "$f" && continue
			fi
			close='>'
			[ "$kind" = '"' ] && close='"'
			echo "check-layering: $f:$n: includes $kind$hdr$close (ilp/ may include only <std*.h> (not stdio), <string.h>, <limits.h>, \"ilp/...\", \"ilpd_config.h\")"
			bad=$((bad + 1))
		elif [[ $line =~ ^[[:space:]]*#[[:space:]]*include ]]; then
			echo "check-layering: $f:$n: computed include not allowed in ilp/: $line"
			bad=$((bad + 1))
		fi
	done <"$f"
done < <(find ilp -type f \( -name '*.c' -o -name '*.h' \) -print0 | sort -z)

if [ "$files" -eq 0 ]; then
	echo "check-layering: no files under $root/ilp" >&2
	exit 1
fi
if [ "$bad" -ne 0 ]; then
	echo "check-layering: FAILED: $bad forbidden include(s) in ilp/"
	exit 1
fi
echo "check-layering: $files files under ilp/, layering ok"
