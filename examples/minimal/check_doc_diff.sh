#!/bin/sh
# Fails when the diff shown in docs/integration.md is not the real difference
# between train_single.cc and train_distributed.cc: every changed line, in
# order, with the doc's +/- marking instead of diff's >/<.
# usage: check_doc_diff.sh <examples/minimal dir> <docs/integration.md>
set -eu
dir=$1
doc=$2
actual=$(diff "$dir/train_single.cc" "$dir/train_distributed.cc" | sed -n 's/^< /-/p; s/^> /+/p' || true)
shown=$(sed -n '/^```diff$/,/^```$/p' "$doc" | grep '^[-+]' || true)
if [ "$actual" != "$shown" ]; then
  echo "docs/integration.md shows:"; echo "$shown"
  echo "but train_single.cc -> train_distributed.cc changes:"; echo "$actual"
  exit 1
fi
echo "the diff in $doc matches the example ($(echo "$actual" | grep -c '^+') added lines)"
