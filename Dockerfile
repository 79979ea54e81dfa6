# The released `ntk` command in a small image, for sharded runs on a cluster (docs/cluster.md).
#
#   docker build -t ntk:0.1.0 .
#   docker run --rm ntk:0.1.0 ensemble --help
#
# Stage 1 builds the command from this repository at its locked dependency versions; stage 2
# is a slim Debian with the binary, the example data sets and a shell for the recipes.

ARG RUST_VERSION=1.95
FROM rust:${RUST_VERSION}-slim-bookworm AS build
WORKDIR /src
COPY . .
# The repository's .cargo/config.toml compiles for the build machine's own CPU
# (target-cpu=native), which the cluster's nodes may lack; RUSTFLAGS replaces that setting.
# x86-64-v2 (SSE4.2, POPCNT) runs on any x86-64 server of the last decade; pass
# --build-arg TARGET_CPU=x86-64-v3 for AVX2 nodes (about 2x faster training). The compiled
# arithmetic is the same for every target CPU (Rust never fuses multiply-adds on its own); see
# docs/cluster.md for what may still differ between node types.
ARG TARGET_CPU=x86-64-v2
ENV RUSTFLAGS="-C target-cpu=${TARGET_CPU}"
RUN cargo build --release --locked -p ntk-cli \
    && install -m 0755 target/release/ntk /usr/local/bin/ntk

FROM debian:bookworm-slim
COPY --from=build /usr/local/bin/ntk /usr/local/bin/ntk
COPY crates/ntk-cli/examples/ /usr/share/ntk/examples/
RUN useradd --uid 10001 --create-home --shell /bin/sh ntk
USER 10001
WORKDIR /home/ntk
ENTRYPOINT ["ntk"]
CMD ["--help"]
