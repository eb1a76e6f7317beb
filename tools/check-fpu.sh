#!/usr/bin/env bash
# Fail if an ELF file contains any x87, MMX, SSE, AVX or AVX-512 instruction.
#
#   tools/check-fpu.sh [--allow FUNCTION]... FILE...
#
# plinth never touches FPU/SSE/AVX state (DESIGN invariant 9), so guest FPU
# state stays live across exits.  The compiler flags promise that for C code;
# this check also covers assembly and the newlib archive linked into the core.
# --allow exempts one function by name (for a deliberate save/restore path).
set -euo pipefail

allow=()
files=()
while [ $# -gt 0 ]; do
	case $1 in
	--allow) [ $# -ge 2 ] || { echo "fpu-check: --allow needs a function name" >&2; exit 2; }
	         allow+=("$2"); shift 2 ;;
	-*)      echo "usage: $0 [--allow FUNCTION]... FILE..." >&2; exit 2 ;;
	*)       files+=("$1"); shift ;;
	esac
done
[ ${#files[@]} -gt 0 ] || { echo "usage: $0 [--allow FUNCTION]... FILE..." >&2; exit 2; }
command -v objdump >/dev/null || { echo "fpu-check: objdump not found: run 'make deps'" >&2; exit 2; }

status=0
for f in "${files[@]}"; do
	[ -r "$f" ] || { echo "fpu-check: $f: not readable" >&2; status=2; continue; }
	dis=$(objdump -d --no-show-raw-insn "$f") || { echo "fpu-check: $f: objdump failed" >&2; status=2; continue; }
	# objdump lines: "<func>:" headers, then "  addr:<TAB>mnemonic operands".
	# Flag an instruction if it names an x87 (%st), MMX (%mm), SSE/AVX
	# (%xmm/%ymm/%zmm), AVX-512 mask (%k0-7) or AMX tile (%tmm) register, or if
	# its mnemonic works on that state without naming a register.
	printf '%s\n' "$dis" | awk -v file="$f" -v allowlist="${allow[*]:-}" '
	BEGIN {
		n = split(allowlist, a, " "); for (i = 1; i <= n; i++) allowed[a[i]] = 1
		# Mnemonics without register operands that still use the state.
		split("emms femms ldmxcsr stmxcsr vldmxcsr vstmxcsr vzeroupper vzeroall " \
		      "xsave xsave64 xsaveopt xsaveopt64 xsavec xsavec64 xsaves xsaves64 " \
		      "xrstor xrstor64 xrstors xrstors64 wait ldtilecfg sttilecfg tilerelease", m, " ")
		for (i in m) bad[m[i]] = 1
		scanned = 0; found = 0; func = "?"
	}
	/^[0-9a-f]+ <.*>:$/ { func = $2; gsub(/[<>:]/, "", func); next }
	/^ *[0-9a-f]+:\t/ {
		split($0, part, "\t")
		insn = part[2]
		if (insn == "" || insn ~ /^\(bad\)/) next
		scanned++
		if (func in allowed) next
		split(insn, w, " ")
		mn = w[1]
		# Skip prefixes so "rep stos" and "lock cmpxchg" are judged by the op.
		k = 1
		while (mn ~ /^(rep|repz|repe|repnz|repne|lock|data16|addr32|notrack|bnd|cs|ds|es|ss|fs|gs)$/ && k < length(w)) mn = w[++k]
		if (mn ~ /^f/ || (mn in bad) || insn ~ /%(x|y|z)mm[0-9]|%mm[0-7]|%st([^a-z]|$)|%k[0-7]([^0-9]|$)|%tmm[0-7]/) {
			found++
			printf "%s: %s: %s\n", file, func, $0
		}
	}
	END {
		printf "fpu-check: %s: %d instructions scanned, %d FPU/SSE/AVX\n", file, scanned, found
		if (scanned == 0) { printf "fpu-check: %s: no code found\n", file; exit 2 }
		exit found ? 1 : 0
	}' || status=$(( status > $? ? status : $? ))
done
exit $status
