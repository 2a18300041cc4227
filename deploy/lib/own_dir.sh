# shellcheck shell=bash
# Sourced by the scripts that keep state or binaries in a fixed place (deploy/local/up.sh,
# tests/fuzz.sh).
#
# ensure_own_dir DIR MODE
#   Creates DIR (and its parents) if missing, then insists that DIR is a real directory
#   (not a symlink) owned by this user and not writable by group or others, and sets MODE.
#   A directory another local user created beforehand — in /var/tmp or /tmp anyone can —
#   could hand this script a CA, keys or binaries of theirs; it is refused, never reused.
#   Prints the reason and returns 1 on refusal.
ensure_own_dir() {
  local dir="$1" mode="$2" owner perms
  if [[ -L "$dir" ]]; then
    echo "refusing $dir: it is a symbolic link" >&2
    return 1
  fi
  mkdir -p -- "$dir" || return 1
  owner="$(stat -c %u -- "$dir")" || return 1
  perms="$(stat -c %a -- "$dir")" || return 1
  if [[ "$owner" != "$(id -u)" ]]; then
    echo "refusing $dir: it belongs to uid $owner, not to this user ($(id -u)); remove it" >&2
    return 1
  fi
  if ((8#$perms & 8#022)); then
    echo "refusing $dir: it is writable by group or others (mode $perms); remove it" >&2
    return 1
  fi
  chmod "$mode" -- "$dir"
}
