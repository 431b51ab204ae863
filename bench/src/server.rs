//! Server processes: building the appliance, starting it (or the floor) on a data dir and a
//! free port, waiting for `/readyz`, reading its memory, stopping it.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub type Error = Box<dyn std::error::Error>;

/// Builds the appliance with `cargo build --profile <profile> --locked -p admin-appliance` and
/// returns the binary's path.
pub fn build_appliance(workspace: &Path, profile: &str) -> Result<PathBuf, Error> {
    println!("==> cargo build --profile {profile} --locked -p admin-appliance");
    let started = Instant::now();
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(workspace)
        .args(["build", "--profile", profile, "--locked", "-p", "admin-appliance"])
        .status()?;
    if !status.success() {
        return Err(format!("cargo build failed: {status}").into());
    }
    println!("    built in {:.0} s", started.elapsed().as_secs_f64());
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(workspace)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .output()?;
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let target = meta["target_directory"].as_str().ok_or("cargo metadata: no target_directory")?;
    let dir = match profile {
        "dev" | "test" => "debug",
        "bench" => "release",
        p => p,
    };
    Ok(Path::new(target).join(dir).join("admin-appliance"))
}

/// A free loopback port (bound, then released).
pub fn free_addr() -> Result<SocketAddr, Error> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?)
}

/// A running server process.
pub struct Server {
    pub name: &'static str,
    pub addr: SocketAddr,
    child: Child,
}

/// How to start the appliance: binary, data dir, synchronous mode, bootstrap token.
pub struct ApplianceSpec<'a> {
    pub binary: &'a Path,
    pub data_dir: &'a Path,
    pub synchronous: &'a str,
    pub bootstrap_token: &'a str,
    pub log_level: &'a str,
    pub log_file: Option<&'a Path>,
}

impl ApplianceSpec<'_> {
    pub fn command(&self, addr: SocketAddr) -> Command {
        let mut cmd = Command::new(self.binary);
        cmd.arg("serve")
            .arg("--data-dir")
            .arg(self.data_dir)
            .arg("--listen")
            .arg(addr.to_string())
            .env("ADMIN_APPLIANCE_RATE_LIMIT__ENABLED", "false")
            .env("ADMIN_APPLIANCE_STORAGE__SYNCHRONOUS", self.synchronous)
            .env("ADMIN_APPLIANCE_SERVER__PUBLIC_URL", format!("http://{addr}"))
            .env("ADMIN_APPLIANCE_LLM__HEALTH_CHECK_INTERVAL_SECONDS", "0")
            .env("ADMIN_APPLIANCE_LOG__LEVEL", self.log_level)
            .env("ADMIN_APPLIANCE_BOOTSTRAP_TOKEN", self.bootstrap_token)
            .env("ADMIN_APPLIANCE_ADMIN_PASSWORD", "bench-operator-password")
            .stdin(Stdio::null());
        match self.log_file.and_then(|p| std::fs::OpenOptions::new().create(true).append(true).open(p).ok()) {
            Some(f) => {
                let f2 = f.try_clone().expect("clone log file");
                cmd.stdout(f).stderr(f2);
            }
            None => {
                cmd.stdout(Stdio::null()).stderr(Stdio::null());
            }
        }
        cmd
    }
}

impl Server {
    /// Spawns `cmd` (which must listen on `addr`) and waits until `/readyz` answers 200.
    /// Returns the server and the time from spawn to the first 200.
    pub fn start(name: &'static str, mut cmd: Command, addr: SocketAddr) -> Result<(Server, Duration), Error> {
        let started = Instant::now();
        let child = cmd.spawn()?;
        let mut server = Server { name, addr, child };
        let ready = server.wait_ready(started, Duration::from_secs(60))?;
        Ok((server, ready))
    }

    fn wait_ready(&mut self, started: Instant, timeout: Duration) -> Result<Duration, Error> {
        loop {
            if readyz(self.addr) {
                return Ok(started.elapsed());
            }
            if let Some(status) = self.child.try_wait()? {
                return Err(format!("{} exited before it was ready: {status}", self.name).into());
            }
            if started.elapsed() > timeout {
                return Err(format!("{} not ready after {timeout:?}", self.name).into());
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// VmRSS and VmHWM in KiB, from /proc/<pid>/status.
    pub fn memory_kib(&self) -> Result<(u64, u64), Error> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))?;
        let field = |name: &str| -> Option<u64> {
            status.lines().find(|l| l.starts_with(name))?.split_whitespace().nth(1)?.parse().ok()
        };
        Ok((field("VmRSS:").ok_or("no VmRSS")?, field("VmHWM:").ok_or("no VmHWM")?))
    }

    /// SIGTERM, then SIGKILL after 15 s.
    pub fn stop(mut self) -> Result<(), Error> {
        let _ = Command::new("kill").arg("-TERM").arg(self.pid().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if self.child.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// One `GET /readyz` on a fresh connection; true on 200.
fn readyz(addr: SocketAddr) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").is_err() {
        return false;
    }
    let mut buf = [0u8; 12];
    s.read_exact(&mut buf).is_ok() && buf.starts_with(b"HTTP/1.1 200")
}
