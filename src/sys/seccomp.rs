//! Installing a seccomp filter (seccomp(2), else prctl(PR_SET_SECCOMP)).
