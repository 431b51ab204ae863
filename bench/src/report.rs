//! The report: machine, command, the results table with ratios to the floor and PASS/FAIL per
//! target, and the resource figures (memory, start-up time, binary size), as markdown.

use std::fmt::Write;
use std::time::Duration;

use crate::scenarios::{Measured, Target};

/// 12345.6 → "12,346".
pub fn thousands(n: f64) -> String {
    let s = format!("{:.0}", n.round());
    let (sign, digits) = s.strip_prefix('-').map(|d| ("-", d)).unwrap_or(("", &s));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}")
}

/// Where and when the run happened.
pub struct Machine {
    pub nproc: usize,
    pub cpu: String,
    pub ram: String,
    pub kernel: String,
    pub date: String,
    pub git: String,
}

impl Machine {
    /// `given_binary`: the appliance was not built from this workspace, so its commit is not
    /// the binary's.
    pub fn detect(workspace: &std::path::Path, given_binary: bool) -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_else(|| "unknown".into());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let ram = meminfo
            .lines()
            .find(|l| l.starts_with("MemTotal:"))
            .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
            .map(|kib| format!("{:.1} GiB", kib / 1024.0 / 1024.0))
            .unwrap_or_else(|| "unknown".into());
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim().to_string();
        let git = |args: &[&str]| {
            std::process::Command::new("git")
                .current_dir(workspace)
                .args(args)
                .output()
                .ok()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
                .unwrap_or_default()
        };
        let mut rev = git(&["rev-parse", "--short", "HEAD"]);
        if !git(&["status", "--porcelain", "--", "src", "Cargo.toml", "Cargo.lock", "migrations", "schema.sql"])
            .is_empty()
        {
            rev.push_str(" + uncommitted changes in src/");
        }
        if given_binary {
            rev = format!("workspace at {rev} (the appliance binary was given with --binary, see notes)");
        }
        Machine {
            nproc: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
            cpu,
            ram,
            kernel,
            date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
            git: rev,
        }
    }
}

/// Memory, start-up and size of the appliance.
pub struct Resources {
    pub rss_idle_kib: u64,
    pub rss_peak_kib: u64,
    pub floor_peak_kib: u64,
    pub ready: Vec<Duration>,
    pub binary_bytes: u64,
    pub binary_path: String,
}

pub struct Report {
    pub machine: Machine,
    pub command: String,
    pub profile: String,
    pub settings: String,
    pub rows: Vec<Measured>,
    pub resources: Resources,
    pub notes: Vec<String>,
}

fn verdict(ok: bool) -> &'static str {
    if ok { "PASS" } else { "FAIL" }
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

impl Report {
    fn ratio(m: &Measured) -> Option<f64> {
        m.floor.as_ref().map(|f| m.appliance.rps() / f.rps().max(1e-9))
    }

    /// PASS/FAIL of a row (errors make it FAIL), or None without a target.
    fn judge(&self, m: &Measured) -> Option<bool> {
        let rps = m.appliance.rps();
        let met = match m.target {
            Target::FloorRatio(r) => Self::ratio(m)? >= r,
            Target::Rps(n) => rps >= n,
            Target::OfScenario(key, f) => rps >= self.rows.iter().find(|o| o.key == key)?.appliance.rps() * f,
            Target::None => return None,
        };
        Some(met && m.appliance.errors() == 0)
    }

    /// The results table (markdown).
    pub fn table(&self) -> String {
        let mut s = String::new();
        s.push_str(
            "| scenario | appliance req/s | p50 ms | p99 ms | errors | floor req/s | ratio | target | result |\n",
        );
        s.push_str("|---|---:|---:|---:|---:|---:|---:|---|---|\n");
        for m in &self.rows {
            let a = &m.appliance;
            let (floor, ratio) = match (&m.floor, Self::ratio(m)) {
                (Some(f), Some(r)) => (thousands(f.rps()), format!("{r:.2}×")),
                _ => ("—".into(), "—".into()),
            };
            let result = self.judge(m).map(verdict).unwrap_or("(report)");
            let (p50, p99) = match a.completed {
                0 => ("—".into(), "—".into()),
                _ => (format!("{:.2}", a.p50_ms()), format!("{:.2}", a.p99_ms())),
            };
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                m.label,
                thousands(a.rps()),
                p50,
                p99,
                a.errors_text(),
                floor,
                ratio,
                m.target.text(),
                result
            );
        }
        let r = &self.resources;
        let best = r.ready.iter().min().copied().unwrap_or_default();
        let all: Vec<String> = r.ready.iter().map(|d| format!("{:.0}", d.as_secs_f64() * 1000.0)).collect();
        let rows = [
            ("RSS idle (after start, before seeding)", mib(r.rss_idle_kib), "< 30 MiB", r.rss_idle_kib < 30 * 1024),
            ("RSS peak (VmHWM at the end)", mib(r.rss_peak_kib), "< 100 MiB", r.rss_peak_kib < 100 * 1024),
            (
                "spawn → first /readyz 200 (best of 5, empty data dir)",
                format!("{:.1} ms (all: {} ms)", best.as_secs_f64() * 1000.0, all.join(", ")),
                "< 100 ms",
                best < Duration::from_millis(100),
            ),
            (
                "binary size",
                format!("{:.1} MiB", r.binary_bytes as f64 / 1024.0 / 1024.0),
                "< 25 MiB",
                r.binary_bytes < 25 * 1024 * 1024,
            ),
        ];
        s.push_str("\n| measure | appliance | target | result |\n|---|---:|---|---|\n");
        for (what, value, target, ok) in rows {
            let _ = writeln!(s, "| {what} | {value} | {target} | {} |", verdict(ok));
        }
        s
    }

    /// Floor latencies, for reading the ratios.
    fn floor_table(&self) -> String {
        let mut s = String::from("| scenario | floor req/s | floor p50 ms | floor p99 ms | floor errors |\n");
        s.push_str("|---|---:|---:|---:|---:|\n");
        for m in &self.rows {
            if let Some(f) = &m.floor {
                let _ = writeln!(
                    s,
                    "| {} | {} | {:.2} | {:.2} | {} |",
                    m.label,
                    thousands(f.rps()),
                    f.p50_ms(),
                    f.p99_ms(),
                    f.errors_text()
                );
            }
        }
        s
    }

    pub fn markdown(&self) -> String {
        let m = &self.machine;
        let r = &self.resources;
        let mut s = String::new();
        let _ = writeln!(s, "# admin-appliance benchmark — {}\n", m.date);
        let _ = writeln!(s, "- machine: {} cores ({}), {} RAM, Linux {}", m.nproc, m.cpu, m.ram, m.kernel);
        let _ = writeln!(s, "- commit: {}", m.git);
        let _ = writeln!(s, "- command: `{}`", self.command);
        let _ = writeln!(s, "- appliance build profile: `{}` ({})", self.profile, r.binary_path);
        let _ = writeln!(s, "- {}", self.settings);
        let _ = writeln!(s, "- floor peak RSS {} (for comparison)\n", mib(r.floor_peak_kib));
        s.push_str(&self.table());
        s.push_str("\nA row FAILs when its target is missed or the appliance answered any error. ");
        s.push_str("Ratios compare runs of the same moment only (floor and appliance alternate).\n\n");
        s.push_str("Floor details:\n\n");
        s.push_str(&self.floor_table());
        if !self.notes.is_empty() {
            s.push_str("\nNotes:\n\n");
            for n in &self.notes {
                let _ = writeln!(s, "- {n}");
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands_groups_digits() {
        assert_eq!(super::thousands(0.4), "0");
        assert_eq!(super::thousands(999.0), "999");
        assert_eq!(super::thousands(1234.0), "1,234");
        assert_eq!(super::thousands(1234567.0), "1,234,567");
    }
}
