#!/usr/bin/env bash
# The Kafka container's health check: healthy when the broker answers an ApiVersions request, the
# first request every Kafka client sends. bash alone, because kafka-broker-api-versions.sh starts a
# JVM (a second of CPU and ~100 MB) every interval. A bare TCP connect is not enough: the kernel
# accepts connections into the listener's backlog before the broker processes any request.
# Usage: kafka-healthcheck.sh [host] [port]
set -euo pipefail
host="${1:-127.0.0.1}"
port="${2:-9092}"
exec 3<>"/dev/tcp/$host/$port"
# Size 12, then the request header v1: api key 18 (ApiVersions), version 0, correlation id 1,
# client id "hc". Version 0 has an empty body and every broker since 0.10 answers it.
printf '\x00\x00\x00\x0c\x00\x12\x00\x00\x00\x00\x00\x01\x00\x02hc' >&3
# The reply starts with its size (4 bytes), our correlation id (4) and the error code (2).
reply="$(timeout 4 head -c 10 <&3 | od -An -tx1 | tr -d ' \n')"
[ "${#reply}" -eq 20 ] && [ "${reply:8:12}" = "000000010000" ]
