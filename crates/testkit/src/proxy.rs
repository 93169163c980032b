//! A counting proxy for one client in front of a Solana RPC endpoint: TCP
//! relays on a port pair (JSON-RPC on `P`, PubSub on `P + 1`, the Solana
//! CLI's rule, so a client given `http://…:P` finds both through it) that
//! count what crosses them at the transport, as an RPC provider bills it:
//! JSON-RPC calls by method, websocket messages each way, and bytes
//! received. [`CountingProxy::drop_websockets`] cuts every open websocket,
//! for tests of a client that must survive a dropped subscription.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// What crossed the proxy so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// JSON-RPC calls over HTTP, by method.
    pub http_calls: BTreeMap<String, u64>,
    /// Bytes the endpoint sent back over HTTP.
    pub http_bytes_received: u64,
    /// Websocket data messages the client sent (subscribe, unsubscribe).
    pub ws_sent: u64,
    /// Websocket data messages the endpoint sent (answers, notifications).
    pub ws_received: u64,
    /// Bytes the endpoint sent over the websocket.
    pub ws_bytes_received: u64,
    /// Websocket connections opened.
    pub ws_connections: u64,
}

impl Counts {
    pub fn http_total(&self) -> u64 {
        self.http_calls.values().sum()
    }

    pub fn bytes_received(&self) -> u64 {
        self.http_bytes_received + self.ws_bytes_received
    }

    /// What happened between `earlier` and `self`.
    pub fn since(&self, earlier: &Counts) -> Counts {
        let mut http_calls = self.http_calls.clone();
        for (method, n) in &earlier.http_calls {
            if let Some(now) = http_calls.get_mut(method) {
                *now -= n;
            }
        }
        http_calls.retain(|_, n| *n > 0);
        Counts {
            http_calls,
            http_bytes_received: self.http_bytes_received - earlier.http_bytes_received,
            ws_sent: self.ws_sent - earlier.ws_sent,
            ws_received: self.ws_received - earlier.ws_received,
            ws_bytes_received: self.ws_bytes_received - earlier.ws_bytes_received,
            ws_connections: self.ws_connections - earlier.ws_connections,
        }
    }
}

pub struct CountingProxy {
    http: SocketAddr,
    counts: Arc<Mutex<Counts>>,
    /// Bumped to cut every open websocket.
    cut: watch::Sender<u64>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for CountingProxy {
    fn drop(&mut self) {
        self.tasks.iter().for_each(|t| t.abort());
    }
}

impl CountingProxy {
    /// A proxy for the endpoint at `url` (`http://host:port`).
    pub async fn for_url(url: &str) -> std::io::Result<Self> {
        let authority = url
            .split_once("://")
            .map_or(url, |(_, rest)| rest)
            .trim_end_matches('/');
        let upstream = tokio::net::lookup_host(authority)
            .await?
            .next()
            .ok_or_else(|| std::io::Error::other(format!("{url} resolves to nothing")))?;
        Self::start(upstream).await
    }

    /// Relays `127.0.0.1:P` to `upstream` and `P + 1` to `upstream + 1`.
    pub async fn start(upstream: SocketAddr) -> std::io::Result<Self> {
        let (http, ws) = bind_pair().await?;
        let counts = Arc::new(Mutex::new(Counts::default()));
        let (cut, _) = watch::channel(0);
        let mut upstream_ws = upstream;
        upstream_ws.set_port(upstream.port() + 1);
        let address = http.local_addr()?;
        let tasks = vec![
            tokio::spawn(accept(http, upstream, counts.clone(), None)),
            tokio::spawn(accept(ws, upstream_ws, counts.clone(), Some(cut.clone()))),
        ];
        Ok(Self {
            http: address,
            counts,
            cut,
            tasks,
        })
    }

    /// The URL a client uses instead of the endpoint's.
    pub fn url(&self) -> String {
        format!("http://{}", self.http)
    }

    pub fn counts(&self) -> Counts {
        self.counts.lock().unwrap().clone()
    }

    /// Closes every open websocket connection at once (new ones are
    /// accepted): what a client sees when its provider drops it.
    pub fn drop_websockets(&self) {
        self.cut.send_modify(|n| *n += 1);
    }
}

/// Two listeners on adjacent free ports.
async fn bind_pair() -> std::io::Result<(TcpListener, TcpListener)> {
    for _ in 0..64 {
        let first = TcpListener::bind("127.0.0.1:0").await?;
        let port = first.local_addr()?.port();
        let Some(next) = port.checked_add(1) else {
            continue;
        };
        if let Ok(second) = TcpListener::bind(("127.0.0.1", next)).await {
            return Ok((first, second));
        }
    }
    Err(std::io::Error::other("no free pair of adjacent ports"))
}

async fn accept(
    listener: TcpListener,
    upstream: SocketAddr,
    counts: Arc<Mutex<Counts>>,
    cut: Option<watch::Sender<u64>>,
) {
    while let Ok((client, _)) = listener.accept().await {
        let counts = counts.clone();
        let cut = cut.as_ref().map(|c| c.subscribe());
        tokio::spawn(async move {
            let Ok(server) = TcpStream::connect(upstream).await else {
                return;
            };
            match cut {
                None => relay_http(client, server, counts).await,
                Some(cut) => relay_ws(client, server, counts, cut).await,
            }
        });
    }
}

async fn relay_http(client: TcpStream, server: TcpStream, counts: Arc<Mutex<Counts>>) {
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let mut methods = MethodScanner::default();
    let requests = pump(client_read, server_write, |chunk| {
        for method in methods.feed(chunk) {
            *counts.lock().unwrap().http_calls.entry(method).or_default() += 1;
        }
    });
    let responses = pump(server_read, client_write, |chunk| {
        counts.lock().unwrap().http_bytes_received += chunk.len() as u64;
    });
    tokio::join!(requests, responses);
}

/// Copies `from` into `to`, showing each chunk to `look` first, until
/// either side closes; then closes `to`.
async fn pump(mut from: OwnedReadHalf, mut to: OwnedWriteHalf, mut look: impl FnMut(&[u8])) {
    let mut buf = vec![0u8; 64 * 1024];
    while let Ok(n @ 1..) = from.read(&mut buf).await {
        look(&buf[..n]);
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

/// Finds `"method":"…"` in a byte stream cut anywhere.
#[derive(Default)]
struct MethodScanner {
    tail: Vec<u8>,
}

impl MethodScanner {
    const KEY: &'static [u8] = b"\"method\":\"";

    fn feed(&mut self, chunk: &[u8]) -> Vec<String> {
        self.tail.extend_from_slice(chunk);
        let mut found = Vec::new();
        let mut from = 0;
        while let Some(at) = find(&self.tail[from..], Self::KEY) {
            let start = from + at + Self::KEY.len();
            let Some(len) = self.tail[start..].iter().position(|&b| b == b'"') else {
                // The name is cut: keep it for the next chunk.
                from += at;
                self.tail.drain(..from);
                return found;
            };
            found.push(String::from_utf8_lossy(&self.tail[start..start + len]).into_owned());
            from = start + len;
        }
        // Keep what could be the start of a cut key.
        let keep = Self::KEY.len().min(self.tail.len());
        self.tail.drain(..self.tail.len() - keep);
        found
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

async fn relay_ws(
    client: TcpStream,
    server: TcpStream,
    counts: Arc<Mutex<Counts>>,
    mut cut: watch::Receiver<u64>,
) {
    counts.lock().unwrap().ws_connections += 1;
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let (mut sent_frames, mut received_frames) = (FrameCounter::default(), FrameCounter::default());
    let sent = pump(client_read, server_write, |chunk| {
        counts.lock().unwrap().ws_sent += sent_frames.feed(chunk);
    });
    let received = pump(server_read, client_write, |chunk| {
        let mut counts = counts.lock().unwrap();
        counts.ws_received += received_frames.feed(chunk);
        counts.ws_bytes_received += chunk.len() as u64;
    });
    // Either side closing, or a cut, ends both directions.
    tokio::select! {
        _ = sent => {}
        _ = received => {}
        _ = cut.changed() => {}
    }
}

/// Counts websocket data frames (text and binary) in one direction of a
/// connection, after its HTTP upgrade handshake.
#[derive(Default)]
struct FrameCounter {
    handshake_done: bool,
    buf: Vec<u8>,
}

impl FrameCounter {
    fn feed(&mut self, chunk: &[u8]) -> u64 {
        self.buf.extend_from_slice(chunk);
        if !self.handshake_done {
            let Some(end) = find(&self.buf, b"\r\n\r\n") else {
                return 0;
            };
            self.buf.drain(..end + 4);
            self.handshake_done = true;
        }
        let mut frames = 0;
        while let Some((len, opcode)) = frame_len(&self.buf) {
            if matches!(opcode, 1 | 2) {
                frames += 1;
            }
            self.buf.drain(..len);
        }
        frames
    }
}

/// The length and opcode of the whole frame at the start of `buf`, if it
/// is all there (RFC 6455 §5.2).
fn frame_len(buf: &[u8]) -> Option<(usize, u8)> {
    let (&b0, &b1) = (buf.first()?, buf.get(1)?);
    let masked = b1 & 0x80 != 0;
    let (payload, header) = match b1 & 0x7f {
        126 => (u16::from_be_bytes([*buf.get(2)?, *buf.get(3)?]) as usize, 4),
        127 => (
            u64::from_be_bytes(buf.get(2..10)?.try_into().ok()?) as usize,
            10,
        ),
        n => (n as usize, 2),
    };
    let total = header + if masked { 4 } else { 0 } + payload;
    (buf.len() >= total).then_some((total, b0 & 0x0f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_are_found_across_any_cut() {
        let body = br#"{"jsonrpc":"2.0","id":1,"method":"getSlot"}{"jsonrpc":"2.0","id":2,"method":"getMultipleAccounts","params":[]}"#;
        for cut in 0..body.len() {
            let mut scanner = MethodScanner::default();
            let mut found = scanner.feed(&body[..cut]);
            found.extend(scanner.feed(&body[cut..]));
            assert_eq!(found, ["getSlot", "getMultipleAccounts"], "cut at {cut}");
        }
    }

    #[test]
    fn frames_are_counted_after_the_handshake_across_any_cut() {
        let mut stream = b"GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n".to_vec();
        // A masked text frame of 5 bytes, a ping, a 200-byte binary frame.
        stream.extend([0x81, 0x85, 1, 2, 3, 4, b'h', b'e', b'l', b'l', b'o']);
        stream.extend([0x89, 0x00]);
        stream.extend([0x82, 126, 0, 200]);
        stream.extend([7u8; 200]);
        for cut in 0..stream.len() {
            let mut counter = FrameCounter::default();
            let frames = counter.feed(&stream[..cut]) + counter.feed(&stream[cut..]);
            assert_eq!(frames, 2, "cut at {cut}");
        }
    }
}
