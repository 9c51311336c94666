# Sourced first by every script in scripts/, with its arguments: `-h` or `--help` as the first
# argument answers before anything is installed, built or changed. A script backed by a Python
# module names it in HELP_MODULE: its own help (every option) is shown once .venv exists;
# otherwise, and for the others, the script's header comment (its first comment block).
case "${1:-}" in
  -h|--help)
    if [ -n "${HELP_MODULE:-}" ] && [ -x "$root/.venv/bin/python" ]; then
      PYTHONPATH="$root" exec "$root/.venv/bin/python" -m "$HELP_MODULE" --help
    fi
    sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"
    exit 0
    ;;
esac
