#!/usr/bin/env bash
# A ClickHouse server on 127.0.0.1:8123 from Debian's package (clickhouse-server 18.16 on
# Debian 12), without Docker. Installs it with apt-get when missing (root), starts it in the
# background and waits until it answers.
#
#   scripts/clickhouse.sh [start]   install if needed, start, wait for HTTP on 8123
#   scripts/clickhouse.sh stop      stop the server this script started
#   scripts/clickhouse.sh status    exit 0 when it answers
#
# The server keeps its data in /var/lib/clickhouse (the package's config). The analytics code
# creates its own database (`playloop`, or one per test file) and tables on first use.
set -euo pipefail

CLICKHOUSE_HTTP="${CLICKHOUSE_HTTP:-http://127.0.0.1:8123}"
CONFIG=/etc/clickhouse-server/config.xml
STATE_DIR="${PLAYLOOP_CACHE:-$HOME/.cache/playloop}/clickhouse"
PID_FILE="$STATE_DIR/clickhouse.pid"
LOG_FILE="$STATE_DIR/clickhouse.log"

log() { echo "clickhouse.sh: $*" >&2; }
answering() { [[ "$(curl -fsS --max-time 2 "$CLICKHOUSE_HTTP/ping" 2>/dev/null)" == "Ok." ]]; }

install() {
  if [[ -x /usr/sbin/clickhouse-server || -x /usr/bin/clickhouse-server ]]; then return 0; fi
  log "installing clickhouse-server with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # The package's postinst may try to start a service; in a container without init that fails
  # harmlessly, and we start the server ourselves below.
  apt-get install -y -qq clickhouse-server clickhouse-client >/dev/null
}

start() {
  if answering; then
    log "already answering on $CLICKHOUSE_HTTP"
    return 0
  fi
  install
  mkdir -p "$STATE_DIR"
  local bin=/usr/sbin/clickhouse-server
  [[ -x "$bin" ]] || bin=/usr/bin/clickhouse-server
  log "starting $("$bin" --version 2>/dev/null | head -n 1 || echo clickhouse-server), log $LOG_FILE"
  nohup "$bin" --config-file="$CONFIG" >"$LOG_FILE" 2>&1 </dev/null &
  echo $! >"$PID_FILE"
  local i
  for ((i = 0; i < 120; i++)); do
    if answering; then
      log "ready: $(curl -fsS "$CLICKHOUSE_HTTP/" --data-binary 'SELECT version()') on $CLICKHOUSE_HTTP"
      return 0
    fi
    if ! kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
      log "the server exited during start; last lines of $LOG_FILE:"
      tail -n 30 "$LOG_FILE" >&2
      exit 1
    fi
    sleep 0.5
  done
  log "no answer on $CLICKHOUSE_HTTP after 60 s"
  exit 1
}

stop() {
  if [[ ! -f "$PID_FILE" ]] || ! kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
    log "no server started by this script is running"
    rm -f "$PID_FILE"
    return 0
  fi
  local pid i
  pid="$(cat "$PID_FILE")"
  kill -TERM "$pid"
  for ((i = 0; i < 60; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  rm -f "$PID_FILE"
  log "stopped"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) answering && log "answering on $CLICKHOUSE_HTTP" ;;
  *)
    echo "usage: $0 [start|stop|status]" >&2
    exit 2
    ;;
esac
