#!/usr/bin/env bash
# Download the Kafka broker jars (+ slf4j/log4j2 binding) once into .cache/kafka/libs.
# Re-running is a no-op while scripts/kafka/pom.xml is unchanged.
set -euo pipefail
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/common.sh"

POM="$KAFKA_SCRIPT_DIR/pom.xml"
STAMP="$KAFKA_LIBS_DIR/.pom.sha256"
want="$(sha256sum "$POM" | cut -d' ' -f1)"

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]] && compgen -G "$KAFKA_LIBS_DIR/kafka_2.13-*.jar" >/dev/null; then
  [[ "${1:-}" == "--quiet" ]] || kafka_log "jars already in $KAFKA_LIBS_DIR"
  exit 0
fi

command -v mvn >/dev/null 2>&1 || kafka_die "mvn not found on PATH and $KAFKA_LIBS_DIR is empty (e.g. apt-get install -y maven)"
mkdir -p "$KAFKA_CACHE_DIR"
tmp="$(mktemp -d "$KAFKA_CACHE_DIR/libs.tmp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

kafka_log "fetching Kafka jars from Maven Central into $KAFKA_LIBS_DIR ..."
start=$SECONDS
# (strip the stray ANSI resets Debian's maven prints even in batch/quiet mode)
if ! mvn -q -B -Dstyle.color=never -f "$POM" dependency:copy-dependencies -DoutputDirectory="$tmp" 2>&1 \
     | sed -e 's/\x1b\[[0-9;]*m//g' -e '/^[[:space:]]*$/d' >&2; then
  kafka_die "maven could not fetch the Kafka jars (see output above)"
fi
echo "$want" > "$tmp/.pom.sha256"

rm -rf "$KAFKA_LIBS_DIR"
mv "$tmp" "$KAFKA_LIBS_DIR"
trap - EXIT
kafka_log "fetched $(ls "$KAFKA_LIBS_DIR" | wc -l) jars ($(du -sh "$KAFKA_LIBS_DIR" | cut -f1)) in $((SECONDS - start))s"
