# pz-apply for GitLab CI and other systems that run jobs in containers: a static (musl) pz-apply and
# pz-emulator on Alpine, with sh, curl and jq for the pipeline scripts (docs/ci.md). About 25 MB.
#   docker build -t pz-apply .
#   docker run --rm -v "$PWD:/work" -w /work pz-apply pz-apply validate
# No ENTRYPOINT: GitLab runs job scripts through the image's shell.
FROM rust:1.95-alpine AS build
RUN apk add --no-cache musl-dev cmake make perl clang
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin pz-apply --bin pz-emulator

FROM alpine:3.22
RUN apk add --no-cache ca-certificates curl jq \
    && adduser -D -u 10001 pz-apply
COPY --from=build /src/target/release/pz-apply /src/target/release/pz-emulator /usr/local/bin/
USER pz-apply
CMD ["pz-apply", "--help"]
