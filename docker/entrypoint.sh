#!/bin/sh
# Container entry point of the KVSqueeze images: runs the CLI with the JVM flags the engine needs (the same ones
# as ./kvsqueeze), and before `serve` makes sure the default model is in $KVSQUEEZE_HOME/models.
#
#   KVSQUEEZE_FETCH_MODEL=true   (default) run `model fetch` before `serve`: downloads the default model once into
#                                the volume, and on later starts only re-checks its SHA-256. Set it to false when
#                                the model is mounted, fetched by an init container, or not the default one.
#   KVSQUEEZE_JAVA_OPTS          extra JVM flags (e.g. -Xmx6g), placed after the defaults so that they win.
#
# Any other command is passed to the CLI: `docker run IMAGE generate --prompt "Hi"`, `... model path`, `... --help`.
set -eu

jar=/opt/kvsqueeze/kvsqueeze.jar

# --add-modules jdk.incubator.vector: the CPU kernels use the Vector API.
# --enable-native-access=ALL-UNNAMED: the model file is mapped with the FFM API.
# -XX:+UseParallelGC: the engine allocates almost nothing after load; the throughput collector keeps pauses off
#   the token loop.
# -XX:MaxRAMPercentage=60: the JVM's container default heap (25 % of the memory limit) would leave most of the
#   limit unused; the remaining 40 % is for the mapped model file, metaspace, thread stacks and direct memory.
jvm_flags="--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -XX:MaxRAMPercentage=60"

if [ "$#" -eq 0 ]; then
  set -- serve
fi

if [ "$1" = serve ] && [ "${KVSQUEEZE_FETCH_MODEL:-true}" = true ]; then
  echo "entrypoint: checking the default model in ${KVSQUEEZE_HOME:-~/.cache/kvsqueeze}/models (KVSQUEEZE_FETCH_MODEL=false skips this)" >&2
  # shellcheck disable=SC2086 # the flag lists must be split into words
  java $jvm_flags ${KVSQUEEZE_JAVA_OPTS:-} -jar "$jar" model fetch >&2
fi

# exec: java becomes PID 1's replacement and receives SIGTERM directly, so Spring shuts down gracefully.
# shellcheck disable=SC2086
exec java $jvm_flags ${KVSQUEEZE_JAVA_OPTS:-} -jar "$jar" "$@"
