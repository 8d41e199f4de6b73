#!/usr/bin/env bash
# Runs native/test/smoke.mjs under valgrind (memcheck): exits non-zero on any invalid read
# or write, use of uninitialised memory, or a definite leak in the addon. Node's own
# start-up and V8's JIT are noise for memcheck; native/test/node.supp suppresses what of it
# is not ours (only frames outside tickstream_native.node).
#
#   TICKSTREAM_KAFKA_BOOTSTRAP=host:port[,...] npm run test:native-valgrind
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
command -v valgrind >/dev/null || { echo "valgrind not found: apt-get install valgrind" >&2; exit 2; }
log="${VALGRIND_LOG:-$(mktemp -t tickstream-valgrind-XXXXXX.log)}"
set +e
valgrind --error-exitcode=1 --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
  --track-origins=no --smc-check=all-non-file --suppressions="$here/node.supp" --log-file="$log" \
  node --jitless "$here/smoke.mjs"
rc=$?
set -e
grep -E "ERROR SUMMARY|definitely lost|Invalid|uninitialised" "$log" | head -20
if [ "$rc" -ne 0 ]; then
  echo "valgrind: failed (exit $rc); full report: $log" >&2
  exit "$rc"
fi
# A finding in the addon's own frames fails even if suppressed elsewhere by accident.
if grep -q "tickstream_native.node" "$log" && grep -qE "Invalid (read|write)|definitely lost in [1-9]" "$log"; then
  echo "valgrind: findings in the addon; full report: $log" >&2
  exit 1
fi
echo "valgrind: clean (report: $log)"
