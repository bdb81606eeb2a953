//! `exchanges.har`: every exchange of a run as an HTTP Archive 1.2, the format every
//! browser's network panel and HTTP debugging proxy opens.
//!
//! ```json
//! {"log":{"version":"1.2","creator":{"name":"gatecheck","version":"0.1.0"},"entries":[
//! {"pageref":"page_1","startedDateTime":"2026-11-21T12:06:00.120Z","time":3.1,
//!  "request":{"method":"GET","url":"http://127.0.0.1:8080/health",…},
//!  "response":{"status":200,…,"content":{"size":15,"mimeType":"application/json","text":"{\"status\":\"ok\"}"}},…},
//! …
//! ],"pages":[{"id":"page_1","title":"health",…}],"comment":"…"}}
//! ```
//!
//! Entries are streamed to `exchanges.har.partial` as they happen (one line each) and the
//! file is closed and renamed by [`HarWriter::finish`]: memory stays flat however long the
//! run. Bodies are cut to the evidence excerpt size ([`EXCERPT_BYTES`]); after
//! [`MAX_ENTRIES`] entries later exchanges are counted, not kept. Every text goes through
//! [`mask`] first (bodies through `excerpt`, which masks before it cuts). A finding cites its exchange by the entry's index
//! (`ExchangeEvidence::har_entry`, `log.entries[i]`).

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use har::v1_2::{Cache, Content, Entries, Headers, PageTimings, Pages, PostData, QueryString};
use parking_lot::Mutex;
use reqwest::header::HeaderMap;

use super::ReportError;
use crate::engine::client::{
    excerpt, Answer, ExchangeJournal, Masker, Recorded, SentRequest, EXCERPT_BYTES,
};

/// The HAR's file name in the report folder.
pub const HAR_FILE: &str = "exchanges.har";
/// At most this many entries per file; later exchanges are counted in the log's comment.
pub const MAX_ENTRIES: usize = 50_000;

/// The one place HAR text is masked. Everything written to the HAR passes here.
fn mask(masker: &Masker, text: &str) -> String {
    masker.mask(text)
}

/// Streams a run's exchanges into `exchanges.har`. Shared by every client of the run.
#[derive(Debug)]
pub struct HarWriter {
    final_path: PathBuf,
    partial_path: PathBuf,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    out: Option<BufWriter<File>>,
    entries: usize,
    dropped: usize,
    /// The first write error; nothing is kept after it.
    error: Option<std::io::Error>,
    pages: Vec<Pages>,
}

/// What [`HarWriter::finish`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HarSummary {
    pub path: PathBuf,
    pub entries: usize,
    /// Exchanges past [`MAX_ENTRIES`], not kept.
    pub dropped: usize,
}

impl HarWriter {
    /// Starts `out_dir/exchanges.har` (written as `.partial` until [`Self::finish`]).
    pub fn create(out_dir: &Path, creator_version: &str) -> Result<Arc<HarWriter>, ReportError> {
        fs::create_dir_all(out_dir)?;
        let final_path = out_dir.join(HAR_FILE);
        let partial_path = out_dir.join(format!("{HAR_FILE}.partial"));
        let mut out = BufWriter::new(File::create(&partial_path)?);
        let creator = har::v1_2::Creator {
            name: "gatecheck".to_string(),
            version: creator_version.to_string(),
            comment: None,
        };
        write!(
            out,
            "{{\"log\":{{\"version\":\"1.2\",\"creator\":{},\"entries\":[",
            serde_json::to_string(&creator)?
        )?;
        Ok(Arc::new(HarWriter {
            final_path,
            partial_path,
            state: Mutex::new(State {
                out: Some(out),
                entries: 0,
                dropped: 0,
                error: None,
                pages: Vec::new(),
            }),
        }))
    }

    /// Groups the exchanges from now on under a page (a phase: `health`, `contract`, …),
    /// as a network panel shows them.
    pub fn begin_page(&self, title: &str) {
        let mut state = self.state.lock();
        let id = format!("page_{}", state.pages.len() + 1);
        state.pages.push(Pages {
            started_date_time: rfc3339(SystemTime::now()),
            id,
            title: title.to_string(),
            page_timings: PageTimings {
                on_content_load: Some(-1.0),
                on_load: Some(-1.0),
                comment: None,
            },
            comment: None,
        });
    }

    /// Closes the document and renames it to `exchanges.har`.
    pub fn finish(&self) -> Result<HarSummary, ReportError> {
        let mut state = self.state.lock();
        if let Some(error) = state.error.take() {
            return Err(ReportError::Io(error));
        }
        let Some(mut out) = state.out.take() else {
            return Err(ReportError::Io(std::io::Error::other(
                "the HAR was already finished",
            )));
        };
        let mut comment = format!(
            "Every exchange gatecheck made, in order; secrets masked as $GATECHECK_… variables; \
             bodies cut to {EXCERPT_BYTES} bytes. A finding's har_entry is its index here."
        );
        if state.dropped > 0 {
            comment.push_str(&format!(
                " {} later exchanges were not kept (limit {MAX_ENTRIES} entries).",
                state.dropped
            ));
        }
        write!(
            out,
            "\n],\"pages\":{},\"comment\":{}}}}}\n",
            serde_json::to_string(&state.pages)?,
            serde_json::to_string(&comment)?
        )?;
        out.flush()?;
        drop(out);
        fs::rename(&self.partial_path, &self.final_path)?;
        Ok(HarSummary {
            path: self.final_path.clone(),
            entries: state.entries,
            dropped: state.dropped,
        })
    }
}

impl ExchangeJournal for HarWriter {
    fn record(&self, exchange: &Recorded<'_>) -> Option<usize> {
        let mut state = self.state.lock();
        if state.error.is_some() {
            return None;
        }
        if state.entries >= MAX_ENTRIES {
            state.dropped += 1;
            return None;
        }
        let pageref = state.pages.last().map(|p| p.id.clone());
        let entry = entry(exchange, pageref);
        let index = state.entries;
        let separator = if index == 0 { "\n" } else { ",\n" };
        let out = state.out.as_mut()?;
        let written = out
            .write_all(separator.as_bytes())
            .and_then(|()| serde_json::to_writer(&mut *out, &entry).map_err(Into::into));
        match written {
            Ok(()) => {
                state.entries += 1;
                Some(index)
            }
            Err(error) => {
                tracing::warn!("cannot write {}: {error}", HAR_FILE);
                state.error = Some(error);
                None
            }
        }
    }
}

/// One HAR entry, every text masked.
fn entry(exchange: &Recorded<'_>, pageref: Option<String>) -> Entries {
    let masker = exchange.masker;
    let url = mask(
        masker,
        &format!("{}{}", exchange.base_url, exchange.request.path),
    );
    let (response, wait, receive, comment) = match &exchange.answer {
        Answer::Response {
            status,
            version,
            headers,
            body,
            wait,
            receive,
        } => (
            response(*status, *version, headers, body, masker),
            *wait,
            *receive,
            None,
        ),
        Answer::Failed { error, elapsed } => {
            let why = format!("no response: {}", mask(masker, error));
            let response = har::v1_2::Response {
                status: 0,
                status_text: String::new(),
                http_version: String::new(),
                comment: Some(why.clone()),
                content: Content {
                    size: 0,
                    mime_type: Some(String::new()),
                    ..Content::default()
                },
                redirect_url: Some(String::new()),
                headers_size: -1,
                body_size: -1,
                ..har::v1_2::Response::default()
            };
            (response, *elapsed, Duration::ZERO, Some(why))
        }
    };
    let mut request = request(exchange.request, &url, masker);
    if !response.http_version.is_empty() {
        request.http_version = response.http_version.clone();
    }
    Entries {
        pageref,
        started_date_time: rfc3339(exchange.started),
        time: millis(wait + receive),
        request,
        response,
        cache: Cache::default(),
        timings: har::v1_2::Timings {
            blocked: Some(-1.0),
            dns: Some(-1.0),
            connect: Some(-1.0),
            send: 0.0,
            wait: millis(wait),
            receive: millis(receive),
            ssl: Some(-1.0),
            comment: None,
        },
        server_ip_address: None,
        connection: None,
        comment,
    }
}

fn request(sent: &SentRequest, url: &str, masker: &Masker) -> har::v1_2::Request {
    let query_string = url::Url::parse(url)
        .map(|u| {
            u.query_pairs()
                .map(|(name, value)| QueryString {
                    name: name.into_owned(),
                    value: value.into_owned(),
                    comment: None,
                })
                .collect()
        })
        .unwrap_or_default();
    let headers: Vec<Headers> = sent
        .headers
        .iter()
        .map(|(name, value)| Headers {
            name: mask(masker, name),
            value: mask(masker, value),
            comment: None,
        })
        .collect();
    let content_type = sent
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-type"))
        .map(|(_, value)| mask(masker, value));
    har::v1_2::Request {
        method: sent.method.clone(),
        url: url.to_string(),
        http_version: "HTTP/1.1".to_string(),
        cookies: Vec::new(),
        headers,
        query_string,
        post_data: sent.body.as_ref().map(|body| PostData {
            mime_type: content_type.unwrap_or_default(),
            text: Some(excerpt(body, masker)),
            params: None,
            comment: cut_note(body.len()),
        }),
        headers_size: -1,
        body_size: sent.body.as_ref().map_or(0, |b| b.len() as i64),
        comment: None,
    }
}

fn response(
    status: u16,
    version: http::Version,
    headers: &HeaderMap,
    body: &[u8],
    masker: &Masker,
) -> har::v1_2::Response {
    let header = |name: &str| {
        headers
            .get(name)
            .map(|v| mask(masker, &String::from_utf8_lossy(v.as_bytes())))
    };
    har::v1_2::Response {
        status: i64::from(status),
        status_text: http::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("")
            .to_string(),
        http_version: format!("{version:?}"),
        cookies: Vec::new(),
        headers: headers
            .iter()
            .map(|(name, value)| Headers {
                name: name.as_str().to_string(),
                value: mask(masker, &String::from_utf8_lossy(value.as_bytes())),
                comment: None,
            })
            .collect(),
        content: Content {
            size: body.len() as i64,
            compression: None,
            mime_type: Some(header("content-type").unwrap_or_default()),
            text: Some(excerpt(body, masker)),
            encoding: None,
            comment: cut_note(body.len()),
        },
        redirect_url: Some(header("location").unwrap_or_default()),
        headers_size: -1,
        body_size: body.len() as i64,
        comment: None,
    }
}

/// `first 1024 of 5210 bytes kept` when a body was cut.
fn cut_note(len: usize) -> Option<String> {
    (len > EXCERPT_BYTES).then(|| format!("first {EXCERPT_BYTES} of {len} bytes kept"))
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn rfc3339(at: SystemTime) -> String {
    time::OffsetDateTime::from(at)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    #[test]
    fn entries_stream_into_a_har_the_parser_reads_with_secrets_masked() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let writer = HarWriter::create(dir.path(), "0.0.0").expect("a HAR");
        let masker = Masker::new();
        masker.add("sk_secret", "GATECHECK_API_KEY");
        writer.begin_page("contract");
        let request = SentRequest {
            method: "POST".into(),
            path: "/orders?limit=2".into(),
            headers: vec![("Authorization".into(), "sk_secret".into())],
            body: Some(Bytes::from(vec![b'x'; EXCERPT_BYTES + 10])),
        };
        let headers = HeaderMap::new();
        let body = Bytes::from_static(b"{\"echo\":\"sk_secret\"}");
        let first = writer.record(&Recorded {
            base_url: "http://127.0.0.1:1",
            request: &request,
            started: SystemTime::now(),
            answer: Answer::Response {
                status: 201,
                version: http::Version::HTTP_11,
                headers: &headers,
                body: &body,
                wait: Duration::from_millis(2),
                receive: Duration::from_millis(1),
            },
            masker: &masker,
        });
        let second = writer.record(&Recorded {
            base_url: "http://127.0.0.1:1",
            request: &request,
            started: SystemTime::now(),
            answer: Answer::Failed {
                error: "timed out".into(),
                elapsed: Duration::from_millis(5),
            },
            masker: &masker,
        });
        assert_eq!((first, second), (Some(0), Some(1)));
        let summary = writer.finish().expect("finished");
        assert_eq!(summary.entries, 2);
        let text = fs::read_to_string(&summary.path).expect("the file");
        assert!(!text.contains("sk_secret"), "a secret leaked: {text}");
        let har::Spec::V1_2(log) = har::from_str(&text).expect("HAR 1.2").log else {
            panic!("not HAR 1.2");
        };
        assert_eq!(log.entries.len(), 2);
        let post = log.entries[0].request.post_data.as_ref().expect("a body");
        assert_eq!(
            post.text.as_deref().map(|t| t.chars().count()),
            Some(EXCERPT_BYTES + 1)
        );
        assert_eq!(log.entries[0].response.status, 201);
        assert_eq!(log.entries[0].request.query_string[0].name, "limit");
        assert_eq!(log.entries[1].response.status, 0);
        assert_eq!(log.entries[1].pageref.as_deref(), Some("page_1"));
    }
}
