#!/usr/bin/env bash
# Makes sure darknet/ holds pjreddie's darknet at the pinned commit.
#   1. darknet/src/network.c already there: nothing to do.
#   2. `git submodule update --init darknet` (needs GitHub).
#   3. Debian's source package of the same commit, fetched with apt's own client
#      through a private, temporary sources list and state directory; the
#      machine's apt configuration is never touched.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/darknet"
# The pinned commit's one place is package.json ("darknet"."commit").
pin="$(node -p 'require(process.argv[1]).darknet.commit' "$root/package.json")"
deb_version="0.0.0+git20180914.${pin:0:8}-2"
orig="darknet_0.0.0+git20180914.${pin:0:8}.orig.tar.xz"
orig_sha256=ec536ae11853846aab96183d8ec18730a46cce71f7d935768d235029329f9e93

say() { echo "fetch-darknet: $*" >&2; }

if [ -f "$dest/src/network.c" ]; then
  exit 0
fi

if [ -d "$root/.git" ] || [ -f "$root/.git" ]; then
  say "trying git submodule update --init darknet"
  if GIT_TERMINAL_PROMPT=0 timeout 120 git -C "$root" submodule update --init darknet >&2 2>/dev/null \
     && [ -f "$dest/src/network.c" ]; then
    say "darknet checked out at $(git -C "$dest" rev-parse HEAD)"
    exit 0
  fi
  say "git submodule update failed (no access to GitHub?); trying Debian's source package"
fi

fail() {
  cat >&2 <<EOF
fetch-darknet: could not obtain darknet's sources: $*
Fix one of:
  - run 'git submodule update --init darknet' with access to GitHub
    (pjreddie/darknet at $pin);
  - make Debian's source package 'darknet' ($deb_version) reachable through apt
    (this script uses 'apt-get source --download-only' with a private state
    directory; the machine's apt configuration is not changed);
  - unpack $orig (sha256 $orig_sha256)
    into $dest yourself, so that $dest/src/network.c exists.
EOF
  exit 1
}

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/etc/sources.list.d" "$tmp/etc/preferences.d" "$tmp/lists/partial" \
         "$tmp/cache/archives/partial" "$tmp/download" "$tmp/tree"

sha256_of() { sha256sum "$1" 2>/dev/null | cut -d' ' -f1; }

unpack() {
  tar -xJf "$1" -C "$tmp/tree" --strip-components=1
  [ -f "$tmp/tree/src/network.c" ] || fail "$orig does not contain src/network.c"
  mkdir -p "$dest"
  cp -a "$tmp/tree/." "$dest/"
  say "darknet sources unpacked into $dest (Debian orig tarball of commit $pin, sha256 verified)"
  exit 0
}

# A tarball downloaded earlier on this machine (verified again) saves the download.
cache_dir="${DARKNET_NAPI_SOURCE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/darknet-napi}"
if [ "$(sha256_of "$cache_dir/$orig")" = "$orig_sha256" ]; then
  say "using $cache_dir/$orig"
  unpack "$cache_dir/$orig"
fi

command -v apt-get >/dev/null || fail "apt-get is not available"

# Copy the machine's enabled sources, switched to source packages.
: >"$tmp/etc/sources.list"
if [ -f /etc/apt/sources.list ]; then
  sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' /etc/apt/sources.list >>"$tmp/etc/sources.list"
fi
for f in /etc/apt/sources.list.d/*.list; do
  [ -f "$f" ] || continue
  sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' "$f" >"$tmp/etc/sources.list.d/$(basename "$f")"
done
for f in /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] || continue
  sed 's/^Types:.*/Types: deb-src/' "$f" >"$tmp/etc/sources.list.d/$(basename "$f")"
done

apt_opts=(
  -o "Dir::Etc::SourceList=$tmp/etc/sources.list"
  -o "Dir::Etc::SourceParts=$tmp/etc/sources.list.d"
  -o "Dir::Etc::PreferencesParts=$tmp/etc/preferences.d"
  -o "Dir::State::Lists=$tmp/lists"
  -o "Dir::Cache=$tmp/cache"
  -o "Debug::NoLocking=1"
  -o "APT::Sandbox::User=root"
)
say "downloading Debian source package darknet=$deb_version"
apt-get "${apt_opts[@]}" -qq update >&2 || fail "apt-get update (private source lists) failed"
(cd "$tmp/download" && apt-get "${apt_opts[@]}" -qq source --download-only "darknet=$deb_version" >&2) \
  || fail "apt-get source --download-only darknet=$deb_version failed"

tarball="$tmp/download/$orig"
[ -f "$tarball" ] || fail "$orig was not downloaded"
actual="$(sha256_of "$tarball")"
[ "$actual" = "$orig_sha256" ] || fail "$orig has sha256 $actual, expected $orig_sha256"

mkdir -p "$cache_dir" 2>/dev/null && cp "$tarball" "$cache_dir/$orig.partial" 2>/dev/null \
  && mv "$cache_dir/$orig.partial" "$cache_dir/$orig" || true
unpack "$tarball"
