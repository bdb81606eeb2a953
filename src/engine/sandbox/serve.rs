//! The serving loop of an embedded sandbox, hardened so that slow or idle clients cannot
//! starve it: a connection's first request head must arrive within
//! [`ServeLimits::header_timeout`], its
//! body within [`ServeLimits::body_timeout`] (else the body ends in an error), and at most
//! [`ServeLimits::max_connections`] connections are served at once — one more is answered
//! `503` with `Retry-After` and closed, at once, instead of waiting in the kernel queue
//! until the file limit runs out.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

/// How long a client may take, and how many may be served at once.
#[derive(Debug, Clone, Copy)]
pub struct ServeLimits {
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    pub max_connections: usize,
}

impl Default for ServeLimits {
    fn default() -> ServeLimits {
        ServeLimits {
            header_timeout: Duration::from_secs(5),
            body_timeout: Duration::from_secs(10),
            max_connections: 1_024,
        }
    }
}

/// What a connection over the cap is told before it is closed.
fn refusal() -> Vec<u8> {
    let body = r#"{"error":{"code":"service_unavailable","message":"too many open connections; retry later","param":null}}"#;
    format!(
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n\
         Connection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Serves `router` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ServeLimits,
    shutdown: impl Future<Output = ()>,
) {
    let router = router.layer(axum::middleware::from_fn(move |req, next| {
        body_deadline(req, next, limits)
    }));
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            _ = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // EMFILE and friends: wait a little rather than spin.
                    tracing::warn!(error = %e, "sandbox accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        match permits.clone().try_acquire_owned() {
            Ok(permit) => {
                let router = router.clone();
                tokio::spawn(async move {
                    serve_connection(stream, router, limits).await;
                    drop(permit);
                });
            }
            Err(_) => {
                tokio::spawn(refuse(stream));
            }
        }
    }
}

async fn serve_connection(mut stream: TcpStream, router: Router, limits: ServeLimits) {
    let _ = stream.set_nodelay(true);
    // The first request's head must arrive within the header timeout. (hyper's own
    // header timeout also runs on idle keep-alive connections, and a client reusing one
    // just as it fires gets "connection closed before message completed": a false alarm.
    // A keep-alive connection is bounded by the connection cap instead.)
    let head = match tokio::time::timeout(limits.header_timeout, read_head(&mut stream)).await {
        Ok(Ok(head)) => head,
        _ => return,
    };
    let service = TowerToHyperService::new(router);
    let connection = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(Prefixed::new(head, stream)), service);
    if let Err(e) = connection.await {
        tracing::debug!(error = %e, "sandbox connection ended");
    }
}

/// Reads until the end of a request head (`\r\n\r\n`, at most 64 KiB); every byte read.
async fn read_head(stream: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    use tokio::io::AsyncReadExt;
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.windows(4).any(|w| w == b"\r\n\r\n") || buf.len() > 64 << 10 {
            return Ok(buf);
        }
    }
}

/// A stream whose first bytes were already read: they are replayed first.
struct Prefixed {
    prefix: Vec<u8>,
    at: usize,
    inner: TcpStream,
}

impl Prefixed {
    fn new(prefix: Vec<u8>, inner: TcpStream) -> Prefixed {
        Prefixed {
            prefix,
            at: 0,
            inner,
        }
    }
}

impl tokio::io::AsyncRead for Prefixed {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        if self.at < self.prefix.len() {
            let n = buf.remaining().min(self.prefix.len() - self.at);
            let at = self.at;
            buf.put_slice(&self.prefix[at..at + n]);
            self.at += n;
            return std::task::Poll::Ready(Ok(()));
        }
        std::pin::Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for Prefixed {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

async fn refuse(mut stream: TcpStream) {
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        let _ = stream.write_all(&refusal()).await;
        let _ = stream.shutdown().await;
    })
    .await;
}

/// Hands the request on with a body that must arrive within the body timeout: past it,
/// the body stream ends in an error, the handler answers what it answers to an unreadable
/// body, and the connection is freed. Nothing is buffered here.
async fn body_deadline(req: Request, next: Next, limits: ServeLimits) -> Response {
    use futures::StreamExt;
    let (parts, body) = req.into_parts();
    let deadline = tokio::time::Instant::now() + limits.body_timeout;
    let stream = futures::stream::unfold(Some(body.into_data_stream()), move |state| async move {
        let mut stream = state?;
        match tokio::time::timeout_at(deadline, stream.next()).await {
            Ok(Some(chunk)) => Some((chunk, Some(stream))),
            Ok(None) => None,
            Err(_) => Some((
                Err(axum::Error::new("the request body did not arrive in time")),
                None,
            )),
        }
    });
    next.run(Request::from_parts(parts, Body::from_stream(stream)))
        .await
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_refusal_declares_its_length() {
        let refusal = super::refusal();
        let text = std::str::from_utf8(&refusal).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(
            head.contains(&format!("Content-Length: {}", body.len())),
            "{}",
            body.len()
        );
    }
}
