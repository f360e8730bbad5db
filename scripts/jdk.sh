# Finds a JDK >= 21 for the project's scripts (./test, ./bench). Source it, then call use_jdk21:
#   source scripts/jdk.sh; use_jdk21
# It exports JAVA_HOME, or prints where it looked and exits the calling script.

java_major() { # prints the major version of the JDK at $1, or nothing
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 0
  # "1.8.0_392" yields 1 and "25" yields 25; both compare correctly against 21.
  "$1/bin/java" -version 2>&1 | sed -nE '/version "/{s/.*version "([0-9]+).*/\1/p;q;}'
}

is_jdk21() { local v; v=$(java_major "$1"); [ -n "$v" ] && [ "$v" -ge 21 ]; }

find_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && is_jdk21 "$JAVA_HOME"; then echo "$JAVA_HOME"; return; fi
  local candidate
  for candidate in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*; do
    if is_jdk21 "$candidate"; then echo "$candidate"; return; fi
  done
  echo "No JDK >= 21 found: looked at JAVA_HOME='${JAVA_HOME:-}', /usr/lib/jvm/temurin-25-jdk-amd64" \
       "and /usr/lib/jvm/* (each needs bin/java and bin/javac). Install one or point JAVA_HOME at it." >&2
  exit 1
}

use_jdk21() {
  # Exit explicitly: set -e may be off in the caller, or suspended when this runs inside a condition.
  JAVA_HOME=$(find_jdk) || exit 1
  export JAVA_HOME
  echo "Using JDK at $JAVA_HOME" >&2
}
