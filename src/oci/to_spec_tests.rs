//! Tests of [`super::to_spec`] on the fixtures of tests/oci.
