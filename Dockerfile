# gatecheck in a container: the release binary and the scenarios, run as a non-root user.
#   docker build -t gatecheck:0.1.0 .
#   docker run --rm gatecheck:0.1.0 load --scenario /scenarios/gate/catalog.toml --run-time 10s
# Kubernetes: deploy/kubernetes/ (an Indexed Job of N workers, then one merge).

FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY schemas schemas
COPY scenarios scenarios
COPY benches benches
RUN cargo build --release --locked --bin gatecheck \
 && strip target/release/gatecheck

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /work --create-home gatecheck
COPY --from=build /src/target/release/gatecheck /usr/local/bin/gatecheck
COPY --from=build /src/scenarios /scenarios
USER 10001:10001
WORKDIR /work
ENTRYPOINT ["gatecheck"]
CMD ["--help"]
