"""Container registries: the digests image tags point at, through the OCI distribution API
(`DigestSource`), with Docker's anonymous token flow and the credentials of the Docker
config."""
