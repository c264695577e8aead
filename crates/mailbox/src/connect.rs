//! Connecting to an IMAP server and logging in: TLS (rustls, the system's roots or the account's
//! own CA), STARTTLS, or plain TCP to this machine only; every step under a time limit.
//!
//! Promises: no byte of the password leaves over an unencrypted connection to another machine
//! (a plain connection is refused unless the peer's address is loopback, whatever the host name
//! resolved to); STARTTLS is never silently skipped; errors say which step failed
//! ([`MailFault`]) and never contain the password.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use async_imap::{Client, Session};
use coffre_core::vault::mailbox::{MailAccount, Security};
use coffre_core::{Error, MailFault, Result};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};

/// How long one network step (connect, handshake, a command's next answer) may take.
pub const STEP_TIMEOUT: Duration = Duration::from_secs(60);

/// The connection under the IMAP session: TLS or (to this machine only) plain TCP.
#[derive(Debug)]
pub enum Stream {
    /// TLS, from the start or after STARTTLS.
    Tls(Box<TlsStream<TcpStream>>),
    /// Plain TCP to a loopback address.
    Plain(TcpStream),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}

/// A logged-in IMAP session.
pub type ImapSession = Session<Stream>;

/// Runs one network step under [`STEP_TIMEOUT`].
pub async fn step<T>(
    what: &str,
    fut: impl Future<Output = std::result::Result<T, async_imap::error::Error>>,
) -> Result<T> {
    match tokio::time::timeout(STEP_TIMEOUT, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(imap_error(what, e)),
        Err(_) => Err(Error::mail(
            MailFault::Connect,
            format!(
                "{what}: no answer from the server within {} s",
                STEP_TIMEOUT.as_secs()
            ),
        )),
    }
}

/// An IMAP library error as the core's error, naming the step.
pub fn imap_error(what: &str, e: async_imap::error::Error) -> Error {
    use async_imap::error::Error as E;
    let fault = match &e {
        E::Io(_) | E::ConnectionLost => MailFault::Connect,
        _ => MailFault::Protocol,
    };
    Error::mail(fault, format!("{what}: {e}"))
}

fn tls_config(account: &MailAccount) -> Result<Arc<ClientConfig>> {
    let mut roots = RootCertStore::empty();
    match &account.ca_pem {
        Some(pem) => {
            for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
                let cert = cert.map_err(|e| {
                    Error::mail(MailFault::Tls, format!("the CA file is not PEM: {e}"))
                })?;
                roots.add(cert).map_err(|e| {
                    Error::mail(MailFault::Tls, format!("the CA file's certificate: {e}"))
                })?;
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            for cert in found.certs {
                // A system certificate rustls cannot use is skipped, as browsers do.
                let _ = roots.add(cert);
            }
        }
    }
    if roots.is_empty() {
        return Err(Error::mail(
            MailFault::Tls,
            "no trusted certificate authority (install the system's CA certificates, or give \
             the server's with --ca-file)",
        ));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::mail(MailFault::Tls, e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

async fn tls_wrap(account: &MailAccount, tcp: TcpStream) -> Result<Stream> {
    let config = tls_config(account)?;
    let host = account
        .host
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']');
    let name = ServerName::try_from(host.to_owned())
        .map_err(|e| Error::mail(MailFault::Tls, format!("{host}: {e}")))?;
    let tls = tokio::time::timeout(STEP_TIMEOUT, TlsConnector::from(config).connect(name, tcp))
        .await
        .map_err(|_| Error::mail(MailFault::Connect, "the TLS handshake timed out"))?
        .map_err(|e| Error::mail(MailFault::Tls, format!("{host}: {e}")))?;
    Ok(Stream::Tls(Box::new(tls)))
}

/// Reads the server's greeting; a `BYE` (or nothing) is a connection error.
async fn greeting(client: &mut Client<Stream>) -> Result<()> {
    let answer = tokio::time::timeout(STEP_TIMEOUT, client.read_response())
        .await
        .map_err(|_| Error::mail(MailFault::Connect, "the server sent no greeting"))?
        .map_err(|e| Error::mail(MailFault::Connect, format!("greeting: {e}")))?;
    use async_imap::imap_proto::{Response, Status};
    match answer.as_ref().map(|a| a.parsed()) {
        Some(Response::Data {
            status: Status::Bye,
            ..
        }) => Err(Error::mail(
            MailFault::Connect,
            "the server refused the connection (BYE)",
        )),
        Some(_) => Ok(()),
        None => Err(Error::mail(
            MailFault::Connect,
            "the server closed the connection",
        )),
    }
}

/// Connects to the account's server as its security setting says, and logs in.
pub async fn login(account: &MailAccount, password: &str) -> Result<ImapSession> {
    let host = account
        .host
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']');
    let tcp = tokio::time::timeout(STEP_TIMEOUT, TcpStream::connect((host, account.port)))
        .await
        .map_err(|_| {
            Error::mail(
                MailFault::Connect,
                format!("{host}:{}: timed out", account.port),
            )
        })?
        .map_err(|e| Error::mail(MailFault::Connect, format!("{host}:{}: {e}", account.port)))?;
    let _ = tcp.set_nodelay(true);
    let mut client = match account.security {
        Security::Tls => {
            let mut client = Client::new(tls_wrap(account, tcp).await?);
            greeting(&mut client).await?;
            client
        }
        Security::Starttls => {
            let mut client = Client::new(Stream::Plain(tcp));
            greeting(&mut client).await?;
            step(
                "STARTTLS",
                client.run_command_and_check_ok("STARTTLS", None),
            )
            .await
            .map_err(|e| {
                Error::mail(
                    MailFault::Tls,
                    format!("the server does not offer STARTTLS ({e})"),
                )
            })?;
            let Stream::Plain(tcp) = client.into_inner() else {
                unreachable!("a STARTTLS client starts plain")
            };
            Client::new(tls_wrap(account, tcp).await?)
        }
        Security::None => {
            let peer = tcp
                .peer_addr()
                .map_err(|e| Error::mail(MailFault::Connect, e.to_string()))?;
            if !peer.ip().is_loopback() {
                return Err(Error::mail(
                    MailFault::Tls,
                    format!(
                        "{host} is {}, not this machine: an unencrypted connection is refused",
                        peer.ip()
                    ),
                ));
            }
            let mut client = Client::new(Stream::Plain(tcp));
            greeting(&mut client).await?;
            client
        }
    };
    let _ = &mut client;
    match tokio::time::timeout(STEP_TIMEOUT, client.login(&account.user, password)).await {
        Err(_) => Err(Error::mail(MailFault::Connect, "login: no answer")),
        Ok(Ok(session)) => Ok(session),
        Ok(Err((async_imap::error::Error::No(text), _))) => Err(Error::mail(
            MailFault::Login,
            format!(
                "the server refused the user name or password ({})",
                text.trim()
            ),
        )),
        Ok(Err((e, _))) => Err(imap_error("login", e)),
    }
}
