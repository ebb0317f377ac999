#!/bin/sh
# SPDX-License-Identifier: AGPL-3.0-only
# Runs the JMH micro-benchmarks of the server's hot paths (module bench-jmh, bench-jmh/src/main/java/org/svyaz/bench/jmh).
#   bench/jmh.sh                      the whole suite with the defaults in the annotations
#   bench/jmh.sh -h                   JMH's options
#   bench/jmh.sh -l                   the benchmarks
#   bench/jmh.sh 'Mailbox.*fetch' -f 1 -wi 2 -i 3 -w 1s -r 2s
# Builds the bench-jmh module (and what it depends on) when a source or pom is newer than the last build.
# MVN_ARGS passes options to that build, e.g. MVN_ARGS=-o to stay offline.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/tools/jdk.sh"
cd "$ROOT"
# Runtime scope: the test-only logback stays out, so the server logs nothing (SLF4J finds no provider
# and says so once per fork), as a production server at INFO logs nothing on these paths.
CLASSPATH_FILE=bench-jmh/target/jmh-runtime-classpath.txt

stale() {
    [ ! -s "$CLASSPATH_FILE" ] && return 0
    [ ! -f bench-jmh/target/classes/META-INF/BenchmarkList ] && return 0
    # A jar the classpath names that a clean removed.
    for entry in $(tr ':' ' ' < "$CLASSPATH_FILE"); do [ -e "$entry" ] || return 0; done
    # Anything the benchmarks run that changed since the classpath was written.
    [ -n "$(find pom.xml protocol server bench-jmh/pom.xml bench-jmh/src/main \
        -path '*/target' -prune -o -type f -newer "$CLASSPATH_FILE" -print 2>/dev/null | head -n 1)" ]
}

if stale; then
    echo "jmh.sh: building the bench-jmh module" >&2
    # One reactor build, so the classpath names this tree's jars (server/target/...), never copies in
    # the local Maven repository that a build of another checkout may have replaced. Every module
    # of the reactor writes the file; bench-jmh, which depends on the others, writes it last.
    # shellcheck disable=SC2086  # MVN_ARGS is a list of options
    mvn -B -q -Dstyle.color=never ${MVN_ARGS:-} package dependency:build-classpath -DskipTests -pl bench-jmh -am \
        -DincludeScope=runtime -Dmdep.outputFile="$ROOT/$CLASSPATH_FILE" >&2
    # The plugin leaves an unchanged file's time alone; without this every later run would rebuild.
    touch "$CLASSPATH_FILE"
fi

# The JVMs get the flags ./svyaz starts the server with: on JDK 24+ protobuf and Netty use
# sun.misc.Unsafe only when allowed (Netty falls back to slower buffers otherwise), so a run without
# the flag would not measure what the server does. JMH's forks inherit this JVM's flags unless
# -jvmArgs is given.
UNSAFE_FLAG=""
if [ "$(java_major "$JAVA_HOME")" -ge 24 ]; then UNSAFE_FLAG="--sun-misc-unsafe-memory-access=allow"; fi

# shellcheck disable=SC2086  # UNSAFE_FLAG is empty or one option
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED $UNSAFE_FLAG \
    -cp "bench-jmh/target/classes:$(cat "$CLASSPATH_FILE")" org.openjdk.jmh.Main "$@"
