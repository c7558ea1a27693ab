# syntax=docker/dockerfile:1

# One Dockerfile, three images. Pick the binary with --target:
#   docker build --target api     -t bank-api .
#   docker build --target worker  -t bank-worker .
#   docker build --target bankctl -t bank-bankctl .   (migrations and operator tasks)
# Without --target the last stage (api) is built.

ARG GO_VERSION=1.26.8
ARG NODE_VERSION=20

###############
# The web app #
###############
# Built once on the build platform: its output is the same for every target.
FROM --platform=$BUILDPLATFORM node:${NODE_VERSION}-bookworm AS build-web
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund
COPY web/ ./
# The API's contract sits where the app's sources may read it from (../api/openapi.yaml).
COPY api/openapi.yaml /src/api/openapi.yaml
RUN npm run build

############################
# Shared build environment #
############################
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-bookworm AS build-base
WORKDIR /src
# Put the module and build caches where the cache mounts below point (the golang
# image's defaults are /go/pkg/mod and /root/.cache/go-build), never fetch a
# different toolchain, and build fully static binaries.
ENV GOMODCACHE=/root/go/pkg/mod \
    GOCACHE=/root/.cache/go-build \
    GOTOOLCHAIN=local \
    CGO_ENABLED=0
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/root/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go mod download
COPY . .

# The build stages cross-compile for the requested platform (buildx --platform). The API embeds
# the web app's build and serves it at /.
FROM build-base AS build-api
ARG TARGETOS TARGETARCH
COPY --from=build-web /src/web/dist ./internal/webapp/dist
RUN --mount=type=cache,target=/root/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -tags webembed -trimpath -ldflags="-s -w" -o /out/api ./cmd/api

FROM build-base AS build-worker
ARG TARGETOS TARGETARCH
RUN --mount=type=cache,target=/root/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags="-s -w" -o /out/worker ./worker

FROM build-base AS build-bankctl
ARG TARGETOS TARGETARCH
RUN --mount=type=cache,target=/root/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags="-s -w" -o /out/bankctl ./cmd/bankctl

###########
# bankctl #
###########
FROM gcr.io/distroless/static-debian12:nonroot AS bankctl
COPY --from=build-bankctl /out/bankctl /bankctl
USER nonroot:nonroot
ENTRYPOINT ["/bankctl"]

##########
# Worker #
##########
FROM gcr.io/distroless/static-debian12:nonroot AS worker
COPY --from=build-worker /out/worker /worker
USER nonroot:nonroot
ENTRYPOINT ["/worker"]

#######
# API #
#######
FROM gcr.io/distroless/static-debian12:nonroot AS api
COPY --from=build-api /out/api /api
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/api"]
