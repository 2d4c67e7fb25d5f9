#!/usr/bin/env bash
# A single-node Apache Kafka 4.x in KRaft mode on 127.0.0.1, without Docker or a download site:
# the broker and its runtime dependencies come from Maven Central (org.apache.kafka:kafka_2.13)
# through Maven, once, into a cache folder outside git.
#
#   scripts/kafka.sh [start]   fetch if needed, format storage on first start, start, wait, create
#                              the topics of KAFKA_TOPIC_PREFIX (says which it created, which it found)
#   scripts/kafka.sh stop      stop the broker (SIGTERM, then SIGKILL after 30 s)
#   scripts/kafka.sh status    exit 0 when the broker answers on its port; else "not running", exit 1
#   scripts/kafka.sh fetch     only fetch the jars
#   scripts/kafka.sh topics [PREFIX...]  create the missing topics of each prefix (default
#                              KAFKA_TOPIC_PREFIX) on the running broker
#   scripts/kafka.sh reset     stop and delete the broker's data (topics and offsets)
#
# The broker creates no topics by itself: a server or sink with another KAFKA_TOPIC_PREFIX needs
# `KAFKA_TOPIC_PREFIX=<it> scripts/kafka.sh` (or `scripts/kafka.sh topics <it>`) first. Everything
# the broker logs goes to $KAFKA_DATA_DIR/kafka.log.
#
# Settings (environment): KAFKA_VERSION (4.1.1), KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093),
# KAFKA_TOPIC_PREFIX (playloop), KAFKA_PARTITIONS (3), PLAYLOOP_CACHE (~/.cache/playloop),
# KAFKA_DATA_DIR ($PLAYLOOP_CACHE/kafka-data), KAFKA_HEAP (512m).
set -euo pipefail

KAFKA_VERSION="${KAFKA_VERSION:-4.1.1}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_TOPIC_PREFIX="${KAFKA_TOPIC_PREFIX:-playloop}"
KAFKA_PARTITIONS="${KAFKA_PARTITIONS:-3}"
KAFKA_HEAP="${KAFKA_HEAP:-512m}"
CACHE_ROOT="${PLAYLOOP_CACHE:-$HOME/.cache/playloop}"
DIST="$CACHE_ROOT/kafka-$KAFKA_VERSION"
DATA_DIR="${KAFKA_DATA_DIR:-$CACHE_ROOT/kafka-data}"
PID_FILE="$DATA_DIR/kafka.pid"
LOG_FILE="$DATA_DIR/kafka.log"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

log() { echo "kafka.sh: $*" >&2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The Maven project whose runtime dependencies are the broker: kafka_2.13 (with kafka-clients,
# whose Admin client creates the topics) and one logging binding. slf4j-api is pinned to 2.x, which the log4j2 binding needs.
runtime_pom() {
  cat <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.playloop</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>2.0.17</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j2-impl</artifactId><version>2.24.3</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>2.24.3</version></dependency>
  </dependencies>
</project>
EOF
}

# Fetches the broker's jars into $DIST/libs with `mvn dependency:copy-dependencies`.
fetch() {
  local pom
  pom="$(runtime_pom)"
  # The cache is reused while the recipe (this pom) is unchanged.
  if [[ -f "$DIST/.complete" && "$(cat "$DIST/pom.xml" 2>/dev/null)" == "$pom" ]]; then return 0; fi
  command -v mvn >/dev/null || { log "Maven (mvn) is required to fetch Kafka"; exit 1; }
  command -v java >/dev/null || { log "Java 17+ is required to run Kafka"; exit 1; }
  log "fetching Apache Kafka $KAFKA_VERSION from Maven Central into $DIST"
  rm -rf "$DIST"
  mkdir -p "$DIST"
  printf '%s' "$pom" >"$DIST/pom.xml"
  mvn -B -q -Dstyle.color=never -f "$DIST/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$DIST/libs" -DincludeScope=runtime -Dmdep.useRepositoryLayout=false
  # One SLF4J binding only: the log4j2 one above.
  find "$DIST/libs" -name 'slf4j-reload4j-*.jar' -o -name 'slf4j-log4j12-*.jar' | xargs -r rm -f
  touch "$DIST/.complete"
  log "fetched $(ls "$DIST/libs" | wc -l) jars"
}

JAVA_OPTS=(-XX:+UseG1GC -Djava.awt.headless=true)
# The tools (storage format, topic creation) log their warnings and errors to stderr, apart from
# the broker's log; their stdout is their answer.
java_cmd() {
  mkdir -p "$DATA_DIR"
  cat >"$DATA_DIR/tools-log4j2.properties" <<EOF
status = warn
appender.err.type = Console
appender.err.name = err
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.err.ref = err
EOF
  java "${JAVA_OPTS[@]}" -Xmx256m -Dlog4j2.configurationFile="$DATA_DIR/tools-log4j2.properties" \
    -cp "$DIST/libs/*" "$@"
}

write_config() {
  mkdir -p "$DATA_DIR/logs"
  cat >"$DATA_DIR/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$DATA_DIR/kraft-logs
num.partitions=$KAFKA_PARTITIONS
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=168
EOF
  # The broker logs to its stdout, which start() sends to LOG_FILE together with anything the JVM
  # itself prints: one file, the one start announces.
  cat >"$DATA_DIR/log4j2.properties" <<EOF
status = warn
appender.out.type = Console
appender.out.name = out
appender.out.target = SYSTEM_OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.out.ref = out
logger.kafka.name = kafka
logger.kafka.level = warn
logger.apache.name = org.apache.kafka
logger.apache.level = warn
EOF
}

running_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE")"
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

# Creates the missing topics of each prefix given (default KAFKA_TOPIC_PREFIX), in one JVM
# (Java's single-file source launcher and the Kafka Admin client), and says which it created and
# which were there already; fails while the broker cannot serve metadata yet.
create_topics() {
  local prefix family topics=()
  (($# > 0)) || set -- "$KAFKA_TOPIC_PREFIX"
  for prefix in "$@"; do
    # Kafka's rule for topic names (letters, digits, '.', '_', '-'), checked before the JVM starts.
    if [[ ! "$prefix" =~ ^[A-Za-z0-9._-]{1,200}$ ]]; then
      log "not a topic prefix: \"$prefix\" (letters, digits, '.', '_' and '-' only)"
      exit 2
    fi
    for family in users gameplay liveops rewards shop dlq; do topics+=("$prefix.$family.v1"); done
  done
  mkdir -p "$DATA_DIR"
  cat >"$DATA_DIR/CreateTopics.java" <<'JAVA'
import java.util.*;
import org.apache.kafka.clients.admin.*;

public class CreateTopics {
  public static void main(String[] args) throws Exception {
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
    int partitions = Integer.parseInt(args[1]);
    try (Admin admin = Admin.create(props)) {
      Set<String> existing = admin.listTopics().names().get();
      List<NewTopic> missing = new ArrayList<>();
      List<String> created = new ArrayList<>();
      List<String> found = new ArrayList<>();
      for (int i = 2; i < args.length; i++) {
        if (existing.contains(args[i])) {
          found.add(args[i]);
        } else {
          missing.add(new NewTopic(args[i], partitions, (short) 1));
          created.add(args[i]);
        }
      }
      if (!missing.isEmpty()) admin.createTopics(missing).all().get();
      if (!created.isEmpty()) System.out.println("created " + String.join(" ", created) + " (" + partitions + (partitions == 1 ? " partition" : " partitions") + " each)");
      if (!found.isEmpty()) System.out.println("already there: " + String.join(" ", found));
    }
  }
}
JAVA
  local said line
  if [[ -n "${QUIET_TOOLS:-}" ]]; then
    said="$(java_cmd "$DATA_DIR/CreateTopics.java" "127.0.0.1:$KAFKA_PORT" "$KAFKA_PARTITIONS" "${topics[@]}" 2>/dev/null)" || return 1
  else
    said="$(java_cmd "$DATA_DIR/CreateTopics.java" "127.0.0.1:$KAFKA_PORT" "$KAFKA_PARTITIONS" "${topics[@]}")" || return 1
  fi
  while IFS= read -r line; do log "topics $line"; done <<<"$said"
}

start() {
  fetch
  if pid="$(running_pid)"; then
    log "already running (pid $pid) on 127.0.0.1:$KAFKA_PORT, log $LOG_FILE"
    create_topics
    return 0
  fi
  if port_open "$KAFKA_PORT"; then
    log "something else is listening on 127.0.0.1:$KAFKA_PORT"
    exit 1
  fi
  write_config
  if [[ ! -f "$DATA_DIR/kraft-logs/meta.properties" ]]; then
    local cluster_id
    cluster_id="$(java_cmd kafka.tools.StorageTool random-uuid)"
    java_cmd kafka.tools.StorageTool format -t "$cluster_id" -c "$DATA_DIR/server.properties" >/dev/null
    log "formatted KRaft storage in $DATA_DIR/kraft-logs (cluster $cluster_id)"
  fi
  log "starting Kafka $KAFKA_VERSION on 127.0.0.1:$KAFKA_PORT (controller :$KAFKA_CONTROLLER_PORT), log $LOG_FILE"
  nohup java "${JAVA_OPTS[@]}" -Xms"$KAFKA_HEAP" -Xmx"$KAFKA_HEAP" \
    -Dlog4j2.configurationFile="$DATA_DIR/log4j2.properties" -Dkafka.logs.dir="$DATA_DIR/logs" \
    -cp "$DIST/libs/*" kafka.Kafka "$DATA_DIR/server.properties" >"$LOG_FILE" 2>&1 </dev/null &
  echo $! >"$PID_FILE"
  local i
  for ((i = 0; i < 120; i++)); do
    if ! running_pid >/dev/null; then
      log "Kafka exited during start; last lines of $LOG_FILE:"
      tail -n 30 "$LOG_FILE" >&2
      exit 1
    fi
    if port_open "$KAFKA_PORT"; then break; fi
    sleep 0.5
  done
  port_open "$KAFKA_PORT" || { log "Kafka did not open its port in 60 s"; exit 1; }
  # The port opens before the broker has joined its controller; topic creation waits for that
  # (the tool's complaints meanwhile are dropped, the last attempt's are shown).
  for ((i = 0; i < 30; i++)); do
    if QUIET_TOOLS=1 create_topics; then
      log "ready (pid $(cat "$PID_FILE")) on 127.0.0.1:$KAFKA_PORT"
      return 0
    fi
    sleep 1
  done
  create_topics
  log "ready (pid $(cat "$PID_FILE")) on 127.0.0.1:$KAFKA_PORT"
}

status() {
  local pid
  if pid="$(running_pid)"; then
    if port_open "$KAFKA_PORT"; then
      log "running (pid $pid), answering on 127.0.0.1:$KAFKA_PORT, log $LOG_FILE"
      return 0
    fi
    log "started (pid $pid) but not answering on 127.0.0.1:$KAFKA_PORT; log $LOG_FILE"
    return 1
  fi
  if port_open "$KAFKA_PORT"; then
    log "answering on 127.0.0.1:$KAFKA_PORT (a broker this script did not start: no live pid in $PID_FILE)"
    return 0
  fi
  log "not running (it would answer on 127.0.0.1:$KAFKA_PORT, data in $DATA_DIR; start it with scripts/kafka.sh start)"
  return 1
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then
    log "not running"
    rm -f "$PID_FILE"
    return 0
  fi
  kill -TERM "$pid"
  local i
  for ((i = 0; i < 60; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "still running after 30 s; killing"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$PID_FILE"
  log "stopped"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  fetch) fetch ;;
  topics)
    shift
    create_topics "$@"
    ;;
  reset)
    stop
    rm -rf "$DATA_DIR"
    log "data deleted"
    ;;
  *)
    echo "usage: $0 [start|stop|status|fetch|topics [PREFIX...]|reset]" >&2
    exit 2
    ;;
esac
