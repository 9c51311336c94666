# Sourced by every script that runs Node.js (npm, npx cdk, or the CDK's jsii runtime under Python).
# Where the node on PATH is older than 22 and a newer one is installed by a version manager (nvm,
# fnm, n, asdf, Volta) or Homebrew (node@N), that one goes first on PATH, for this script and
# everything it starts. Where the newest found is Node 20 (end-of-life, still working), one line on
# standard error says so, once per run, instead of the jsii runtime's banner, which it prints as
# eleven Python byte strings on every synth.
_node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null; }

_use_newest_node() {
  local current major best="" best_major=0 candidate
  current="$(command -v node 2>/dev/null || true)"
  [ -n "$current" ] && best_major="$(_node_major "$current" || echo 0)"
  [ "${best_major:-0}" -ge 22 ] && return 0
  for candidate in "$HOME"/.nvm/versions/node/v*/bin/node \
      "${FNM_DIR:-$HOME/.local/share/fnm}"/node-versions/v*/installation/bin/node \
      "${N_PREFIX:-/usr/local}"/n/versions/node/*/bin/node "$HOME"/.asdf/installs/nodejs/*/bin/node \
      "$HOME"/.volta/tools/image/node/*/bin/node /opt/homebrew/opt/node@*/bin/node /usr/local/opt/node@*/bin/node; do
    [ -x "$candidate" ] || continue
    major="$(_node_major "$candidate")" || continue
    if [ "${major:-0}" -gt "${best_major:-0}" ]; then
      best="$candidate"; best_major="$major"
    fi
  done
  if [ -n "$best" ]; then
    PATH="$(dirname "$best"):$PATH"
    export PATH
  fi
  if [ "${best_major:-0}" -eq 20 ]; then
    export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
    if [ -z "${PASSWORDLESS_NODE_NOTED:-}" ]; then
      echo "note: Node.js 20 is end-of-life; it works, but install Node.js 22 or newer (the scripts prefer it when both are installed)" >&2
      export PASSWORDLESS_NODE_NOTED=1
    fi
  fi
}

_use_newest_node
