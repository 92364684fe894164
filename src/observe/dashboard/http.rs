//! The dashboard's HTTP side: binding the address, the server loop (which also samples
//! the budget), and the answers to `/`, `/status` and `/status.json`.

use super::state::Shared;
use crate::exec::client::RuntimeError;
use std::net::{SocketAddr, TcpListener, ToSocketAddrs};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How often the server thread samples the budget.
const SAMPLE_EVERY: Duration = Duration::from_millis(250);

/// The page served at `/`.
const PAGE: &str = include_str!("dashboard.html");

/// Turns `":8787"` into `"127.0.0.1:8787"`.
pub(super) fn normalise(address: &str) -> String {
    let address = address.trim();
    if address.starts_with(':') {
        format!("127.0.0.1{address}")
    } else {
        address.to_string()
    }
}

/// Binds `address` (normalised as by [`normalise`]); returns the server and the address it
/// is bound to (with the port the OS picked for port 0).
pub(super) fn bind(address: &str) -> Result<(tiny_http::Server, SocketAddr), RuntimeError> {
    let address = normalise(address);
    let bad = |reason: String| RuntimeError::DashboardAddress {
        address: address.clone(),
        reason,
    };
    let candidates: Vec<SocketAddr> = address
        .to_socket_addrs()
        .map_err(|e| bad(e.to_string()))?
        .collect();
    if candidates.is_empty() {
        return Err(bad("it resolves to no socket address".to_string()));
    }
    let listener = TcpListener::bind(candidates.as_slice()).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            RuntimeError::DashboardAddressInUse {
                address: address.clone(),
            }
        } else {
            bad(e.to_string())
        }
    })?;
    let bound = listener.local_addr().map_err(|e| bad(e.to_string()))?;
    let server =
        tiny_http::Server::from_listener(listener, None).map_err(|e| bad(e.to_string()))?;
    Ok((server, bound))
}

/// The server loop: answers requests and samples the budget until stopped.
pub(super) fn serve(server: &tiny_http::Server, shared: &Shared, stop: &AtomicBool) {
    let mut next_sample = Instant::now() + SAMPLE_EVERY;
    while !stop.load(Ordering::Acquire) {
        let wait = next_sample.saturating_duration_since(Instant::now());
        match server.recv_timeout(wait) {
            Ok(Some(request)) => {
                // A panic while answering one request must not end the server.
                let _ = catch_unwind(AssertUnwindSafe(|| answer(request, shared)));
            }
            Ok(None) => {}
            // The listener failed (or was unblocked): nothing more will arrive.
            Err(_) => {
                if stop.load(Ordering::Acquire) {
                    return;
                }
                std::thread::sleep(SAMPLE_EVERY);
            }
        }
        if Instant::now() >= next_sample {
            let _ = catch_unwind(AssertUnwindSafe(|| shared.sample()));
            next_sample = Instant::now() + SAMPLE_EVERY;
        }
    }
}

fn header(name: &str, value: &str) -> Option<tiny_http::Header> {
    tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()).ok()
}

/// Answers one request.
fn answer(request: tiny_http::Request, shared: &Shared) {
    use tiny_http::{Method, Response};
    let method = request.method().clone();
    if method != Method::Get && method != Method::Head {
        let mut response = Response::from_string("only GET is supported\n").with_status_code(405);
        if let Some(h) = header("Allow", "GET, HEAD") {
            response.add_header(h);
        }
        send(request, response);
        return;
    }
    let path = request.url().split(['?', '#']).next().unwrap_or("/");
    let (body, content_type, status) = match path {
        "/" | "/status" | "/index.html" => (PAGE.to_string(), "text/html; charset=utf-8", 200),
        "/status.json" => (shared.status_json().to_string(), "application/json", 200),
        _ => (
            "not found: try / or /status.json\n".to_string(),
            "text/plain; charset=utf-8",
            404,
        ),
    };
    let mut response = Response::from_string(body).with_status_code(status);
    for h in [
        header("Content-Type", content_type),
        header("Cache-Control", "no-store"),
    ]
    .into_iter()
    .flatten()
    {
        response.add_header(h);
    }
    send(request, response);
}

/// Writes the response on a thread of its own, so a browser that stops reading cannot
/// stall the server (or `stop`, which waits for the server thread); write errors (a client
/// that went away) are ignored.
fn send(request: tiny_http::Request, response: tiny_http::Response<std::io::Cursor<Vec<u8>>>) {
    let slot = Arc::new(Mutex::new(Some((request, response))));
    let theirs = slot.clone();
    let spawned = std::thread::Builder::new()
        .name("spillway-dashboard-reply".to_string())
        .spawn(move || {
            let taken = theirs.lock().unwrap_or_else(PoisonError::into_inner).take();
            if let Some((request, response)) = taken {
                let _ = request.respond(response);
            }
        });
    if spawned.is_err() {
        // No thread to spare: answer here.
        let taken = slot.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some((request, response)) = taken {
            let _ = request.respond(response);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_normalised() {
        assert_eq!(normalise(":8787"), "127.0.0.1:8787");
        assert_eq!(normalise(" 127.0.0.1:0 "), "127.0.0.1:0");
    }
}
