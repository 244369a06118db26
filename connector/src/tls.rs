//! TLS with rustls on the `ring` provider, chosen explicitly so no
//! process-wide default provider is needed.

use std::sync::Arc;

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
    let config = client_config(options)?;
    let name = options.server_name.as_deref().unwrap_or(host).to_owned();
    let name = ServerName::try_from(name.clone())
        .map_err(|_| ConfigError::invalid("server_name", "a DNS name or an IP address", name))?;
    tokio_rustls::TlsConnector::from(config)
        .connect(name, stream)
        .await
        .map_err(|source| Error::Io {
            phase: Phase::Tls,
            endpoint: endpoint.to_owned(),
            source,
        })
}

fn client_config(options: &TlsOptions) -> Result<Arc<ClientConfig>, ConfigError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| ConfigError::invalid("tls", "a supported TLS setup", e))?;
    let builder = if options.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(TrustAnyone(provider)))
    } else {
        builder.with_root_certificates(roots(options)?)
    };
    let config = match (&options.client_cert, &options.client_key) {
        (Some(cert), Some(key)) => {
            let chain = CertificateDer::pem_file_iter(cert)
                .and_then(Iterator::collect::<Result<Vec<_>, _>>)
                .map_err(|e| {
                    ConfigError::invalid("client_cert", "a readable PEM certificate file", e)
                })?;
            let key = PrivateKeyDer::from_pem_file(key).map_err(|e| {
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

fn roots(options: &TlsOptions) -> Result<RootCertStore, ConfigError> {
    let mut roots = RootCertStore::empty();
    match &options.ca_file {
        Some(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .and_then(Iterator::collect::<Result<Vec<_>, _>>)
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
