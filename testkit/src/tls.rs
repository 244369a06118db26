//! Certificates generated at test time: a CA, a server certificate for the
//! loopback names, and a client certificate for mutual TLS.

use std::path::{Path, PathBuf};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};

/// PEM files of a throwaway CA and the certificates it signed.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// The CA certificate clients verify the server with.
    pub ca_cert: PathBuf,
    /// The server certificate (names `localhost`, `127.0.0.1`, `::1`).
    pub server_cert: PathBuf,
    /// The server's private key.
    pub server_key: PathBuf,
    /// A client certificate signed by the same CA, for mutual TLS.
    pub client_cert: PathBuf,
    /// The client's private key.
    pub client_key: PathBuf,
}

impl TlsFiles {
    /// Generates a CA, a server and a client certificate into `dir`.
    pub fn generate(dir: &Path) -> std::io::Result<Self> {
        Self::try_generate(dir).map_err(std::io::Error::other)?
    }

    fn try_generate(dir: &Path) -> Result<std::io::Result<Self>, rcgen::Error> {
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "redwire test CA");
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_key = KeyPair::generate()?;
        let ca = ca_params.self_signed(&ca_key)?;

        let server_params = CertificateParams::new(vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
            "::1".to_owned(),
        ])?;
        let server_key = KeyPair::generate()?;
        let server = server_params.signed_by(&server_key, &ca, &ca_key)?;

        let mut client_params = CertificateParams::new(vec!["redwire-client".to_owned()])?;
        client_params
            .distinguished_name
            .push(DnType::CommonName, "redwire-client");
        let client_key = KeyPair::generate()?;
        let client = client_params.signed_by(&client_key, &ca, &ca_key)?;

        let write = |name: &str, pem: String| -> std::io::Result<PathBuf> {
            let path = dir.join(name);
            std::fs::write(&path, pem)?;
            Ok(path)
        };
        Ok((|| {
            Ok(Self {
                ca_cert: write("ca.crt", ca.pem())?,
                server_cert: write("server.crt", server.pem())?,
                server_key: write("server.key", server_key.serialize_pem())?,
                client_cert: write("client.crt", client.pem())?,
                client_key: write("client.key", client_key.serialize_pem())?,
            })
        })())
    }
}
