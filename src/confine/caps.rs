//! Capabilities: names, presets and the five sets applied just before exec.
