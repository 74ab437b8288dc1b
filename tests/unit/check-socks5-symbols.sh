#!/bin/sh
# check-socks5-symbols.sh - proves that the SOCKS5 engine cannot resolve a
# name locally: every symbol its object file needs from elsewhere must be a
# byte/string function (mem*, str*) or compiler/sanitizer runtime. Any other
# reference (getaddrinfo, gethostbyname, res_*, inet_pton, socket calls,
# logging) fails the test and is printed.
#   check-socks5-symbols.sh NM OBJECT...
set -eu
[ $# -ge 2 ] || { echo "usage: $0 NM OBJECT..." >&2; exit 2; }
nm=$1
shift
undef=$("$nm" -u "$@" | awk 'NF { print $NF }' | sed 's/@.*//' | sort -u)
bad=""
for sym in $undef; do
	case $sym in
	mem* | str* | __asan_* | __ubsan_* | __sanitizer_* | __sancov_* | \
	__stack_chk_fail | __stack_chk_guard | __aeabi_* | _GLOBAL_OFFSET_TABLE_ | \
	__gcov_* | __llvm_* | __msan_* | __tsan_*) ;;
	*) bad="$bad $sym" ;;
	esac
done
echo "check-socks5-symbols: undefined in $*:" $undef
if [ -n "$bad" ]; then
	echo "check-socks5-symbols: FAIL: the engine references:$bad" >&2
	exit 1
fi
echo "check-socks5-symbols: OK (no resolver, socket or other library calls)"
