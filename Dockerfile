# wikistream in a container: the release's linux binary on a distroless base (glibc and
# libstdc++, nothing else: no shell, no package manager), run as a user without privileges.
#
#   mkdir -p dist/docker/linux-amd64 && cp dist/wikistream-<version>-linux-x64 dist/docker/linux-amd64/wikistream
#   docker build --platform linux/amd64 -t wikistream .
#   docker run --restart on-failure:5 -e REDIS_URL=redis://:pass@redis:6379 wikistream
#
# Docker cannot leave exits 1 (a fault retrying cannot fix, such as an HTTP 403) and 2 (a bad
# setting) out of a restart policy as the systemd unit does: on-failure:5 restarts a crash, and
# tries those at most 5 times, at a delay that doubles from 100 ms, rather than for ever.
#
# The release workflow (.github/workflows/release.yml) builds it for linux/amd64 and
# linux/arm64 from the binaries it has just built and tested, and pushes it to ghcr.io.
FROM gcr.io/distroless/cc-debian12:nonroot

# Set by `docker buildx build --platform …`: amd64 or arm64. The release workflow stages each
# tested binary as dist/docker/linux-<arch>/wikistream.
ARG TARGETARCH
COPY --chmod=0755 dist/docker/linux-${TARGETARCH}/wikistream /usr/local/bin/wikistream

# Metrics, health and the live page; the health check below asks /healthz.
ENV WIKISTREAM_LISTEN=0.0.0.0:9464 \
    WIKISTREAM_LOG_FORMAT=json
EXPOSE 9464
USER nonroot:nonroot
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/usr/local/bin/wikistream", "healthcheck"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/wikistream"]
