#!/usr/bin/env bash
# Stop the local broker started by start.sh for KAFKA_PORT (default 9092): SIGTERM, wait up to
# KAFKA_STOP_TIMEOUT seconds (default 30), then SIGKILL. Removes the pid file and the data dir
# (the data dir stays with KAFKA_KEEP_DATA=1, for a restart with KAFKA_KEEP_DATA=1 start.sh).
# Harmless when nothing is running.
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/common.sh"

TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"

if ! pid="$(kafka_live_pid)"; then
  kafka_log "not running on port $KAFKA_PORT"
  [[ "${KAFKA_KEEP_DATA:-0}" == "1" ]] || rm -rf "$KAFKA_DATA_DIR"
  exit 0
fi

kafka_log "stopping broker pid $pid (port $KAFKA_PORT) ..."
kill -TERM "$pid" 2>/dev/null || true
deadline=$((SECONDS + TIMEOUT))
while kafka_pid_running "$pid" && (( SECONDS < deadline )); do
  sleep 0.2
done
if kafka_pid_running "$pid"; then
  kafka_log "still alive after ${TIMEOUT}s, sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kafka_pid_running "$pid" || break; sleep 0.1; done
fi
rm -f "$KAFKA_PID_FILE"
[[ "${KAFKA_KEEP_DATA:-0}" == "1" ]] || rm -rf "$KAFKA_DATA_DIR"
kafka_log "stopped"
