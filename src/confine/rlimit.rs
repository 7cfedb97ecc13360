//! Resource limits (`--rlimit NAME=SOFT[:HARD]`), applied just before exec.
