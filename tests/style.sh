#!/usr/bin/env bash
# tests/style.sh -- the house style of docs/style.md, checked over every C file of the
# repository (hand-written: compiler/, runtime/, tests/, bench/, tools/). One PASS or FAIL
# line per rule and file group; a FAIL lists the first offending lines as FILE:LINE.
set -u
cd "$(dirname "$0")/.." || exit 2
mapfile -t files < <(git ls-files '*.c' '*.h' 2>/dev/null || find compiler runtime tests bench tools -name '*.[ch]')
[ "${#files[@]}" -gt 0 ] || { echo "FAIL style: no C file found"; exit 0; }

# rule NAME AWK-PROGRAM: the program prints FILENAME:FNR for each offending line
rule() {
	local out
	out=$(awk "$2" "${files[@]}" | head -8)
	if [ -z "$out" ]; then echo "PASS style: $1 (${#files[@]} files)"
	else echo "FAIL style: $1:"; sed 's/^/    /' <<<"$out"; fi
}

rule "lines of at most 100 columns, tabs counted as 8" '
	{ line = $0; col = 0
	  for (i = 1; i <= length(line); i++) { c = substr(line, i, 1); col = c == "\t" ? col + 8 - col % 8 : col + 1 }
	  if (col > 100) print FILENAME ":" FNR ": " col " columns" }'
rule "indentation with tabs (spaces only after them, to align)" '/^ +[^ *]/ { print FILENAME ":" FNR }'
rule "no trailing white space" '/[ \t]$/ { print FILENAME ":" FNR }'
rule "comments are /* */" '/^[ \t]*\/\// || /;[ \t]*\/\// { print FILENAME ":" FNR }'
rule "a function definition keeps its type on its line (no KNF return type line)" '
	prev ~ /^(static |extern )?(const )?(unsigned |struct |enum )?[a-z_][a-z0-9_]*( \*+)?$/ &&
	$0 ~ /^[a-z_][a-z0-9_]*\(/ { print FILENAME ":" FNR }
	{ prev = $0 }'
rule "no space between a function name and its parenthesis" '
	/^[a-z][^=;(]* [a-z_][a-z0-9_]* \(/ && !/^(return|if|while|for|switch|sizeof) / { print FILENAME ":" FNR }'
rule "a function body opens on a line of its own" '
	/^[a-z][^=;]*[a-z0-9_]\([^;]*\) \{$/ && !/\{.*\}/ { print FILENAME ":" FNR }'
exit 0
