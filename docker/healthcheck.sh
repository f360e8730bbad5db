#!/usr/bin/env bash
# The gateway image's health check: GET http://127.0.0.1:<port><path> with bash alone, healthy when
# the status is 200. The JRE image has no curl, and starting a JVM for the probe cost a second of
# CPU and tens of MB every interval. Usage: healthcheck.sh [port] [path]
set -euo pipefail
port="${1:-9404}"
path="${2:-/health/ready}"
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$path" >&3
IFS=' ' read -r -t 4 _ status _ <&3
[ "$status" = "200" ]
