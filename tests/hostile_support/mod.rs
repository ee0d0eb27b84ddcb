//! Running the binary the way a hostile pull request would meet it: under an address-space
//! limit (so a memory blow-up is an abort, not a swapped machine) and a timeout (so a read that
//! blocks is a failure, not a hung test).

#![allow(dead_code)]

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What a limited run gave.
pub struct Run {
    /// `None` when killed by a signal or by the timeout.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub timed_out: bool,
}

impl Run {
    /// Everything the run printed.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// Runs iamlint in `dir` with `args`, its address space capped at `mem_mib` MiB (`ulimit -v`),
/// killed after `timeout`.
pub fn run_limited(dir: &Path, args: &[&str], mem_mib: u64, timeout: Duration) -> Run {
    let script = "ulimit -v \"$1\" || exit 99; shift; exec \"$@\"";
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg("sh")
        .arg((mem_mib * 1024).to_string())
        .arg(env!("CARGO_BIN_EXE_iamlint"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("RAYON_NUM_THREADS", "2")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn sh");
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let t_out = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        s
    });
    let t_err = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err.read_to_end(&mut s);
        s
    });
    let start = Instant::now();
    let mut timed_out = false;
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break Some(s);
        }
        if start.elapsed() > timeout {
            timed_out = true;
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = String::from_utf8_lossy(&t_out.join().unwrap_or_default()).into_owned();
    let stderr = String::from_utf8_lossy(&t_err.join().unwrap_or_default()).into_owned();
    Run {
        code: status.and_then(|s| s.code()),
        stdout,
        stderr,
        timed_out,
    }
}

/// Writes `text` to `dir/name`, creating directories.
pub fn write(dir: &Path, name: &str, text: &[u8]) {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(p, text).expect("write");
}

/// A temporary repository: a directory with `.git`, so that it is the scan root.
pub fn repo() -> tempfile::TempDir {
    let d = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(d.path().join(".git")).expect("mkdir .git");
    d
}
