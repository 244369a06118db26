//! One `redis-server` process and the options it was started with.

use std::fmt;
use std::io::Write as _;
use std::marker::PhantomData;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::fault::Undo;
use crate::tls::TlsFiles;

/// How long a server may take to say it is ready.
const READY_TIMEOUT: Duration = Duration::from_secs(15);
/// Fresh ports tried when another process takes the chosen one first.
const PORT_ATTEMPTS: usize = 5;

/// An ACL user the server is started with, allowed every command and key.
#[derive(Debug, Clone)]
pub struct AclUser {
    /// The user name.
    pub name: String,
    /// The user's password.
    pub password: String,
}

/// What the process runs as.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
enum Mode {
    /// A standalone server (or a replica).
    #[default]
    Server,
    /// A sentinel monitoring a master on a loopback port.
    Sentinel {
        name: String,
        master_port: u16,
        quorum: u32,
    },
    /// A cluster node.
    ClusterNode,
}

/// What kind of server to start. The default is a plain server with no
/// password on a TCP loopback port.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ServerOptions {
    password: Option<String>,
    acl_user: Option<AclUser>,
    unix_socket: bool,
    tls: bool,
    tls_client_auth: bool,
    mode: Mode,
    args: Vec<(String, String)>,
    port: Option<u16>,
    /// A network namespace to run in, and the address to listen on there.
    netns: Option<(String, String)>,
}

impl ServerOptions {
    /// Requires this password (`requirepass`) for the default user. Default: none.
    #[must_use]
    pub fn password(mut self, password: &str) -> Self {
        self.password = Some(password.to_owned());
        self
    }

    /// Listens on this port instead of a free one (starting fails when it
    /// is taken). Default: a free port.
    #[must_use]
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// Adds an ACL user with full rights. Default: none.
    #[must_use]
    pub fn acl_user(mut self, name: &str, password: &str) -> Self {
        self.acl_user = Some(AclUser {
            name: name.to_owned(),
            password: password.to_owned(),
        });
        self
    }

    /// Also listens on a unix socket in the server's directory. Default: off.
    #[must_use]
    pub fn unix_socket(mut self) -> Self {
        self.unix_socket = true;
        self
    }

    /// Serves TLS only, with certificates generated for this server. Default: off.
    #[must_use]
    pub fn tls(mut self) -> Self {
        self.tls = true;
        self
    }

    /// With [`tls`](Self::tls): requires clients to present a certificate
    /// signed by the generated CA. Default: off.
    #[must_use]
    pub fn tls_client_auth(mut self) -> Self {
        self.tls = true;
        self.tls_client_auth = true;
        self
    }

    /// Replicates the server on this loopback port. Default: a master.
    #[must_use]
    pub fn replica_of(self, port: u16) -> Self {
        self.config("replicaof", &format!("127.0.0.1 {port}"))
    }

    /// Runs as a sentinel monitoring the master on this loopback port under
    /// `name`, with a 1 s down-after and a 3 s failover timeout.
    #[must_use]
    pub fn sentinel_of(mut self, name: &str, master_port: u16, quorum: u32) -> Self {
        self.mode = Mode::Sentinel {
            name: name.to_owned(),
            master_port,
            quorum,
        };
        self
    }

    /// Runs as a cluster node (`cluster-enabled`, a 2 s node timeout, the
    /// cluster bus on another free port), not yet part of a cluster; see
    /// [`Cluster`](crate::Cluster). Default: off.
    #[must_use]
    pub fn cluster_node(mut self) -> Self {
        self.mode = Mode::ClusterNode;
        self
    }

    /// Runs in the network namespace `name` (made by
    /// [`Partitioned`](crate::Partitioned)), listening on `address`.
    pub(crate) fn in_netns(mut self, name: &str, address: &str) -> Self {
        self.netns = Some((name.to_owned(), address.to_owned()));
        self
    }

    /// Any other configuration directive, e.g. `("maxclients", "5")`.
    #[must_use]
    pub fn config(mut self, name: &str, value: &str) -> Self {
        self.args.push((name.to_owned(), value.to_owned()));
        self
    }
}

/// Why a server could not be started.
#[derive(Debug)]
#[non_exhaustive]
pub enum StartError {
    /// No `redis-server` binary: install Debian's `redis-server` package.
    NotInstalled(String),
    /// Preparing the directory, configuration or certificates failed.
    Io(std::io::Error),
    /// The server exited or did not become ready; the end of its log.
    Failed(String),
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotInstalled(binary) => write!(
                f,
                "{binary} not found: install it with `apt-get install -y redis-server` or set REDIS_SERVER"
            ),
            Self::Io(e) => write!(f, "preparing redis-server: {e}"),
            Self::Failed(log) => write!(f, "redis-server did not start: {log}"),
        }
    }
}

impl std::error::Error for StartError {}

impl From<std::io::Error> for StartError {
    fn from(e: std::io::Error) -> Self {
        Self::Io(e)
    }
}

/// A running `redis-server`, stopped when dropped.
#[derive(Debug)]
pub struct Server {
    child: Child,
    port: u16,
    options: ServerOptions,
    tls: Option<TlsFiles>,
    dir: tempfile::TempDir,
    /// Whether the process was killed (and not restarted).
    killed: bool,
}

impl Server {
    /// Starts a server on a free loopback port and waits until it accepts
    /// connections.
    pub fn start(mut options: ServerOptions) -> Result<Self, StartError> {
        let dir = tempfile::Builder::new()
            .prefix("redwire-redis-")
            .tempdir()?;
        let tls = if options.tls {
            Some(TlsFiles::generate(dir.path())?)
        } else {
            None
        };
        let mut last_failure = String::new();
        let attempts = if options.port.is_some() {
            1
        } else {
            PORT_ATTEMPTS
        };
        for _ in 0..attempts {
            let port = match options.port {
                Some(port) => port,
                None => free_port()?,
            };
            if options.mode == Mode::ClusterNode {
                options.args.retain(|(name, _)| name != "cluster-port");
                options
                    .args
                    .push(("cluster-port".to_owned(), free_port()?.to_string()));
            }
            match spawn(dir.path(), port, &options, tls.as_ref())? {
                Ok(child) => {
                    return Ok(Self {
                        child,
                        port,
                        options,
                        tls,
                        dir,
                        killed: false,
                    })
                }
                Err(log) if log.contains("Address already in use") => last_failure = log,
                Err(log) => return Err(StartError::Failed(log)),
            }
        }
        Err(StartError::Failed(last_failure))
    }

    /// The address the server listens on: loopback, or its network
    /// namespace's address.
    pub fn host(&self) -> &str {
        self.options
            .netns
            .as_ref()
            .map_or("127.0.0.1", |(_, address)| address)
    }

    /// The TCP port (the TLS port for a TLS server).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether the process runs (it was not killed, or was restarted since).
    pub fn is_running(&self) -> bool {
        !self.killed
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The unix socket path, when started with [`ServerOptions::unix_socket`].
    pub fn unix_socket(&self) -> Option<PathBuf> {
        self.options
            .unix_socket
            .then(|| socket_path(self.dir.path()))
    }

    /// The generated certificates, when started with [`ServerOptions::tls`].
    pub fn tls_files(&self) -> Option<&TlsFiles> {
        self.tls.as_ref()
    }

    /// The ACL user, when started with [`ServerOptions::acl_user`].
    pub fn acl_user(&self) -> Option<&AclUser> {
        self.options.acl_user.as_ref()
    }

    /// The `requirepass` password, when started with [`ServerOptions::password`].
    pub fn password(&self) -> Option<&str> {
        self.options.password.as_deref()
    }

    /// Stops the server now, by its pid, and waits for it to exit.
    pub fn stop(mut self) {
        self.kill();
    }

    /// Kills the server process (by its pid) and waits for it to exit,
    /// keeping its port and files, e.g. to let sentinels fail it over.
    pub fn kill_process(&mut self) {
        self.kill();
    }

    /// Stops the server's process (`SIGSTOP`) without killing it: its
    /// sockets stay open and its kernel still accepts connections and
    /// acknowledges bytes, but nothing is answered, as a peer gone silent.
    /// It goes on (`SIGCONT`) when the returned [`Paused`] is dropped or
    /// after `at_most` (capped at [`MAX_FAULT`](crate::MAX_FAULT)), whichever comes first.
    ///
    /// ```no_run
    /// # fn demo(server: &redwire_testkit::Server) -> std::io::Result<()> {
    /// let paused = server.pause(std::time::Duration::from_secs(10))?;
    /// // ... the server answers nothing here ...
    /// drop(paused); // it answers again
    /// # Ok(()) }
    /// ```
    pub fn pause(&self, at_most: Duration) -> std::io::Result<Paused<'_>> {
        signal(self.pid(), "-STOP")?;
        let pid = self.pid();
        Ok(Paused {
            _resume: Undo::after(at_most, move || {
                let _ = signal(pid, "-CONT");
            }),
            _server: PhantomData,
        })
    }

    /// Kills the server and starts it again on the same port, with the same
    /// options and certificates (its data is not kept).
    pub fn restart(&mut self) -> Result<(), StartError> {
        self.kill();
        let child = spawn(self.dir.path(), self.port, &self.options, self.tls.as_ref())?;
        self.child = child.map_err(StartError::Failed)?;
        self.killed = false;
        Ok(())
    }

    fn kill(&mut self) {
        // Only our own child is signalled; it may already have exited.
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.killed = true;
    }
}

/// A server stopped by [`Server::pause`]; it goes on when this is dropped.
#[derive(Debug)]
#[must_use = "the server goes on as soon as this is dropped"]
pub struct Paused<'a> {
    _resume: Undo,
    /// The server outlives its pause: the pid signalled is still its own.
    _server: PhantomData<&'a Server>,
}

/// Sends `name` (`-STOP`, `-CONT`) to our own child `pid`.
fn signal(pid: u32, name: &str) -> std::io::Result<()> {
    let status = Command::new("kill")
        .args([name, &pid.to_string()])
        .status()?;
    if status.success() {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "kill {name} {pid}: {status}"
        )))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `host:port,host:port,…` of `addresses`.
pub(crate) fn address_list(addresses: &[(String, u16)]) -> String {
    addresses
        .iter()
        .map(|(host, port)| format!("{host}:{port}"))
        .collect::<Vec<_>>()
        .join(",")
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port())
}

fn socket_path(dir: &Path) -> PathBuf {
    dir.join("redis.sock")
}

fn binary() -> String {
    std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".to_owned())
}

/// Writes the configuration, starts the process and waits for it to be
/// ready: `Ok(Err(log))` when it exited or stalled.
fn spawn(
    dir: &Path,
    port: u16,
    options: &ServerOptions,
    tls: Option<&TlsFiles>,
) -> Result<Result<Child, String>, StartError> {
    let log = dir.join("redis.log");
    let _ = std::fs::remove_file(&log);
    let config = dir.join("redis.conf");
    let mut file = std::fs::File::create(&config)?;
    let lines = config_lines(dir, port, options, tls, &log);
    for (name, value) in &lines {
        writeln!(file, "{name} {value}")?;
    }
    drop(file);

    let binary = binary();
    let mut command = match &options.netns {
        Some((name, _)) => {
            let mut command = Command::new("ip");
            command.args(["netns", "exec", name]).arg(&binary);
            command
        }
        None => Command::new(&binary),
    };
    command.arg(&config);
    let sentinel = matches!(options.mode, Mode::Sentinel { .. });
    if sentinel {
        command.arg("--sentinel");
    }
    let ready = if sentinel {
        "+monitor master"
    } else {
        "Ready to accept connections"
    };
    let mut child = match command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(StartError::NotInstalled(binary))
        }
        Err(e) => return Err(e.into()),
    };
    let started = Instant::now();
    loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.contains(ready) {
            return Ok(Ok(child));
        }
        if child.try_wait()?.is_some() || started.elapsed() > READY_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            let tail: Vec<&str> = text.lines().rev().take(5).collect();
            return Ok(Err(tail.into_iter().rev().collect::<Vec<_>>().join(" | ")));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The configuration directives of a server.
fn config_lines(
    dir: &Path,
    port: u16,
    options: &ServerOptions,
    tls: Option<&TlsFiles>,
    log: &Path,
) -> Vec<(String, String)> {
    let quoted = |value: &str| format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""));
    let mut lines = vec![
        (
            "bind".to_owned(),
            options
                .netns
                .as_ref()
                .map_or("127.0.0.1 -::1", |(_, address)| address)
                .to_owned(),
        ),
        ("protected-mode".to_owned(), "no".to_owned()),
        ("save".to_owned(), quoted("")),
        ("appendonly".to_owned(), "no".to_owned()),
        ("dir".to_owned(), quoted(&dir.display().to_string())),
        ("logfile".to_owned(), quoted(&log.display().to_string())),
    ];
    // `DEBUG SLEEP` for drills of a server that stops answering a while.
    if !matches!(options.mode, Mode::Sentinel { .. }) {
        lines.push(("enable-debug-command".to_owned(), "local".to_owned()));
    }
    match tls {
        Some(files) => {
            lines.push(("port".to_owned(), "0".to_owned()));
            lines.push(("tls-port".to_owned(), port.to_string()));
            lines.push((
                "tls-cert-file".to_owned(),
                quoted(&files.server_cert.display().to_string()),
            ));
            lines.push((
                "tls-key-file".to_owned(),
                quoted(&files.server_key.display().to_string()),
            ));
            lines.push((
                "tls-ca-cert-file".to_owned(),
                quoted(&files.ca_cert.display().to_string()),
            ));
            let auth = if options.tls_client_auth { "yes" } else { "no" };
            lines.push(("tls-auth-clients".to_owned(), auth.to_owned()));
        }
        None => lines.push(("port".to_owned(), port.to_string())),
    }
    if let Some(password) = &options.password {
        lines.push(("requirepass".to_owned(), quoted(password)));
    }
    if let Some(user) = &options.acl_user {
        lines.push((
            "user".to_owned(),
            format!(
                "{} on {} ~* &* +@all",
                user.name,
                quoted(&format!(">{}", user.password))
            ),
        ));
    }
    if let Mode::Sentinel {
        name,
        master_port,
        quorum,
    } = &options.mode
    {
        lines.push((
            "sentinel".to_owned(),
            format!("monitor {name} 127.0.0.1 {master_port} {quorum}"),
        ));
        lines.push((
            "sentinel".to_owned(),
            format!("down-after-milliseconds {name} 1000"),
        ));
        lines.push((
            "sentinel".to_owned(),
            format!("failover-timeout {name} 3000"),
        ));
        lines.push(("sentinel".to_owned(), format!("parallel-syncs {name} 1")));
    }
    if options.mode == Mode::ClusterNode {
        lines.push(("cluster-enabled".to_owned(), "yes".to_owned()));
        lines.push(("cluster-config-file".to_owned(), "nodes.conf".to_owned()));
        lines.push(("cluster-node-timeout".to_owned(), "2000".to_owned()));
    }
    if options.unix_socket {
        lines.push((
            "unixsocket".to_owned(),
            quoted(&socket_path(dir).display().to_string()),
        ));
        lines.push(("unixsocketperm".to_owned(), "700".to_owned()));
    }
    lines.extend(options.args.iter().cloned());
    lines
}
