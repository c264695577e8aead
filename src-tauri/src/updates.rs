//! Updates through Tauri's updater: a feed (`latest.json`) at the endpoints of
//! `tauri.conf.json`, each installer signed with the release key (minisign; its public key is
//! in the configuration, the private key never in the repository: see docs/release.md).
//!
//! Promises: an update is offered only after its feed was read and is installed only after its
//! bytes verify against the configured public key (the plugin refuses anything else); the app
//! looks at most once a day (the time is kept in the preferences) and tells the window
//! (`update-available`); installing is the owner's choice and is refused while an import, a
//! mail fetch or a backup runs.

use std::sync::Mutex;
use std::time::Duration;

use coffre_core::Code;
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tauri_plugin_updater::{Update, UpdaterExt};

use crate::error::ApiError;
use crate::prefs::PrefsFile;
use crate::session::{AppState, lock};

/// At most one look at the feed per this long.
const CHECK_EVERY: Duration = Duration::from_secs(24 * 3600);

/// The update found by the last check, waiting for the owner's yes.
#[derive(Default)]
pub struct Pending(pub Mutex<Option<Update>>);

/// What the window shows of an update.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Available {
    pub version: String,
    pub current: String,
    pub notes: Option<String>,
    pub date: Option<String>,
}

fn failed(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(Code::Internal, format!("update: {e}"))
}

/// Reads the feed; the update it offers, if newer than this version.
pub async fn check<R: Runtime>(app: &AppHandle<R>) -> Result<Option<Update>, ApiError> {
    app.updater().map_err(failed)?.check().await.map_err(failed)
}

/// Downloads the update and checks its signature (refused unless it verifies).
pub async fn download(update: &Update) -> Result<Vec<u8>, ApiError> {
    update.download(|_, _| {}, || {}).await.map_err(failed)
}

fn describe(update: &Update) -> Available {
    Available {
        version: update.version.clone(),
        current: update.current_version.clone(),
        notes: update.body.clone(),
        date: update.date.map(|d| d.to_string()),
    }
}

/// Looks for an update now, remembering it for [`install`].
pub async fn check_now(app: &AppHandle) -> Result<Option<Available>, ApiError> {
    let found = check(app).await?;
    let _ = app.state::<PrefsFile>().update(|p| {
        p.last_update_check = Some(coffre_core::storage::audit::now_rfc3339());
    });
    let shown = found.as_ref().map(describe);
    *app.state::<Pending>()
        .0
        .lock()
        .unwrap_or_else(|p| p.into_inner()) = found;
    Ok(shown)
}

/// Whether an import, a mail fetch or a backup is running (an update then waits).
fn busy(app: &AppHandle) -> bool {
    let state = app.state::<AppState>();
    let session = lock(&state.session);
    let importing = session.as_ref().is_some_and(|s| {
        let c = s.ingest().counts();
        c.queued > c.finished()
    });
    // A backup or a fetch holds the vault: if it cannot be taken at once, something runs.
    let held = session
        .as_ref()
        .is_some_and(|s| s.vault().try_lock().is_err());
    importing || held
}

/// Installs the update found by the last check (downloaded and verified first), then restarts.
pub async fn install(app: &AppHandle) -> Result<(), ApiError> {
    if busy(app) {
        return Err(ApiError::new(
            Code::Busy,
            "an import, a mail fetch or a backup is running; install the update once it ends",
        ));
    }
    let update = app
        .state::<Pending>()
        .0
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
        .ok_or_else(|| failed("no update to install; check again"))?;
    let bytes = download(&update).await?;
    // The vault is locked first: keys wiped, jobs finished or journaled.
    app.state::<AppState>().lock_now();
    update.install(bytes).map_err(failed)?;
    app.restart();
}

/// Looks for an update a minute after start, then whenever the last look is a day old.
pub fn start_daily_check(app: AppHandle) {
    tauri::async_runtime::spawn(async move {
        pause(Duration::from_secs(60)).await;
        loop {
            let last = app.state::<PrefsFile>().get().last_update_check;
            let due = last
                .and_then(|t| t.parse::<jiff::Timestamp>().ok())
                .is_none_or(|t| {
                    jiff::Timestamp::now().duration_since(t)
                        >= jiff::SignedDuration::try_from(CHECK_EVERY).unwrap_or_default()
                });
            if due {
                match check_now(&app).await {
                    Ok(Some(found)) => {
                        let _ = app.emit("update-available", &found);
                    }
                    Ok(None) => {}
                    Err(e) => eprintln!("coffre: {}", e.message),
                }
            }
            pause(Duration::from_secs(3600)).await;
        }
    });
}

async fn pause(d: Duration) {
    let _ = tauri::async_runtime::spawn_blocking(move || std::thread::sleep(d)).await;
}

#[cfg(test)]
mod tests {
    //! The real updater plugin, configured like the app (public key and endpoint in the
    //! configuration), against a feed and an installer served on 127.0.0.1.

    use std::io::{BufRead, BufReader, Cursor, Write};
    use std::net::TcpListener;

    use data_encoding::BASE64;
    use tauri::test::{mock_builder, mock_context, noop_assets};

    use super::*;

    /// Serves `routes` (path → body) over HTTP/1.1 on a loopback port until the test ends.
    fn serve(routes: Vec<(String, Vec<u8>)>) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request = String::new();
                if reader.read_line(&mut request).is_err() {
                    continue;
                }
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                let path = request.split_whitespace().nth(1).unwrap_or("").to_owned();
                let mut out = stream;
                match routes.iter().find(|(p, _)| *p == path) {
                    Some((_, body)) => {
                        let _ = write!(
                            out,
                            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            body.len()
                        );
                        let _ = out.write_all(body);
                    }
                    None => {
                        let _ = out.write_all(
                            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                        );
                    }
                }
            }
        });
        port
    }

    /// A minisign signature of `data`, as `tauri signer sign` writes it (base64 of the box).
    fn sign(kp: &minisign::KeyPair, data: &[u8]) -> String {
        let sig = minisign::sign(Some(&kp.pk), &kp.sk, Cursor::new(data), None, None).unwrap();
        BASE64.encode(sig.to_string().as_bytes())
    }

    /// The app's updater, its public key that of `kp`, its feed served with `signature` for
    /// the installer `installer`.
    fn app_with_feed(
        kp: &minisign::KeyPair,
        installer: &[u8],
        signature: String,
    ) -> tauri::App<tauri::test::MockRuntime> {
        let target = tauri_plugin_updater::target().expect("a supported platform");
        let installer_path = "/coffre-99.0.0.tar.gz".to_owned();
        let feed_for = |port: u16| {
            serde_json::json!({
                "version": "99.0.0",
                "notes": "Faster search",
                "pub_date": "2026-12-01T12:00:00Z",
                "platforms": { target.clone(): {
                    "url": format!("http://127.0.0.1:{port}{installer_path}"),
                    "signature": signature,
                }}
            })
        };
        // The feed names the installer's URL: the installer is served first, on its own port.
        let bin_port = serve(vec![(installer_path.clone(), installer.to_vec())]);
        let feed = serde_json::to_vec(&feed_for(bin_port)).unwrap();
        let feed_port = serve(vec![("/latest.json".to_owned(), feed)]);
        let pubkey = BASE64.encode(kp.pk.to_box().unwrap().to_string().as_bytes());
        let mut context = mock_context(noop_assets());
        context.config_mut().plugins.0.insert(
            "updater".into(),
            serde_json::json!({
                "pubkey": pubkey,
                "endpoints": [format!("http://127.0.0.1:{feed_port}/latest.json")],
            }),
        );
        mock_builder()
            .plugin(tauri_plugin_updater::Builder::new().build())
            .build(context)
            .expect("the mock app")
    }

    #[test]
    fn a_good_signature_is_accepted_and_a_bad_one_refused() {
        let kp = minisign::KeyPair::generate_unencrypted_keypair().unwrap();
        let installer = b"the new Coffre, as an archive".repeat(1000);
        tauri::async_runtime::block_on(async {
            // Signed by the release key: found, downloaded, verified.
            let app = app_with_feed(&kp, &installer, sign(&kp, &installer));
            let update = check(app.handle())
                .await
                .unwrap()
                .expect("99.0.0 is offered");
            assert_eq!(update.version, "99.0.0");
            assert_eq!(download(&update).await.unwrap(), installer);

            // The signature of other bytes: refused.
            let app = app_with_feed(&kp, &installer, sign(&kp, b"something else"));
            let update = check(app.handle()).await.unwrap().unwrap();
            assert!(
                download(&update).await.is_err(),
                "a wrong signature must be refused"
            );

            // Signed by another key: refused.
            let other = minisign::KeyPair::generate_unencrypted_keypair().unwrap();
            let app = app_with_feed(&kp, &installer, sign(&other, &installer));
            let update = check(app.handle()).await.unwrap().unwrap();
            assert!(
                download(&update).await.is_err(),
                "another key's signature must be refused"
            );
        });
    }
}
