//! A throw-away Dovecot IMAP server on loopback, for the mail tests and the mail benchmark: a
//! config, a user, a Maildir and a TLS certificate (signed by a test CA, given to Coffre with
//! `--ca-file`) in a temporary folder; stopped when dropped. Messages are delivered by writing
//! them into the Maildir, as a local delivery agent does.
//!
//! Needs Debian's `dovecot-imapd` and the `openssl` program (`cargo xtask setup` installs
//! both). Runs as root (mail processes as `nobody`, as Debian's `dovecot` user for the rest) or
//! as an ordinary user (everything as that user).

#![allow(dead_code)] // Each user of this file uses its own subset.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A folder whose name is not ASCII, and its name on disk and on the wire (modified UTF-7).
pub const ACCENTED: (&str, &str) = ("Factures reçues", "Factures re&AOc-ues");

/// A running test server.
pub struct Dovecot {
    dir: tempfile::TempDir,
    conf: PathBuf,
    /// Port of plain IMAP (also STARTTLS).
    pub port: u16,
    /// Port of IMAP over TLS.
    pub tls_port: u16,
    /// The user's name.
    pub user: &'static str,
    /// The user's password.
    pub password: &'static str,
    delivered: std::cell::Cell<u64>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Whether this machine has Dovecot (the tests say so and fail when it has not).
pub fn installed() -> bool {
    Path::new("/usr/sbin/dovecot").exists()
}

impl Dovecot {
    /// Starts a server with one user and an empty INBOX (and empty `Archive` and
    /// [`ACCENTED`] folders).
    pub fn start() -> Dovecot {
        assert!(
            installed(),
            "Dovecot is not installed: `cargo xtask setup` installs dovecot-imapd"
        );
        let dir = tempfile::Builder::new()
            .prefix("dovecot")
            .tempdir()
            .unwrap();
        let d = dir.path();
        let chmod = |p: &Path, mode: u32| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
        };
        chmod(d, 0o755);
        certificates(d);
        let user = "compta";
        let password = "mot-de-passe-de-test";
        std::fs::write(d.join("passwd"), format!("{user}:{{PLAIN}}{password}\n")).unwrap();
        for sub in ["run", "state", "home"] {
            std::fs::create_dir_all(d.join(sub)).unwrap();
        }
        // The mail processes (not root) write the Maildir.
        let mail = d.join("mail").join(user);
        let accented = mail.join(format!(".{}", ACCENTED.1));
        for folder in [mail.clone(), mail.join(".Archive"), accented] {
            for sub in ["cur", "new", "tmp"] {
                std::fs::create_dir_all(folder.join(sub)).unwrap();
            }
        }
        for entry in walk(&d.join("mail")).into_iter().chain([d.join("home")]) {
            chmod(&entry, 0o777);
        }
        let root = user_id() == 0;
        let (mail_user, internal) = if root {
            ("uid=nobody gid=nogroup".to_owned(), String::new())
        } else {
            let name = std::env::var("USER").unwrap_or_else(|_| "nobody".into());
            (
                format!("uid={} gid={}", user_id(), group_id()),
                format!("default_internal_user = {name}\ndefault_login_user = {name}\n"),
            )
        };
        let port = free_port();
        let tls_port = free_port();
        let dh = if Path::new("/usr/share/dovecot/dh.pem").exists() {
            "ssl_dh = </usr/share/dovecot/dh.pem\n"
        } else {
            ""
        };
        let conf = d.join("dovecot.conf");
        let p = d.display();
        std::fs::write(
            &conf,
            format!(
                "protocols = imap
listen = 127.0.0.1
base_dir = {p}/run
state_dir = {p}/state
log_path = {p}/dovecot.log
ssl = yes
ssl_cert = <{p}/server.pem
ssl_key = <{p}/server.key
{dh}ssl_min_protocol = TLSv1.2
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:{p}/mail/%u
{internal}passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {p}/passwd
}}
userdb {{
  driver = static
  args = {mail_user} home={p}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
"
            ),
        )
        .unwrap();
        // The daemon keeps what it inherits open: no pipes, or waiting for them never ends.
        let status = Command::new("/usr/sbin/dovecot")
            .arg("-c")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "dovecot -c {}: {status}", conf.display());
        let server = Dovecot {
            dir,
            conf,
            port,
            tls_port,
            user,
            password,
            delivered: std::cell::Cell::new(0),
        };
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err()
            || TcpStream::connect(("127.0.0.1", tls_port)).is_err()
        {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "Dovecot did not start: {}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    /// The server's log.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }

    /// The test CA's certificate (PEM), for `--ca-file`.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// A file holding `password` (for `--password-file`).
    pub fn password_file(&self, password: &str) -> PathBuf {
        let path = self.dir.path().join(format!("pw-{}", password.len()));
        std::fs::write(&path, format!("{password}\n")).unwrap();
        path
    }

    /// The Maildir folder of `folder` (`INBOX`, `Archive`).
    pub fn folder_path(&self, folder: &str) -> PathBuf {
        let mail = self.dir.path().join("mail").join(self.user);
        match folder {
            "INBOX" => mail,
            f if f == ACCENTED.0 => mail.join(format!(".{}", ACCENTED.1)),
            f => mail.join(format!(".{f}")),
        }
    }

    /// Delivers a message into `folder` (`INBOX`, `Archive`).
    pub fn deliver(&self, folder: &str, bytes: &[u8]) {
        let n = self.delivered.get();
        self.delivered.set(n + 1);
        let dir = self.folder_path(folder);
        let name = format!(
            "{}.M{n}P{}.coffre-test",
            1_700_000_000 + n,
            std::process::id()
        );
        let tmp = dir.join("tmp").join(&name);
        std::fs::write(&tmp, bytes).unwrap();
        std::fs::rename(&tmp, dir.join("new").join(&name)).unwrap();
    }

    /// Messages in `folder` now.
    pub fn count(&self, folder: &str) -> usize {
        let dir = self.folder_path(folder);
        ["cur", "new"]
            .iter()
            .map(|s| std::fs::read_dir(dir.join(s)).map_or(0, |d| d.count()))
            .sum()
    }

    /// Messages in `folder` marked as read (Maildir flag `S`).
    pub fn seen(&self, folder: &str) -> usize {
        std::fs::read_dir(self.folder_path(folder).join("cur")).map_or(0, |d| {
            d.filter_map(|e| e.ok())
                .filter(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    name.rsplit_once(":2,")
                        .is_some_and(|(_, f)| f.contains('S'))
                })
                .count()
        })
    }

    /// Makes the folder's UIDs start over under a new UIDVALIDITY, as a server rebuilt from its
    /// messages does: its UID list and index are removed (the server must not be mid-session).
    pub fn reset_uids(&self, folder: &str) {
        let dir = self.folder_path(folder);
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with("dovecot") {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        // UIDVALIDITY is a time in seconds: make sure the new one differs.
        std::thread::sleep(Duration::from_millis(1100));
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let _ = Command::new("/usr/sbin/dovecot")
            .arg("-c")
            .arg(&self.conf)
            .arg("stop")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![dir.to_path_buf()];
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.path().is_dir() {
                out.extend(walk(&e.path()));
            }
        }
    }
    out
}

fn id_of(flag: &str) -> u32 {
    let out = Command::new("id").arg(flag).output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

fn user_id() -> u32 {
    id_of("-u")
}

fn group_id() -> u32 {
    id_of("-g")
}

/// A test CA and a certificate for `localhost` and 127.0.0.1 signed by it.
fn certificates(d: &Path) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    run(Command::new("openssl")
        .current_dir(d)
        .args(["req", "-x509"])
        .args(ec)
        .args(["-keyout", "ca.key", "-out", "ca.pem", "-days", "2"])
        .args(["-subj", "/CN=Coffre test CA"])
        .args(["-addext", "basicConstraints=critical,CA:TRUE"])
        .args(["-addext", "keyUsage=critical,keyCertSign,cRLSign"]));
    run(Command::new("openssl")
        .current_dir(d)
        .arg("req")
        .args(ec)
        .args([
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=localhost",
        ]));
    std::fs::write(
        d.join("server.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n\
         keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    run(Command::new("openssl").current_dir(d).args([
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "server.ext",
    ]));
}
