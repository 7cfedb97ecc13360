//! `features`: what this runtime supports, as the JSON of the runtime spec's features document
//! (features.md), with the [`crate::oci::REFUSED`] table as annotations
//! (`org.nsrun.refused.PATH`: why).

use alloc::string::String;

use super::Failed;

/// Runs `features`.
pub fn run() -> Result<(), Failed> {
    let mut out = String::from(
        "{\n  \"ociVersionMin\": \"1.0.0\",\n  \"ociVersionMax\": \"1.2.0\",\n  \"hooks\": [\"prestart\", \"createRuntime\", \"createContainer\", \
         \"startContainer\", \"poststart\", \"poststop\"],\n  \
         \"mountOptions\": [\"ro\", \"rw\", \"bind\", \"rbind\", \"nosuid\", \"nodev\", \
         \"noexec\", \"private\", \"rprivate\", \"slave\", \"rslave\", \"shared\", \"rshared\"],\n  \
         \"linux\": {\n    \"namespaces\": [",
    );
    for (i, name) in crate::oci::NAMESPACES.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        crate::json::string(&mut out, name.as_bytes());
    }
    out.push_str(
        "],\n    \"cgroup\": {\"v1\": true, \"v2\": true, \"systemd\": false, \"systemdUser\": \
         false},\n    \"seccomp\": {\"enabled\": true},\n    \"apparmor\": {\"enabled\": \
         false},\n    \"selinux\": {\"enabled\": false}\n  },\n  \"annotations\": {\n    \
         \"org.nsrun.version\": \"",
    );
    out.push_str(env!("CARGO_PKG_VERSION"));
    out.push('"');
    for r in crate::oci::REFUSED {
        out.push_str(",\n    ");
        let mut key = String::from("org.nsrun.refused.");
        key.push_str(r.path);
        crate::json::string(&mut out, key.as_bytes());
        out.push_str(": ");
        crate::json::string(&mut out, r.why.as_bytes());
    }
    out.push_str("\n  }\n}\n");
    crate::out::stdout_str(&out);
    Ok(())
}
