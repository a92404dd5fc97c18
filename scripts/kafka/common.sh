# shellcheck shell=bash
# Shared settings for the local dev/test Kafka broker scripts. Sourced, not executed.
# Works from any cwd: everything is resolved relative to the repository root.

KAFKA_SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$KAFKA_SCRIPT_DIR/../.." && pwd)"

KAFKA_CACHE_DIR="${KAFKA_CACHE_DIR:-$REPO_ROOT/.cache/kafka}"
KAFKA_LIBS_DIR="$KAFKA_CACHE_DIR/libs"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1000))}"
KAFKA_DATA_DIR="$KAFKA_CACHE_DIR/data-$KAFKA_PORT"
KAFKA_PID_FILE="$KAFKA_CACHE_DIR/broker-$KAFKA_PORT.pid"
KAFKA_LOG_FILE="$KAFKA_CACHE_DIR/broker-$KAFKA_PORT.log"
KAFKA_PROPS_FILE="$KAFKA_CACHE_DIR/server-$KAFKA_PORT.properties"

kafka_log() { printf '[kafka] %s\n' "$*" >&2; }
kafka_die() { printf '[kafka] ERROR: %s\n' "$*" >&2; exit 1; }

# Java 17+ is required by Kafka 4.x brokers.
kafka_require_java() {
  command -v java >/dev/null 2>&1 || kafka_die "java not found on PATH (need Java 17+; e.g. apt-get install -y openjdk-17-jdk-headless)"
  local ver major
  ver="$(java -version 2>&1 | awk -F'"' '/version/ {print $2; exit}')"
  major="${ver%%.*}"
  [[ "$major" == "1" ]] && major="$(echo "$ver" | cut -d. -f2)"
  [[ "$major" =~ ^[0-9]+$ ]] || kafka_die "could not parse java version from: $(java -version 2>&1 | head -1)"
  (( major >= 17 )) || kafka_die "Java $ver found, Kafka 4.x needs Java 17+"
}

# True if pid exists and is not a zombie (PID 1 in containers does not always reap orphans).
kafka_pid_running() {
  kill -0 "$1" 2>/dev/null || return 1
  local state
  state="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || true)"
  [[ "$state" != "Z" ]]
}

# Prints the pid of our broker for KAFKA_PORT if it is alive; removes a stale pid file otherwise.
kafka_live_pid() {
  [[ -f "$KAFKA_PID_FILE" ]] || return 1
  local pid
  pid="$(tr -dc '0-9' < "$KAFKA_PID_FILE")"
  if [[ -n "$pid" ]] && kafka_pid_running "$pid" \
     && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka'; then
    echo "$pid"
    return 0
  fi
  kafka_log "removing stale pid file $KAFKA_PID_FILE (pid ${pid:-?} is not a running broker)"
  rm -f "$KAFKA_PID_FILE"
  return 1
}
