//! TLS with rustls on the `ring` provider, chosen explicitly so no
//! process-wide default provider is needed.
//!
//! A client configuration is made once per set of options and kept (with
//! its session cache, so later handshakes resume), and remade when a file
//! it read changes on disk (a renewed certificate). Files are read off the
//! async threads.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use crate::config::TlsOptions;
use crate::error::{ConfigError, Error, Phase};

/// Runs the TLS handshake over `stream`, verifying the server as `options` say.
pub(crate) async fn handshake(
    options: &TlsOptions,
    host: &str,
    stream: TcpStream,
    endpoint: &str,
) -> Result<TlsStream<TcpStream>, Error> {
    let config = client_config(options).await?;
    let name = options.server_name.as_deref().unwrap_or(host).to_owned();
    let name = ServerName::try_from(name.clone())
        .map_err(|_| ConfigError::invalid("server_name", "a DNS name or an IP address", name))?;
    let stream = tokio_rustls::TlsConnector::from(config)
        .connect(name, stream)
        .await
        .map_err(|source| Error::Io {
            phase: Phase::Tls,
            endpoint: endpoint.to_owned(),
            source,
        })?;
    tracing::debug!(kind = ?stream.get_ref().1.handshake_kind(), "TLS handshake");
    Ok(stream)
}

/// The files of a set of options: CA, client certificate, client key, by
/// field name.
fn files(options: &TlsOptions) -> [(&'static str, Option<&std::path::Path>); 3] {
    [
        ("ca_file", options.ca_file.as_deref()),
        ("client_cert", options.client_cert.as_deref()),
        ("client_key", options.client_key.as_deref()),
    ]
}

/// What tells a file's versions apart: its modification time and size.
type Stamp = Option<(SystemTime, u64)>;

/// A configuration made, with what it was made from.
struct Made {
    options: TlsOptions,
    stamps: [Stamp; 3],
    config: Arc<ClientConfig>,
}

/// Configurations made so far, the newest last.
static MADE: Mutex<Vec<Made>> = Mutex::new(Vec::new());
/// At most this many are kept; the oldest goes first.
const KEPT: usize = 32;

/// The client configuration for `options`: the one made before, unless a
/// file it read has changed since.
async fn client_config(options: &TlsOptions) -> Result<Arc<ClientConfig>, ConfigError> {
    let mut stamps = [None; 3];
    for (stamp, (field, path)) in stamps.iter_mut().zip(files(options)) {
        if let Some(path) = path {
            let metadata = tokio::fs::metadata(path)
                .await
                .map_err(|e| ConfigError::invalid(field, "a readable PEM file", e))?;
            *stamp = Some((
                metadata.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                metadata.len(),
            ));
        }
    }
    {
        let made = MADE.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(made) = made
            .iter()
            .find(|m| m.options == *options && m.stamps == stamps)
        {
            return Ok(made.config.clone());
        }
    }
    let mut contents: [Option<Vec<u8>>; 3] = [None, None, None];
    for (content, (field, path)) in contents.iter_mut().zip(files(options)) {
        if let Some(path) = path {
            *content = Some(
                tokio::fs::read(path)
                    .await
                    .map_err(|e| ConfigError::invalid(field, "a readable PEM file", e))?,
            );
        }
    }
    let [ca, cert, key] = contents;
    let config = make(options, ca.as_deref(), cert.as_deref(), key.as_deref())?;
    let mut made = MADE.lock().unwrap_or_else(PoisonError::into_inner);
    made.retain(|m| m.options != *options);
    if made.len() >= KEPT {
        made.remove(0);
    }
    made.push(Made {
        options: options.clone(),
        stamps,
        config: config.clone(),
    });
    Ok(config)
}

/// Makes a client configuration from the files' contents.
fn make(
    options: &TlsOptions,
    ca: Option<&[u8]>,
    cert: Option<&[u8]>,
    key: Option<&[u8]>,
) -> Result<Arc<ClientConfig>, ConfigError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| ConfigError::invalid("tls", "a supported TLS setup", e))?;
    let builder = if options.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(TrustAnyone(provider)))
    } else {
        builder.with_root_certificates(roots(ca)?)
    };
    let config = match (cert, key) {
        (Some(cert), Some(key)) => {
            let chain = CertificateDer::pem_slice_iter(cert)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| {
                    ConfigError::invalid("client_cert", "a readable PEM certificate file", e)
                })?;
            let key = PrivateKeyDer::from_pem_slice(key).map_err(|e| {
                ConfigError::invalid("client_key", "a readable PEM private key file", e)
            })?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| ConfigError::invalid("client_key", "the key of client_cert", e))?
        }
        (None, None) => builder.with_no_client_auth(),
        _ => {
            return Err(ConfigError::invalid(
                "client_cert",
                "given together with client_key",
                "only one of them",
            ))
        }
    };
    Ok(Arc::new(config))
}

/// The CAs in `ca` (PEM), else the built-in web roots.
fn roots(ca: Option<&[u8]>) -> Result<RootCertStore, ConfigError> {
    let mut roots = RootCertStore::empty();
    match ca {
        Some(pem) => {
            let certs = CertificateDer::pem_slice_iter(pem)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| {
                    ConfigError::invalid("ca_file", "a readable PEM certificate file", e)
                })?;
            for cert in certs {
                roots
                    .add(cert)
                    .map_err(|e| ConfigError::invalid("ca_file", "valid CA certificates", e))?;
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    Ok(roots)
}

/// `insecure`: accepts any certificate, still checking handshake signatures.
#[derive(Debug)]
struct TrustAnyone(Arc<CryptoProvider>);

impl ServerCertVerifier for TrustAnyone {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests fail loudly
    use std::sync::Arc;
    use std::time::{Duration, SystemTime};

    use super::client_config;
    use crate::config::TlsOptions;

    #[tokio::test]
    async fn a_configuration_is_made_once_and_again_when_a_file_changes() {
        let dir = std::env::temp_dir().join(format!("redwire-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let files = redwire_testkit::TlsFiles::generate(&dir).unwrap();
        let options = TlsOptions {
            ca_file: Some(files.ca_cert.clone()),
            client_cert: Some(files.client_cert.clone()),
            client_key: Some(files.client_key.clone()),
            ..TlsOptions::default()
        };
        let first = client_config(&options).await.unwrap();
        assert!(Arc::ptr_eq(&first, &client_config(&options).await.unwrap()));
        let insecure = TlsOptions {
            insecure: true,
            ..options.clone()
        };
        assert!(!Arc::ptr_eq(
            &first,
            &client_config(&insecure).await.unwrap()
        ));
        // A renewed CA file: a new configuration, kept in turn.
        std::fs::File::options()
            .write(true)
            .open(&files.ca_cert)
            .unwrap()
            .set_modified(SystemTime::now() + Duration::from_secs(60))
            .unwrap();
        let renewed = client_config(&options).await.unwrap();
        assert!(!Arc::ptr_eq(&first, &renewed));
        assert!(Arc::ptr_eq(
            &renewed,
            &client_config(&options).await.unwrap()
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
