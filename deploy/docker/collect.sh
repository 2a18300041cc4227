#!/usr/bin/env bash
# Lays out the root filesystem of a runtime image for one binary: the binary, exactly the
# shared libraries it loads (ldd), the CA certificates, and passwd/group entries for the
# non-root user 65532. Nothing else: no shell, no package manager, no compiler.
#
#   deploy/docker/collect.sh <binary> <out dir>
#
# Runs in the image's build stage (Debian 12) or, for prebuilt binaries, on a Debian 12 host
# with the same libraries.
set -euo pipefail

bin="$1"
out="$2"
name="$(basename "$bin")"
rm -rf "$out"
mkdir -p "$out/usr/local/bin" "$out/etc/ssl/certs" "$out/tmp"
chmod 1777 "$out/tmp"
install -m 0755 "$bin" "$out/usr/local/bin/$name"

# Every library the dynamic linker resolves, and the linker itself, at their real paths (the
# paths ldd prints are the ones the loader searches, so the copies are found at run time).
libs="$(ldd "$bin")" || {
  echo "collect.sh: ldd $bin failed" >&2
  exit 1
}
if grep -q "not found" <<<"$libs"; then
  echo "collect.sh: $bin needs libraries this system lacks:" >&2
  grep "not found" <<<"$libs" >&2
  exit 1
fi
while read -r path; do
  [[ -n "$path" ]] || continue
  mkdir -p "$out$(dirname "$path")"
  cp -L "$path" "$out$path"
done < <(awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// && $2 ~ /^\(0x/ {print $1}' <<<"$libs")

cp -L /etc/ssl/certs/ca-certificates.crt "$out/etc/ssl/certs/ca-certificates.crt"
printf 'root:x:0:0:root:/root:/nonexistent\njit:x:65532:65532:jit-access:/nonexistent:/nonexistent\n' >"$out/etc/passwd"
printf 'root:x:0:\njit:x:65532:\n' >"$out/etc/group"
# glibc's resolver reads nsswitch.conf; without it "files dns" is assumed anyway, but be exact.
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$out/etc/nsswitch.conf"
