# Images of the Swarm ingress gateway and of the hostname echo service.
#
# Two ways to build, one final shape (same user, ports, health check, entrypoint):
#
#   From source, with a registry (BuildKit; only the stages a target needs are built):
#     docker build --target gateway  -t ingress-gateway  .
#     docker build --target hostname -t ingress-hostname .
#
#   From output published on the host, on a local base image, without any registry
#   (scripts/build-images.sh does this; the base comes from scripts/base-image.sh):
#     dotnet publish src/Ingress.Gateway  -c Release -r linux-x64 --self-contained -o artifacts/publish/gateway
#     dotnet publish src/Ingress.Hostname -c Release -r linux-x64 -o artifacts/publish/hostname
#     DOCKER_BUILDKIT=1 docker build --target gateway-prebuilt  -t ingress-gateway:local  .
#     DOCKER_BUILDKIT=1 docker build --target hostname-prebuilt -t ingress-hostname:local .
#
# No "# syntax=" line on purpose: it would make BuildKit pull a frontend image, and the
# prebuilt path must work with no registry at all. Use only what the built-in frontend knows.
#
# Health checks: neither image has curl or wget, so they speak HTTP/1.0 over bash's /dev/tcp.
# The gateway's runs against the admin port (Ingress__AdminPort, 8080 by default).

ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0
ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/runtime-deps:10.0
ARG BASE_IMAGE=ingress-base:bookworm

# ---------------------------------------------------------------- from source: build stages (registry)

FROM ${SDK_IMAGE} AS sdk
# Native AOT (the gateway and the hostname service) links with clang. An "-aot" SDK tag already has these.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends clang lld zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*
ARG TARGETARCH
RUN case "${TARGETARCH:-amd64}" in \
      amd64) echo linux-x64 ;; \
      arm64) echo linux-arm64 ;; \
      *) echo "unsupported TARGETARCH ${TARGETARCH}" >&2; exit 1 ;; \
    esac >/rid
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

FROM sdk AS source
WORKDIR /src
# Restore from the project files alone, so that a source edit keeps the restore layer.
COPY global.json Directory.* ./
COPY src/Ingress.Gateway/Ingress.Gateway.csproj src/Ingress.Gateway/
COPY src/Ingress.Hostname/Ingress.Hostname.csproj src/Ingress.Hostname/
RUN dotnet restore src/Ingress.Gateway -r "$(cat /rid)" -p:SelfContained=true \
 && dotnet restore src/Ingress.Hostname -r "$(cat /rid)"
COPY src/ src/

FROM source AS gateway-build
# Native AOT, as the hostname service; the .dbg file (symbols) is left out of the image for the same reason.
RUN dotnet publish src/Ingress.Gateway -c Release -r "$(cat /rid)" --self-contained --no-restore -o /out \
 && rm -f /out/*.dbg

FROM source AS hostname-build
# The .dbg file is the stripped symbols of the native executable: tens of MB nobody needs at run time.
RUN dotnet publish src/Ingress.Hostname -c Release -r "$(cat /rid)" --no-restore -o /out \
 && rm -f /out/*.dbg

# ---------------------------------------------------------------- prebuilt (no registry)
# Keep these two stages in step with the two at the end: only the base and the COPY differ.

FROM ${BASE_IMAGE} AS gateway-prebuilt
# Relative to the build context (the repo root); .dockerignore lets artifacts/publish/ through.
ARG GATEWAY_DIR=artifacts/publish/gateway
COPY ${GATEWAY_DIR}/ /app/
WORKDIR /app
ENV ASPNETCORE_HTTP_PORTS=
# ACME's storage (Ingress:Acme:StoragePath) belongs to the gateway's user, so a named volume mounted there does too.
RUN mkdir -p /var/lib/ingress/acme && chown -R "$APP_UID:$APP_UID" /var/lib/ingress && chmod 0700 /var/lib/ingress/acme
USER $APP_UID
EXPOSE 8888 8080
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=5s --timeout=3s --start-period=20s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${Ingress__AdminPort:-8080} && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && head -1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["/app/Ingress.Gateway"]

FROM ${BASE_IMAGE} AS hostname-prebuilt
ARG HOSTNAME_DIR=artifacts/publish/hostname
COPY ${HOSTNAME_DIR}/ /app/
WORKDIR /app
ENV ASPNETCORE_HTTP_PORTS=
USER $APP_UID
EXPOSE 8888
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 \
  CMD ["bash", "-c", "p=${ASPNETCORE_HTTP_PORTS%%;*}; exec 3<>/dev/tcp/127.0.0.1/${p:-8888} && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && head -1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["/app/Ingress.Hostname"]

# ---------------------------------------------------------------- from source: final images
# Last on purpose: a plain "docker build ." gives the gateway.

FROM ${RUNTIME_IMAGE} AS hostname
COPY --from=hostname-build /out/ /app/
WORKDIR /app
ENV ASPNETCORE_HTTP_PORTS=
USER $APP_UID
EXPOSE 8888
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 \
  CMD ["bash", "-c", "p=${ASPNETCORE_HTTP_PORTS%%;*}; exec 3<>/dev/tcp/127.0.0.1/${p:-8888} && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && head -1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["/app/Ingress.Hostname"]

FROM ${RUNTIME_IMAGE} AS gateway
COPY --from=gateway-build /out/ /app/
WORKDIR /app
# runtime-deps sets ASPNETCORE_HTTP_PORTS=8080; the gateway chooses its own listeners.
ENV ASPNETCORE_HTTP_PORTS=
# Non-root by default (uid 1654, "app", as in runtime-deps). A gateway that reads the Docker
# socket needs root or the socket's group: stack.yml runs it as root, and explains why.
# ACME's storage (Ingress:Acme:StoragePath) belongs to the gateway's user, so a named volume mounted there does too.
RUN mkdir -p /var/lib/ingress/acme && chown -R "$APP_UID:$APP_UID" /var/lib/ingress && chmod 0700 /var/lib/ingress/acme
USER $APP_UID
EXPOSE 8888 8080
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=5s --timeout=3s --start-period=20s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${Ingress__AdminPort:-8080} && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && head -1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["/app/Ingress.Gateway"]
