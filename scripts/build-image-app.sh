#!/usr/bin/env bash
# Builds one iam4kube binary and lays it out in OUTDIR exactly as its container image runs it:
#
#   OUTDIR/package.json                       a workspace root naming only the two packages the binary needs
#   OUTDIR/package-lock.json                  the exact versions installed (read by image scanners)
#   OUTDIR/packages/shared/package.json, dist/src/*.js
#   OUTDIR/packages/APP/package.json, dist/src/*.js   (entry point: dist/src/main.js)
#   OUTDIR/node_modules                       production dependencies only
#
# Dockerfile.server and Dockerfile.ip2service run it in their build stage (after `npm ci`) and copy OUTDIR into
# the runtime stage; test/ship/image-build.test.ts runs it on this machine and starts what it built, so what the
# images run is tested without a Docker engine. Needs the repository's node_modules (npm ci) and nothing from the
# network: the compiler is the installed TypeScript, the pruning is `npm prune` over a copy of node_modules.
# The repository is only read: the sources are compiled straight into OUTDIR (src only, no tests, no source maps).
set -euo pipefail

usage() {
  echo "usage: $0 <server|ip2service> <outdir>" >&2
  exit 2
}
[ $# -eq 2 ] || usage
app=$1
out=$2
case "$app" in server | ip2service) ;; *) usage ;; esac

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ -e "$out" ] && [ -n "$(ls -A "$out")" ]; then
  echo "$0: $out exists and is not empty" >&2
  exit 2
fi
if [ ! -x "$root/node_modules/typescript/bin/tsc" ] && [ ! -f "$root/node_modules/typescript/bin/tsc" ]; then
  echo "$0: $root/node_modules/typescript is missing: run npm ci first" >&2
  exit 1
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. Compile src (not test) of shared, then of the app, into OUTDIR. The generated tsconfigs extend the packages' own
#    (so the compiler options are the ones the repository is checked with) and change only what goes where. The app
#    sees @iam4kube/shared through the declarations just emitted, never through the repository's own dist/.
tsconfig() { # package, extra compilerOptions (JSON members, may be empty)
  cat >"$work/tsconfig.$1.json" <<EOF
{
  "extends": "$root/packages/$1/tsconfig.json",
  "compilerOptions": {
    "rootDir": "$root/packages/$1/src",
    "outDir": "$out/packages/$1/dist/src",
    "composite": false,
    "incremental": false,
    "declarationMap": false,
    "sourceMap": false,
    "typeRoots": ["$root/node_modules/@types"]$2
  },
  "include": ["$root/packages/$1/src"],
  "references": []
}
EOF
}
tsc() { node "$root/node_modules/typescript/bin/tsc" "$@"; }
tsconfig shared ''
tsconfig "$app" ",
    \"declaration\": false,
    \"paths\": { \"@iam4kube/shared\": [\"$out/packages/shared/dist/src/index.d.ts\"] }"
echo "build-image-app: compiling packages/shared and packages/$app"
tsc -p "$work/tsconfig.shared.json"
tsc -p "$work/tsconfig.$app.json"
find "$out/packages/shared/dist" -name '*.d.ts' -delete
cp "$root/packages/shared/package.json" "$out/packages/shared/package.json"
cp "$root/packages/$app/package.json" "$out/packages/$app/package.json"
chmod +x "$out/packages/$app/dist/src/main.js"

# 2. Production dependencies: a copy of the installed node_modules, pruned by npm against a root package.json that
#    names only these two workspaces and has no devDependencies (so the app's devDependencies, the other workspaces
#    and every tool go). npm prune only removes: it works offline.
node -e '
const [rootDir, outDir, app] = process.argv.slice(1);
const fs = require("node:fs");
const rootPkg = JSON.parse(fs.readFileSync(rootDir + "/package.json", "utf8"));
const pkg = { name: rootPkg.name, private: true, type: "module", license: rootPkg.license, engines: rootPkg.engines, workspaces: ["packages/shared", "packages/" + app] };
fs.writeFileSync(outDir + "/package.json", JSON.stringify(pkg, null, 2) + "\n");
' "$root" "$out" "$app"
cp "$root/package-lock.json" "$out/package-lock.json"
echo "build-image-app: copying node_modules and pruning it to production dependencies"
cp -a "$root/node_modules" "$out/node_modules"
(cd "$out" && npm prune --omit=dev --no-audit --no-fund --loglevel=error)
# What prune leaves behind: links to the workspaces and tools that are gone, and the folders they were in.
find "$out/node_modules" -xtype l -delete
find "$out/node_modules" -mindepth 1 -type d -empty -delete

# 3. The layout must run: its entry point loads every module it imports statically.
node "$out/packages/$app/dist/src/main.js" --help >/dev/null
echo "build-image-app: $app laid out in $out (entry point packages/$app/dist/src/main.js)"
