//! Cgroups: one cgroup per container, with its limits, on cgroup v2 or v1.
