#!/usr/bin/env bash
# A ClickHouse server on 127.0.0.1:8123 from Debian's package (clickhouse-server 18.16 on
# Debian 12), without Docker. Installs it with apt-get when missing (root), starts it in the
# background and waits until it answers.
#
#   scripts/clickhouse.sh [start]          install if needed, start, wait for HTTP on 8123
#   scripts/clickhouse.sh stop             stop the server this script started
#   scripts/clickhouse.sh status           exit 0 when it answers; else "not running", exit 1
#   scripts/clickhouse.sh reset DATABASE   drop that database (its events and KPIs), no question
#                                          asked: the name must be spelled out, there is no default;
#                                          stop the install's server and sinks first
#
# The server keeps its data in /var/lib/clickhouse (the package's config). The analytics code
# creates its database (CLICKHOUSE_DATABASE, `playloop` by default, or one per test file) and
# tables on first use, so a reset database comes back empty at the next start of a server or sink.
#
# Settings (environment): CLICKHOUSE_HTTP, else CLICKHOUSE_URL, else http://127.0.0.1:8123 (the
# server to ask); PLAYLOOP_CACHE (~/.cache/playloop) holds the pid and the log.
set -euo pipefail

CLICKHOUSE_HTTP="${CLICKHOUSE_HTTP:-${CLICKHOUSE_URL:-http://127.0.0.1:8123}}"
CONFIG=/etc/clickhouse-server/config.xml
STATE_DIR="${PLAYLOOP_CACHE:-$HOME/.cache/playloop}/clickhouse"
PID_FILE="$STATE_DIR/clickhouse.pid"
LOG_FILE="$STATE_DIR/clickhouse.log"

log() { echo "clickhouse.sh: $*" >&2; }
answering() { [[ "$(curl -fsS --max-time 2 "$CLICKHOUSE_HTTP/ping" 2>/dev/null)" == "Ok." ]]; }
# The URL as it may be printed: a password in it shows as ***.
shown_url() { sed -E 's#(//[^:/@]*:)[^@/]*@#\1***@#' <<<"$CLICKHOUSE_HTTP"; }

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
    log "already answering on $(shown_url)"
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
      log "ready: $(curl -fsS "$CLICKHOUSE_HTTP/" --data-binary 'SELECT version()') on $(shown_url)"
      return 0
    fi
    if ! kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
      log "the server exited during start; last lines of $LOG_FILE:"
      tail -n 30 "$LOG_FILE" >&2
      exit 1
    fi
    sleep 0.5
  done
  log "no answer on $(shown_url) after 60 s"
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

status() {
  local pid=""
  [[ -f "$PID_FILE" ]] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null && pid="$(cat "$PID_FILE")"
  if answering; then
    if [[ -n "$pid" ]]; then log "running (pid $pid), answering on $(shown_url), log $LOG_FILE"; else log "answering on $(shown_url)"; fi
    return 0
  fi
  if [[ -n "$pid" ]]; then
    log "not answering on $(shown_url) (the server this script started, pid $pid, is running: log $LOG_FILE)"
  else
    log "not running (nothing answers on $(shown_url); start one on 127.0.0.1:8123 with scripts/clickhouse.sh start)"
  fi
  return 1
}

# Drops one database by name, for a clean start of an install that shares the server. The name is
# required (no default, no prompt), so `reset` alone never drops `playloop` by accident.
reset() {
  local database="${1:-}"
  if [[ -z "$database" ]]; then
    log "reset needs the database to drop, spelled out: scripts/clickhouse.sh reset playloop (CLICKHOUSE_DATABASE of the install)"
    exit 2
  fi
  # The rule CLICKHOUSE_DATABASE is held to: the name goes into SQL as it is.
  if [[ ! "$database" =~ ^[A-Za-z_][A-Za-z0-9_]{0,63}$ ]]; then
    log "not a database name: \"$database\" (letters, digits and _, not starting with a digit, at most 64 characters)"
    exit 2
  fi
  if [[ "$database" == system || "$database" == default ]]; then
    log "refusing to drop ClickHouse's own database \"$database\""
    exit 2
  fi
  if ! answering; then
    log "not running (nothing answers on $(shown_url)); nothing dropped"
    exit 1
  fi
  local existed
  existed="$(curl -fsS "$CLICKHOUSE_HTTP/" --data-binary "SELECT count() FROM system.databases WHERE name = '$database'")"
  curl -fsS "$CLICKHOUSE_HTTP/" --data-binary "DROP DATABASE IF EXISTS $database" >/dev/null
  if [[ "$existed" == 0 ]]; then
    log "no database $database on $(shown_url): nothing to drop"
  else
    log "dropped database $database on $(shown_url) (its tables: events and KPIs); a server or sink creates it again, empty, when it starts"
  fi
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  reset) reset "${2:-}" ;;
  *)
    echo "usage: $0 [start|stop|status|reset DATABASE]" >&2
    exit 2
    ;;
esac
