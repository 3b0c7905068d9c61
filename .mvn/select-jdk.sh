# Sourced by ./mvnw, ./kvsqueeze and .ci/run: points JAVA_HOME at a JDK 25.
# Order: JAVA_HOME if it is a 25, then /usr/lib/jvm/*25*. Anything else stops with a message naming the JDK
# needed, because the default java of many machines (17) lacks the FFM and Vector APIs the engine uses.
kvsqueeze_java_major() {
  local release="$1/release"
  [ -f "$release" ] || return 1
  sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release"
}

kvsqueeze_select_jdk() {
  local wanted=25 candidate
  if [ -n "${JAVA_HOME:-}" ] && [ "$(kvsqueeze_java_major "$JAVA_HOME")" = "$wanted" ]; then
    return 0
  fi
  for candidate in /usr/lib/jvm/*"$wanted"* /usr/lib/jvm/jdk-"$wanted"*; do
    if [ -x "$candidate/bin/javac" ] && [ "$(kvsqueeze_java_major "$candidate")" = "$wanted" ]; then
      export JAVA_HOME="$candidate"
      return 0
    fi
  done
  echo "KVSqueeze needs a JDK $wanted (Temurin 25 recommended)." >&2
  echo "  JAVA_HOME=${JAVA_HOME:-<unset>} is not a JDK $wanted, and none was found under /usr/lib/jvm." >&2
  echo "  Install one (e.g. apt-get install temurin-25-jdk) or set JAVA_HOME to a JDK $wanted." >&2
  return 1
}
