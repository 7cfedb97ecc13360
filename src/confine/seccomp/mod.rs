//! Seccomp: filters described by syscall name and compiled to classic BPF by nsrun itself.
