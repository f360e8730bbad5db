# shellcheck shell=bash
# Sourced by ./ticketgate and ./load-test: builds with the Maven wrapper and shows progress on
# stderr (each module as it starts, a count of downloaded artifacts on first use) instead of
# minutes of silence; the whole log is kept and its tail shown when the build fails.

# Usage: build_with_progress <maven arguments...>; run from the project root.
build_with_progress() {
  local log
  log=$(mktemp "${TMPDIR:-/tmp}/ticketgate-build.XXXXXX")
  local status=0
  ./mvnw -B "$@" >"$log" 2>&1 &
  local pid=$! seen=0 downloads=0 line now
  # On a terminal the download count updates in place; elsewhere (a log, CI) only whole lines.
  local clear=''
  [ -t 2 ] && clear=$'\r\033[K'
  local module='^\[INFO\] Building .*\[[0-9]+/[0-9]+\]$'
  # Follow the log while Maven runs: one line per module, and the count of downloads.
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    now=$(grep -cE "$module" "$log" || true)
    while [ "$seen" -lt "$now" ]; do
      seen=$((seen + 1))
      line=$(grep -E "$module" "$log" | sed -n "${seen}p" | sed -e 's/^\[INFO\] //' -e 's/  */ /g')
      printf '%s  %s\n' "$clear" "$line" >&2
    done
    downloads=$(grep -c '^Downloaded from ' "$log" || true)
    if [ "$downloads" -gt 0 ] && [ -n "$clear" ]; then
      printf '%s  %d artifact(s) downloaded' "$clear" "$downloads" >&2
    fi
  done
  wait "$pid" || status=$?
  printf '%s' "$clear" >&2
  if [ "$status" -ne 0 ]; then
    echo "The build failed (exit $status); the end of its log, kept in $log:" >&2
    tail -n 40 "$log" >&2
    return "$status"
  fi
  [ "$downloads" -gt 0 ] && echo "  $downloads artifact(s) downloaded" >&2
  rm -f "$log"
}
