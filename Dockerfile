# syntax=docker/dockerfile:1
# KVSqueeze server image, CPU engine.
#   docker build -t kvsqueeze:0.1.0-SNAPSHOT .
#   docker run --rm -p 8080:8080 -v kvsqueeze-home:/var/lib/kvsqueeze kvsqueeze:0.1.0-SNAPSHOT
# The GPU variant is Dockerfile.cuda; both run the same jar through docker/entrypoint.sh.

ARG JDK_IMAGE=eclipse-temurin:25-jdk
ARG JRE_IMAGE=eclipse-temurin:25-jre

FROM ${JDK_IMAGE} AS build
WORKDIR /src
COPY mvnw pom.xml ./
COPY .mvn .mvn
COPY src src
# The cache mount keeps ~/.m2 (the wrapper's Maven and the dependencies) between builds without putting it in a
# layer. The wrapper picks the image's JDK 25 through JAVA_HOME.
RUN --mount=type=cache,target=/root/.m2 ./mvnw -B package -DskipTests \
 && cp target/kvsqueeze-spring-boot-starter-*-exec.jar /kvsqueeze.jar

FROM ${JRE_IMAGE}
# curl answers the HEALTHCHECK; the JRE image does not promise to ship it.
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/*

# A fixed, non-root uid: Kubernetes' runAsNonRoot needs a numeric user, and volumes are chowned to it.
ARG APP_UID=10001
RUN groupadd --system --gid ${APP_UID} kvsqueeze \
 && useradd --system --uid ${APP_UID} --gid kvsqueeze --home-dir /var/lib/kvsqueeze --shell /usr/sbin/nologin kvsqueeze \
 && mkdir -p /var/lib/kvsqueeze/models /opt/kvsqueeze \
 && chown -R kvsqueeze:kvsqueeze /var/lib/kvsqueeze

COPY --from=build /kvsqueeze.jar /opt/kvsqueeze/kvsqueeze.jar
COPY --chmod=0755 docker/entrypoint.sh /opt/kvsqueeze/entrypoint.sh

# KVSQUEEZE_HOME holds models/, the generated admin-token (when KVSQUEEZE_ADMIN_TOKEN is not set) and, without
# spring.datasource.url, the embedded PostgreSQL's pgdata/: keep it on a volume.
ENV KVSQUEEZE_HOME=/var/lib/kvsqueeze \
    HOME=/var/lib/kvsqueeze
VOLUME ["/var/lib/kvsqueeze"]

USER ${APP_UID}:${APP_UID}
EXPOSE 8080

# Loading the model takes a while on a cold page cache: start-period keeps early failures from counting.
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
  CMD ["curl", "--fail", "--silent", "--show-error", "--max-time", "4", "http://localhost:8080/actuator/health"]

ENTRYPOINT ["/opt/kvsqueeze/entrypoint.sh"]
CMD ["serve"]
