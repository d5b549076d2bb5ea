//! HTTP: the awsJson1_1 wire protocol on `POST /`, and the control API under [`CONTROL_PREFIX`].

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::api::{self, ApiError, Timing};
use crate::state::{State, now};

/// Paths under this prefix are the emulator's own control API, not Personalize.
pub const CONTROL_PREFIX: &str = "/_pz-emulator/";

const TARGET_PREFIX: &str = "AmazonPersonalize.";
const AWS_JSON: &str = "application/x-amz-json-1.1";
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What to do to matching calls instead of, or before, handling them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum FaultKind {
    /// `ThrottlingException`, which the SDKs retry.
    Throttling,
    /// HTTP 500 `InternalFailure`.
    InternalError,
    /// Answer normally, after a delay.
    Delay { millis: u64 },
    /// Take effect at once, answer after a delay: a client whose attempt times out first never learns that
    /// its write landed, and its SDK sends the same write again (a lost answer).
    LateAnswer { millis: u64 },
    /// Any error code and message, with an HTTP status (400 by default).
    Error {
        code: String,
        #[serde(default)]
        message: String,
        #[serde(default = "default_error_status")]
        status: u16,
    },
}

fn default_error_status() -> u16 {
    400
}

/// A fault for the next `count` calls of `operation` (`*` for any), or all of them without a count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultRule {
    pub operation: String,
    #[serde(default)]
    pub count: Option<u32>,
    #[serde(flatten)]
    pub fault: FaultKind,
}

/// One call as the request log shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoggedCall {
    pub sequence: u64,
    pub operation: String,
    pub input: Value,
    pub http_status: u16,
    /// The error code returned, `None` on success.
    pub error: Option<String>,
    pub time: f64,
}

/// How the emulator starts.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    pub timing: Timing,
    /// The state to start from and to return to on reset.
    pub seed: State,
    /// Where to persist state; if the file exists, state is loaded from it instead of the seed.
    pub state_file: Option<PathBuf>,
    /// Eventual consistency: after an accepted create or update, this many DescribeCampaign calls of that
    /// campaign answer as before the write.
    pub stale_reads: u32,
}

/// A Personalize control plane in memory. Clone it freely: clones share state.
#[derive(Debug, Clone)]
pub struct Emulator {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    timing: Timing,
    seed: State,
    state_file: Option<PathBuf>,
    state: Mutex<State>,
    faults: Mutex<Vec<FaultRule>>,
    log: Mutex<Vec<LoggedCall>>,
    sequence: AtomicU64,
    stale_reads: AtomicU32,
    /// The stale-reads setting the emulator started with, which reset returns to.
    initial_stale_reads: u32,
    /// Campaign ARN -> the answer DescribeCampaign gave before the last write, and how many more times it
    /// is given.
    stale_views: Mutex<BTreeMap<String, StaleView>>,
    /// One writer of the state file at a time, so that the newest state is always the last one renamed.
    persisting: Mutex<()>,
    temporary_files: AtomicU64,
}

#[derive(Debug)]
struct StaleView {
    answer: Result<Value, ApiError>,
    remaining: u32,
}

/// The reads that stale reads delay, and the writes after which they answer as before.
struct StaleKind {
    describe: &'static str,
    writes: &'static [&'static str],
    arn_member: &'static str,
    noun: &'static str,
}

const STALE_KINDS: &[StaleKind] = &[
    StaleKind {
        describe: "DescribeCampaign",
        writes: &["CreateCampaign", "UpdateCampaign"],
        arn_member: "campaignArn",
        noun: "campaign",
    },
    StaleKind {
        describe: "DescribeRecommender",
        writes: &["CreateRecommender", "UpdateRecommender", "StartRecommender", "StopRecommender"],
        arn_member: "recommenderArn",
        noun: "recommender",
    },
];

/// Locks a mutex even if a panicking thread poisoned it: the data is plain values, still consistent.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot read state file {path}: {message}")]
    StateFile { path: String, message: String },
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
}

/// A running server: its address, and the means to stop it.
#[derive(Debug)]
pub struct RunningEmulator {
    pub addr: SocketAddr,
    pub emulator: Emulator,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl RunningEmulator {
    pub fn endpoint_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Emulator {
    pub fn new(config: EmulatorConfig) -> Result<Self, StartError> {
        let state = match &config.state_file {
            Some(path) if path.exists() => {
                let error =
                    |message: String| StartError::StateFile { path: path.display().to_string(), message };
                let text = std::fs::read_to_string(path).map_err(|e| error(e.to_string()))?;
                serde_json::from_str(&text).map_err(|e| error(e.to_string()))?
            }
            _ => config.seed.clone(),
        };
        let emulator = Emulator {
            inner: Arc::new(Inner {
                timing: config.timing,
                seed: config.seed,
                state_file: config.state_file,
                state: Mutex::new(state),
                faults: Mutex::new(Vec::new()),
                log: Mutex::new(Vec::new()),
                sequence: AtomicU64::new(0),
                stale_reads: AtomicU32::new(config.stale_reads),
                initial_stale_reads: config.stale_reads,
                stale_views: Mutex::new(BTreeMap::new()),
                persisting: Mutex::new(()),
                temporary_files: AtomicU64::new(0),
            }),
        };
        emulator.persist();
        Ok(emulator)
    }

    /// Binds `addr` (port 0 picks a free one) and serves until stopped.
    pub async fn start(self, addr: SocketAddr) -> Result<RunningEmulator, StartError> {
        let listener = TcpListener::bind(addr).await.map_err(|source| StartError::Bind { addr, source })?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind { addr, source })?;
        let (shutdown, mut stopped) = oneshot::channel();
        let emulator = self.clone();
        let task = tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    accepted = listener.accept() => {
                        let Ok((stream, _)) = accepted else { continue };
                        let emulator = emulator.clone();
                        tokio::spawn(async move {
                            let service = service_fn(move |request| {
                                let emulator = emulator.clone();
                                async move { Ok::<_, Infallible>(emulator.handle(request).await) }
                            });
                            let _ = hyper::server::conn::http1::Builder::new()
                                .serve_connection(TokioIo::new(stream), service)
                                .await;
                        });
                    }
                }
            }
        });
        Ok(RunningEmulator { addr, emulator: self, shutdown: Some(shutdown), task })
    }

    /// A copy of the current state, moved along to now.
    pub fn state(&self) -> State {
        let mut state = lock(&self.inner.state);
        state.advance(now());
        state.clone()
    }

    pub fn requests(&self) -> Vec<LoggedCall> {
        lock(&self.inner.log).clone()
    }

    pub fn add_fault(&self, rule: FaultRule) {
        lock(&self.inner.faults).push(rule);
    }

    /// Shorthand for [`Emulator::add_fault`]: `fault` for the next `count` calls of `operation` (`*` for
    /// any), or for all of them with no count.
    pub fn inject(&self, operation: &str, count: Option<u32>, fault: FaultKind) {
        self.add_fault(FaultRule { operation: operation.to_string(), count, fault });
    }

    pub fn clear_faults(&self) {
        lock(&self.inner.faults).clear();
    }

    /// From now on, after each accepted create or update, the next `count` DescribeCampaign calls of that
    /// campaign on the wire answer as before the write (ResourceNotFoundException after a create). 0 turns
    /// it off and forgets views not yet served.
    pub fn set_stale_reads(&self, count: u32) {
        self.inner.stale_reads.store(count, Ordering::Relaxed);
        if count == 0 {
            lock(&self.inner.stale_views).clear();
        }
    }

    /// The next create or update of `campaign_arn` ends in `CREATE FAILED` with `reason`.
    pub fn fail_next_update(&self, campaign_arn: &str, reason: &str) {
        lock(&self.inner.state).fail_next_update.insert(campaign_arn.to_string(), reason.to_string());
        self.persist();
    }

    /// Sets the raw status string of a campaign or recommender, or of its latest update, and freezes it
    /// there (no work in flight moves it on): for testing clients against statuses AWS may add, such as
    /// `UPDATE IN_PROGRESS`.
    pub fn set_status(&self, arn: &str, status: &str, latest_update: bool) -> Result<(), String> {
        {
            let mut state = lock(&self.inner.state);
            let no_update = || format!("{arn} has no latest update");
            if let Some(campaign) = state.campaigns.get_mut(arn) {
                if latest_update {
                    let update = campaign.latest_campaign_update.as_mut().ok_or_else(no_update)?;
                    update.job = None;
                    update.status = status.to_string();
                } else {
                    campaign.job = None;
                    campaign.status = status.to_string();
                }
            } else if let Some(recommender) = state.recommenders.get_mut(arn) {
                if latest_update {
                    let update = recommender.latest_recommender_update.as_mut().ok_or_else(no_update)?;
                    update.job = None;
                    update.status = status.to_string();
                } else {
                    recommender.job = None;
                    recommender.status = status.to_string();
                }
            } else {
                return Err(format!("no campaign or recommender {arn}"));
            }
        }
        self.persist();
        Ok(())
    }

    /// Ends all in-flight creates, updates and deletes now.
    pub fn finish_in_flight(&self) {
        lock(&self.inner.state).finish_all(now());
        self.persist();
    }

    /// Back to the seed, with no faults, the stale-reads setting it started with and an empty request log.
    pub fn reset(&self) {
        *lock(&self.inner.state) = self.inner.seed.clone();
        self.clear_faults();
        self.set_stale_reads(0);
        self.set_stale_reads(self.inner.initial_stale_reads);
        lock(&self.inner.log).clear();
        self.persist();
    }

    /// Adds the solutions, solution versions and dataset groups of `other` (what campaigns and
    /// recommenders are made from) that the current state lacks, leaving everything else (campaigns,
    /// recommenders, tags, in-flight work) as it is.
    pub fn add_missing_sources(&self, other: &State) {
        {
            let mut state = lock(&self.inner.state);
            for (arn, group) in &other.dataset_groups {
                state.dataset_groups.entry(arn.clone()).or_insert_with(|| group.clone());
            }
            for (arn, solution) in &other.solutions {
                state.solutions.entry(arn.clone()).or_insert_with(|| solution.clone());
            }
            for (arn, version) in &other.solution_versions {
                state.solution_versions.entry(arn.clone()).or_insert_with(|| version.clone());
            }
        }
        self.persist();
    }

    /// Runs one Personalize operation as a call on the wire would, without the faults and always from the
    /// current state (no stale reads): what tests use to see the truth.
    pub fn call(&self, operation: &str, input: &Value) -> Result<Value, ApiError> {
        self.call_in_region(operation, input, None)
    }

    fn call_in_region(
        &self,
        operation: &str,
        input: &Value,
        region: Option<&str>,
    ) -> Result<Value, ApiError> {
        let result = api::call_in_region(
            &mut lock(&self.inner.state),
            self.inner.timing,
            operation,
            input,
            now(),
            region,
        );
        if result.is_ok() && api::is_mutating(operation) {
            self.persist();
        }
        result
    }

    /// A call from a client: eventually consistent when stale reads are on. A describe with a stale view
    /// pending gets the old answer; an accepted create, update, start or stop leaves the answer from before
    /// it.
    fn call_from_client(
        &self,
        operation: &str,
        input: &Value,
        region: Option<&str>,
    ) -> Result<Value, ApiError> {
        let kind =
            STALE_KINDS.iter().find(|kind| kind.describe == operation || kind.writes.contains(&operation));
        let Some(kind) = kind else { return self.call_in_region(operation, input, region) };
        let arn = input.get(kind.arn_member).and_then(Value::as_str).map(str::to_string);
        if operation == kind.describe
            && let Some(arn) = &arn
        {
            let mut views = lock(&self.inner.stale_views);
            if let Some(view) = views.get_mut(arn) {
                let answer = view.answer.clone();
                view.remaining -= 1;
                if view.remaining == 0 {
                    views.remove(arn);
                }
                return answer;
            }
        }
        let count = self.inner.stale_reads.load(Ordering::Relaxed);
        if count == 0 || operation == kind.describe {
            return self.call_in_region(operation, input, region);
        }
        // The create's ARN is known only from its answer; the view before it is "not found".
        let before = arn.as_ref().map(|arn| self.call(kind.describe, &json!({ kind.arn_member: arn })));
        let result = self.call_in_region(operation, input, region)?;
        let arn = arn.or_else(|| result.get(kind.arn_member).and_then(Value::as_str).map(str::to_string));
        if let Some(arn) = arn {
            let answer = before.unwrap_or_else(|| {
                Err(ApiError::new(
                    "ResourceNotFoundException",
                    400,
                    format!("Could not find {} with ARN {arn}", kind.noun),
                ))
            });
            lock(&self.inner.stale_views).insert(arn, StaleView { answer, remaining: count });
        }
        Ok(result)
    }

    /// Writes the state file, if there is one: to a temporary file of its own first, so a crash never
    /// leaves half a file, under one lock, so that an older state is never renamed over a newer one.
    fn persist(&self) {
        let Some(path) = &self.inner.state_file else { return };
        let _writer = lock(&self.inner.persisting);
        let text = match serde_json::to_string_pretty(&*lock(&self.inner.state)) {
            Ok(text) => text,
            Err(error) => {
                tracing::error!(%error, "cannot serialise emulator state");
                return;
            }
        };
        let unique = self.inner.temporary_files.fetch_add(1, Ordering::Relaxed);
        let file_name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
        let temporary = path.with_file_name(format!(".{file_name}.{}.{unique}.tmp", std::process::id()));
        if let Err(error) = std::fs::write(&temporary, text).and_then(|()| std::fs::rename(&temporary, path))
        {
            let _ = std::fs::remove_file(&temporary);
            tracing::error!(%error, path = %path.display(), "cannot write emulator state file");
        }
    }

    async fn handle(&self, request: Request<Incoming>) -> Response<Full<Bytes>> {
        let path = request.uri().path().to_string();
        if let Some(control) = path.strip_prefix(CONTROL_PREFIX) {
            let method = request.method().clone();
            let control = control.to_string();
            return match read_body(request).await {
                Ok(body) => self.control(&method, &control, &body),
                Err(error) => json_response(StatusCode::BAD_REQUEST, &json!({ "error": error.message })),
            };
        }
        let sequence = self.inner.sequence.fetch_add(1, Ordering::Relaxed) + 1;
        let request_id = request_id(sequence);
        let (operation, result, late) = self.personalize(request).await;
        let (status, body, error_code) = match result {
            Ok(body) => (200, body, None),
            Err(error) => {
                let body = json!({ "__type": error.code, "message": error.message });
                (error.status, body, Some(error.code))
            }
        };
        if let Some((operation, input)) = operation {
            lock(&self.inner.log).push(LoggedCall {
                sequence,
                operation,
                input,
                http_status: status,
                error: error_code.clone(),
                time: now(),
            });
        }
        // Logged first: the call took effect, whether or not the client is still there for its answer.
        if let Some(late) = late {
            tokio::time::sleep(late).await;
        }
        let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
        *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(AWS_JSON));
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            headers.insert("x-amzn-requestid", value);
        }
        if let Some(code) = error_code.and_then(|code| HeaderValue::from_str(&code).ok()) {
            headers.insert("x-amzn-errortype", code);
        }
        response
    }

    /// The Personalize side: checks the envelope, applies faults, runs the operation. Returns the operation
    /// and its parsed input for the log, when the request got that far, and how long to hold the answer.
    async fn personalize(
        &self,
        request: Request<Incoming>,
    ) -> (Option<(String, Value)>, Result<Value, ApiError>, Option<Duration>) {
        if request.method() != Method::POST || request.uri().path() != "/" {
            let message = format!("Unknown route {} {}", request.method(), request.uri().path());
            return (None, Err(ApiError::new("UnknownOperationException", 404, message)), None);
        }
        let headers = request.headers();
        if !headers.contains_key(hyper::header::AUTHORIZATION) {
            let error =
                ApiError::new("MissingAuthenticationTokenException", 403, "Missing Authentication Token");
            return (None, Err(error), None);
        }
        let content_type = headers.get(CONTENT_TYPE).and_then(|value| value.to_str().ok()).unwrap_or("");
        if !content_type.starts_with(AWS_JSON) {
            let message = format!("Content-Type must be {AWS_JSON}, got '{content_type}'");
            return (None, Err(ApiError::new("UnsupportedMediaTypeException", 415, message)), None);
        }
        let region = signed_region(headers);
        let target = headers.get("x-amz-target").and_then(|value| value.to_str().ok()).unwrap_or("");
        let Some(operation) = target.strip_prefix(TARGET_PREFIX).filter(|op| api::OPERATIONS.contains(op))
        else {
            let message = format!("Unknown operation '{target}'");
            return (None, Err(ApiError::new("UnknownOperationException", 400, message)), None);
        };
        let operation = operation.to_string();
        let body = match read_body(request).await {
            Ok(body) => body,
            Err(error) => return (Some((operation, Value::Null)), Err(error), None),
        };
        let input: Value = if body.is_empty() {
            json!({})
        } else {
            match serde_json::from_slice(&body) {
                Ok(input) => input,
                Err(error) => {
                    let error = ApiError::serialization(format!("Malformed JSON: {error}"));
                    return (Some((operation, Value::Null)), Err(error), None);
                }
            }
        };
        let mut late = None;
        let result = match self.take_fault(&operation) {
            Some(FaultKind::Throttling) => Err(ApiError::new("ThrottlingException", 400, "Rate exceeded")),
            Some(FaultKind::InternalError) => Err(ApiError::new(
                "InternalFailure",
                500,
                "The request processing has failed because of an unknown error",
            )),
            Some(FaultKind::Error { code, message, status }) => Err(ApiError::new(&code, status, message)),
            Some(FaultKind::Delay { millis }) => {
                tokio::time::sleep(Duration::from_millis(millis)).await;
                self.call_from_client(&operation, &input, region.as_deref())
            }
            Some(FaultKind::LateAnswer { millis }) => {
                late = Some(Duration::from_millis(millis));
                self.call_from_client(&operation, &input, region.as_deref())
            }
            None => self.call_from_client(&operation, &input, region.as_deref()),
        };
        (Some((operation, input)), result, late)
    }

    fn take_fault(&self, operation: &str) -> Option<FaultKind> {
        let mut faults = lock(&self.inner.faults);
        let rule = faults
            .iter_mut()
            .find(|rule| (rule.operation == "*" || rule.operation == operation) && rule.count != Some(0))?;
        if let Some(count) = rule.count.as_mut() {
            *count -= 1;
        }
        Some(rule.fault.clone())
    }

    fn control(&self, method: &Method, path: &str, body: &[u8]) -> Response<Full<Bytes>> {
        let parsed = || serde_json::from_slice::<Value>(if body.is_empty() { b"{}" } else { body });
        match (method, path.trim_end_matches('/')) {
            (&Method::GET, "health") => json_response(StatusCode::OK, &json!({ "ok": true })),
            (&Method::GET, "requests") => json_response(StatusCode::OK, &json!(self.requests())),
            (&Method::GET, "state") => json_response(StatusCode::OK, &json!(self.state())),
            (&Method::GET, "faults") => json_response(StatusCode::OK, &json!(*lock(&self.inner.faults))),
            (&Method::POST, "faults") => match serde_json::from_slice::<FaultRule>(body) {
                Ok(rule) => {
                    self.add_fault(rule);
                    json_response(StatusCode::OK, &json!({}))
                }
                Err(error) => bad_request(format!(
                    "expected {{\"operation\": \"UpdateCampaign\" or \"*\", \"count\": 3 (optional), \"kind\": \
                     \"throttling\" | \"internal-error\" | \"delay\" or \"late-answer\" (with \"millis\") | \"error\" (with \"code\", \
                     \"message\", \"status\")}}: {error}"
                )),
            },
            (&Method::DELETE, "faults") => {
                self.clear_faults();
                json_response(StatusCode::OK, &json!({}))
            }
            (&Method::POST, "fail-next-update") => {
                let request = parsed().ok();
                let field = |name: &str| request.as_ref().and_then(|r| r.get(name)).and_then(Value::as_str);
                let campaign = field("campaignArn").or(field("recommenderArn"));
                let reason = request.as_ref().and_then(|r| r.get("reason")).and_then(Value::as_str);
                match (campaign, reason) {
                    (Some(campaign), reason) => {
                        self.fail_next_update(campaign, reason.unwrap_or("Forced failure (pz-emulator)"));
                        json_response(StatusCode::OK, &json!({}))
                    }
                    _ => bad_request(
                        "expected {\"campaignArn\" or \"recommenderArn\": \"...\", \"reason\": \"...\"}"
                            .to_string(),
                    ),
                }
            }
            (&Method::POST, "set-status") => {
                let request = parsed().ok();
                let field = |name: &str| request.as_ref().and_then(|r| r.get(name)).and_then(Value::as_str);
                let latest =
                    matches!(field("target"), Some("latestCampaignUpdate" | "latestRecommenderUpdate"));
                match (field("campaignArn").or(field("recommenderArn")), field("status")) {
                    (Some(arn), Some(status)) => {
                        match self.set_status(arn, status, latest) {
                            Ok(()) => json_response(StatusCode::OK, &json!({})),
                            Err(message) => bad_request(message),
                        }
                    }
                    _ => bad_request(
                        "expected {\"campaignArn\" or \"recommenderArn\": \"...\", \"status\": \"...\", \"target\": \
                         \"campaign\" or \"latestCampaignUpdate\" / \"latestRecommenderUpdate\"}"
                            .to_string(),
                    ),
                }
            }
            (&Method::POST, "stale-reads") => {
                match parsed().ok().and_then(|r| r.get("count").and_then(Value::as_u64)) {
                    Some(count) => {
                        self.set_stale_reads(u32::try_from(count).unwrap_or(u32::MAX));
                        json_response(StatusCode::OK, &json!({}))
                    }
                    None => bad_request("expected {\"count\": N}, N >= 0".to_string()),
                }
            }
            (&Method::POST, "finish") => {
                self.finish_in_flight();
                json_response(StatusCode::OK, &json!({}))
            }
            (&Method::POST, "reset") => {
                self.reset();
                json_response(StatusCode::OK, &json!({}))
            }
            _ => json_response(
                StatusCode::NOT_FOUND,
                &json!({ "error": format!("no control endpoint {method} {CONTROL_PREFIX}{path}") }),
            ),
        }
    }
}

/// The region a SigV4 request was signed for: `Credential=AKID/DATE/REGION/SERVICE/aws4_request`.
fn signed_region(headers: &hyper::HeaderMap) -> Option<String> {
    let authorization = headers.get(hyper::header::AUTHORIZATION)?.to_str().ok()?;
    let credential = authorization.split("Credential=").nth(1)?;
    let scope = credential.split([',', ' ']).next()?;
    scope.split('/').nth(2).filter(|region| !region.is_empty()).map(str::to_string)
}

async fn read_body(request: Request<Incoming>) -> Result<Bytes, ApiError> {
    Limited::new(request.into_body(), MAX_BODY_BYTES)
        .collect()
        .await
        .map(|collected| collected.to_bytes())
        .map_err(|error| ApiError::serialization(format!("Cannot read the request body: {error}")))
}

fn json_response(status: StatusCode, body: &Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn bad_request(message: String) -> Response<Full<Bytes>> {
    json_response(StatusCode::BAD_REQUEST, &json!({ "error": message }))
}

/// A request id shaped like AWS's (a UUID), unique within a run.
fn request_id(sequence: u64) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mixed = nanos.rotate_left(17) ^ sequence.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        (mixed >> 32) as u32,
        (mixed >> 16) as u16,
        (mixed & 0xfff) as u16,
        (sequence & 0xfff) as u16,
        sequence & 0xffff_ffff_ffff
    )
}
