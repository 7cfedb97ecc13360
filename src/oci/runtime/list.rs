//! `list [--format json] [--quiet]`: the containers of the state directory, as runc lists
//! them (nsrun's named runs too, with no bundle).

use alloc::string::String;
use alloc::vec::Vec;

use super::Failed;
use crate::state::Store;

/// Runs `list`.
pub fn run(store: &Store, json: bool, quiet: bool) -> Result<(), Failed> {
    let (entries, bad) = store.list().map_err(|e| e.line)?;
    for e in bad {
        crate::out::error_str(&crate::out::cat(&["warning: ", &e.line]));
    }
    let mut out = String::new();
    if quiet {
        for e in &entries {
            crate::out::push_shown(&mut out, &e.name);
            out.push('\n');
        }
    } else if json {
        out.push('[');
        for (i, e) in entries.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            super::state_json(&mut out, e, "")?;
        }
        out.push_str("]\n");
        out.retain(|c| c != '\n');
        out.push('\n');
    } else {
        let mut rows: Vec<[String; 6]> =
            alloc::vec![["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"].map(String::from)];
        for e in &entries {
            let status = super::status(e)?;
            let mut created = String::new();
            crate::json::rfc3339(&mut created, e.created);
            let mut pid = String::new();
            crate::out::push_i32(&mut pid, if status == "stopped" { 0 } else { e.pid });
            rows.push([
                crate::out::shown(&e.name),
                pid,
                String::from(status),
                crate::out::shown(e.bundle.as_deref().unwrap_or_default()),
                created,
                String::from("root"),
            ]);
        }
        let mut widths = [0usize; 6];
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        for row in &rows {
            for (i, cell) in row.iter().enumerate() {
                out.push_str(cell);
                if i + 1 < row.len() {
                    let pad = widths[i] - cell.chars().count() + 4;
                    out.extend(core::iter::repeat_n(' ', pad));
                }
            }
            out.push('\n');
        }
    }
    crate::out::stdout_str(&out);
    Ok(())
}
