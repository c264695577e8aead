//! A small W3C WebDriver client (just what the tests use) over HTTP to WebKitWebDriver, and the
//! processes around it: a private Xvfb display and the driver, killed when dropped.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub type Result<T> = std::result::Result<T, String>;

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A child process killed on drop.
pub struct Guard(pub Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts Xvfb on a free display; returns the guard and the display name (`:N`).
pub fn xvfb(width: u32, height: u32) -> Result<(Guard, String)> {
    let mut child = Command::new("Xvfb")
        .args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            &format!("{width}x{height}x24"),
        ])
        .args(["-nolisten", "tcp"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("Xvfb: {e}"))?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().ok_or("Xvfb stdout")?)
        .read_line(&mut line)
        .map_err(|e| format!("Xvfb: {e}"))?;
    let n = line.trim();
    if n.is_empty() {
        return Err("Xvfb did not report a display".into());
    }
    Ok((Guard(child), format!(":{n}")))
}

/// Starts WebKitWebDriver on a free port of `display`, with automation allowed and a private
/// HOME (its XDG folders too) for the app it launches; returns the guard and the port.
pub fn webkit_driver(display: &str, home: &Path) -> Result<(Guard, u16)> {
    let port = free_port()?;
    let child = Command::new("WebKitWebDriver")
        .arg(format!("--port={port}"))
        .env("DISPLAY", display)
        .env("TAURI_WEBVIEW_AUTOMATION", "true")
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join(".local/share"))
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .env_remove("COFFRE_VAULT")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("WebKitWebDriver: {e}"))?;
    Ok((Guard(child), port))
}

fn free_port() -> Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

/// An element reference as a script argument.
pub fn element(id: &str) -> Value {
    let mut m = serde_json::Map::new();
    m.insert(ELEMENT.to_owned(), Value::String(id.to_owned()));
    Value::Object(m)
}

pub struct Driver {
    agent: ureq::Agent,
    base: String,
    session: String,
}

impl Driver {
    fn agent() -> ureq::Agent {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(120)))
            .build()
            .into()
    }

    fn request(
        agent: &ureq::Agent,
        method: &str,
        url: &str,
        body: Option<&Value>,
    ) -> Result<Value> {
        let resp = match (method, body) {
            ("GET", _) => agent.get(url).call(),
            ("DELETE", _) => agent.delete(url).call(),
            (_, b) => agent
                .post(url)
                .content_type("application/json")
                .send(b.unwrap_or(&json!({})).to_string()),
        }
        .map_err(|e| format!("{method} {url}: {e}"))?;
        let status = resp.status();
        let text = resp
            .into_body()
            .read_to_string()
            .map_err(|e| format!("{method} {url}: {e}"))?;
        let v: Value = serde_json::from_str(&text).map_err(|e| format!("{url}: {e}: {text}"))?;
        if !status.is_success() {
            return Err(format!("{method} {url}: {status}: {}", v["value"]));
        }
        Ok(v["value"].clone())
    }

    /// Opens a session that launches `binary` with `args`, waiting for the driver to be up.
    pub fn start(port: u16, binary: &Path, args: &[&str]) -> Result<Driver> {
        let agent = Self::agent();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while Self::request(&agent, "GET", &format!("{base}/status"), None).is_err() {
            if Instant::now() > deadline {
                return Err("WebKitWebDriver did not start".into());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let caps = json!({"capabilities": {"alwaysMatch": {"webkitgtk:browserOptions": {
            "binary": binary, "args": args }}}});
        let v = Self::request(&agent, "POST", &format!("{base}/session"), Some(&caps))?;
        let session = v["sessionId"].as_str().ok_or("no session id")?.to_owned();
        Ok(Driver {
            agent,
            base,
            session,
        })
    }

    fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value> {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        Self::request(&self.agent, method, &url, body.as_ref())
    }

    pub fn find_all(&self, css: &str) -> Result<Vec<String>> {
        // WebKitWebDriver may answer "stale element reference" when the page re-renders while it
        // collects the matches: the lookup is asked again, a few times.
        let mut tries = 0;
        let v = loop {
            match self.cmd(
                "POST",
                "/elements",
                Some(json!({"using": "css selector", "value": css})),
            ) {
                Err(e) if e.contains("stale element") && tries < 20 => {
                    tries += 1;
                    std::thread::sleep(Duration::from_millis(50));
                }
                other => break other?,
            }
        };
        Ok(v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e[ELEMENT].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Waits until `css` matches a displayed element; returns the first.
    pub fn wait(&self, css: &str, timeout: Duration) -> Result<String> {
        let deadline = Instant::now() + timeout;
        loop {
            for el in self.find_all(css)? {
                if self.displayed(&el).unwrap_or(false) {
                    return Ok(el);
                }
            }
            if Instant::now() > deadline {
                return Err(format!("nothing visible matches {css} after {timeout:?}"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until `f` returns `Some`.
    pub fn until<T>(
        &self,
        what: &str,
        timeout: Duration,
        mut f: impl FnMut() -> Result<Option<T>>,
    ) -> Result<T> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(v) = f()? {
                return Ok(v);
            }
            if Instant::now() > deadline {
                return Err(format!("timed out waiting for {what}"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn displayed(&self, el: &str) -> Result<bool> {
        Ok(self
            .cmd("GET", &format!("/element/{el}/displayed"), None)?
            .as_bool()
            == Some(true))
    }

    pub fn click(&self, el: &str) -> Result<()> {
        self.cmd("POST", &format!("/element/{el}/click"), Some(json!({})))
            .map(drop)
    }

    pub fn clear(&self, el: &str) -> Result<()> {
        self.cmd("POST", &format!("/element/{el}/clear"), Some(json!({})))
            .map(drop)
    }

    pub fn type_text(&self, el: &str, text: &str) -> Result<()> {
        self.cmd(
            "POST",
            &format!("/element/{el}/value"),
            Some(json!({"text": text})),
        )
        .map(drop)
    }

    /// Replaces an input's value.
    pub fn fill(&self, css: &str, text: &str) -> Result<()> {
        let el = self.wait(css, Duration::from_secs(10))?;
        self.clear(&el)?;
        if text.is_empty() {
            // WebKitWebDriver's clear sends no `input` event: send one, as typing would.
            return self
                .exec(
                    "arguments[0].dispatchEvent(new Event('input', {bubbles: true}))",
                    json!([element(&el)]),
                )
                .map(drop);
        }
        self.type_text(&el, text)
    }

    /// The element's `innerText` (WebKitWebDriver's own element text leaves out some inline
    /// children).
    pub fn text(&self, el: &str) -> Result<String> {
        Ok(self
            .exec("return arguments[0].innerText", json!([element(el)]))?
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    pub fn exec(&self, script: &str, args: Value) -> Result<Value> {
        self.cmd(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": args})),
        )
    }

    /// Runs an async script (its last argument is the callback) and returns what it passed.
    pub fn exec_async(&self, script: &str) -> Result<Value> {
        self.cmd(
            "POST",
            "/execute/async",
            Some(json!({"script": script, "args": []})),
        )
    }

    pub fn screenshot(&self, path: &Path) -> Result<()> {
        let b64 = self.cmd("GET", "/screenshot", None)?;
        let png = data_encoding::BASE64
            .decode(b64.as_str().unwrap_or_default().as_bytes())
            .map_err(|e| e.to_string())?;
        std::fs::write(path, png).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn quit(&self) -> Result<()> {
        self.cmd("DELETE", "", None).map(drop)
    }
}
