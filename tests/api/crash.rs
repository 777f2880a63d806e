//! Crash safety (issue 12): the real `zhunru serve` process, killed with SIGKILL at random
//! moments while payments, confirmations, admissions and deliverables are in flight, and
//! restarted each time (the migrations run again at every start).
//!
//! After each kill, on the crashed database: `zhunru verify-ledger` (and `verify-audit`,
//! once the CLI has it) must exit 0. After each restart: every write the client saw
//! acknowledged (2xx) is there; every payment left without an answer, retried with its
//! Idempotency-Key, pays at most once; no key accounts for two payments and no payment is
//! without a key; no milestone or contract is paid more than its amount.
//!
//! `CRASH_SEED=<n>` replays a run's plan and kill moments (the server's timing still varies).
//! `ZHUNRU_BIN=<path>` tests that binary instead of the one cargo built (a release build, or
//! when several worktrees share one target directory and its `target/debug/zhunru`).
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{Datelike, Utc};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use reqwest::Client;
use serde_json::{json, Value};

use crate::helpers::{backend, fresh_database, PASSWORD};

const ROUNDS: usize = 8;
/// New writes planned per round (twins of payments and follow-up steps come on top).
const PAYMENTS_PER_ROUND: usize = 16;
const ADMISSIONS_PER_ROUND: usize = 5;
const WORKERS: usize = 6;
const MAX_KILL_DELAY_MS: u64 = 300;

/// The binary under test.
fn bin() -> String {
    std::env::var("ZHUNRU_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_zhunru").to_string())
}
const USERS: [&str; 7] = ["admin", "shijian", "caizheng", "xingfu", "hexie", "minzheng", "lingdao"];

// ---------------------------------------------------------------------------------------
// The server process and the CLI

pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) base: String,
    pub(crate) client: Client,
}

impl Server {
    /// Starts `zhunru serve` on a free port and waits until `/healthz` answers.
    pub(crate) async fn start(db_url: &str, log: &Path, demo: bool) -> Server {
        for attempt in 1.. {
            let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let out = std::fs::OpenOptions::new().create(true).append(true).open(log).unwrap();
            let err = out.try_clone().unwrap();
            let mut cmd = Command::new(bin());
            cmd.arg("serve");
            if demo {
                cmd.arg("--demo");
            }
            // Run from the log's (temporary) folder, away from the repository: the binary
            // carries its templates and everything else it needs.
            let child = cmd
                .current_dir(log.parent().unwrap())
                .env("DATABASE_URL", db_url)
                .env("ZHUNRU_BIND", format!("127.0.0.1:{port}"))
                .env_remove("ZHUNRU_TEMPLATES")
                .stdin(Stdio::null())
                .stdout(out)
                .stderr(err)
                .spawn()
                .expect("spawn zhunru serve");
            let client = Client::builder().redirect(reqwest::redirect::Policy::none()).timeout(Duration::from_secs(30)).build().unwrap();
            let mut s = Server { child, base: format!("http://127.0.0.1:{port}"), client };
            let started = Instant::now();
            loop {
                if let Some(status) = s.child.try_wait().unwrap() {
                    // The free port may have been taken in between: try another one.
                    if attempt < 3 && tail(log, 5).contains("binding") {
                        break;
                    }
                    panic!("zhunru serve exited with {status} while starting:\n{}", tail(log, 40));
                }
                if let Ok(r) = s.client.get(format!("{}/healthz", s.base)).timeout(Duration::from_secs(2)).send().await {
                    if r.status().is_success() {
                        return s;
                    }
                }
                assert!(started.elapsed() < Duration::from_secs(120), "zhunru serve not ready after 120 s:\n{}", tail(log, 40));
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
        }
        unreachable!()
    }

    /// SIGKILL (what `Child::kill` sends on Unix): no shutdown, no flushing, no goodbye.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    async fn get(&self, path: &str, token: &str) -> Value {
        let r = self.client.get(format!("{}{path}", self.base)).bearer_auth(token).send().await.unwrap_or_else(|e| panic!("GET {path}: {e}"));
        let status = r.status();
        let body = r.text().await.unwrap();
        assert!(status.is_success(), "GET {path}: {status} {body}");
        serde_json::from_str(&body).unwrap()
    }

    async fn send(&self, tokens: &Tokens, req: &Req) -> Answer {
        send(&self.client, &self.base, tokens, req).await
    }

    /// Every item of a list endpoint, following its pages (`{"items", "next_cursor"}`).
    async fn list_all(&self, path: &str, token: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let mut url = format!("{path}?limit=500");
        loop {
            let page = self.get(&url, token).await;
            out.extend(page["items"].as_array().unwrap_or_else(|| panic!("GET {url} is not a page: {page}")).iter().cloned());
            match page["next_cursor"].as_str() {
                Some(c) => url = format!("{path}?limit=500&cursor={c}"),
                None => return out,
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The last lines of the server's log, for failure messages.
fn tail(log: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Runs `zhunru <subcommand>` against the database; Ok(output) when it exits 0.
pub(crate) fn cli(db_url: &str, subcommand: &str) -> Result<String, String> {
    let out = Command::new(bin())
        .arg(subcommand)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("DATABASE_URL", db_url)
        .output()
        .unwrap_or_else(|e| panic!("run zhunru {subcommand}: {e}"));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    if out.status.success() {
        Ok(text)
    } else {
        Err(format!("zhunru {subcommand} exited with {}:\n{text}", out.status))
    }
}

/// The verification subcommands this build has: `verify-ledger`, and `verify-audit` once
/// it lands.
fn verifiers() -> Vec<&'static str> {
    let help = Command::new(bin()).arg("--help").output().expect("zhunru --help");
    let help = String::from_utf8_lossy(&help.stdout);
    ["verify-ledger", "verify-audit"].into_iter().filter(|c| help.contains(c)).collect()
}

// ---------------------------------------------------------------------------------------
// Requests and answers

type Tokens = HashMap<&'static str, String>;

#[derive(Clone, Debug)]
struct Req {
    path: String,
    user: &'static str,
    body: Value,
    key: Option<String>,
}

#[derive(Clone, Debug)]
enum Answer {
    /// The connection was refused: nothing reached the server.
    NotSent,
    /// Sent, but no complete answer came back (the server died, or a timeout).
    Unanswered(String),
    Got(u16, Option<Value>),
}

impl Answer {
    fn acknowledged(&self) -> bool {
        matches!(self, Answer::Got(s, _) if (200..300).contains(s))
    }
    fn code(&self) -> String {
        match self {
            Answer::Got(s, b) => format!("{s} {}", b.as_ref().and_then(|b| b["error"]["code"].as_str()).unwrap_or("")),
            Answer::Unanswered(e) => format!("no answer ({e})"),
            Answer::NotSent => "not sent".into(),
        }
    }
    fn error_code(&self) -> Option<&str> {
        match self {
            Answer::Got(_, Some(b)) => b["error"]["code"].as_str(),
            _ => None,
        }
    }
    fn id(&self) -> Option<i64> {
        match self {
            Answer::Got(_, Some(b)) => b["id"].as_i64(),
            _ => None,
        }
    }
}

async fn send(client: &Client, base: &str, tokens: &Tokens, req: &Req) -> Answer {
    let mut rb = client.post(format!("{base}{}", req.path)).bearer_auth(&tokens[req.user]).json(&req.body);
    if let Some(k) = &req.key {
        rb = rb.header("Idempotency-Key", k);
    }
    match rb.send().await {
        Err(e) if e.is_connect() => Answer::NotSent,
        Err(e) => Answer::Unanswered(e.to_string()),
        Ok(r) => {
            let status = r.status().as_u16();
            Answer::Got(status, r.json::<Value>().await.ok())
        }
    }
}

// ---------------------------------------------------------------------------------------
// What the client knows

fn fen(s: &str) -> i64 {
    let (y, f) = s.split_once('.').unwrap_or((s, "0"));
    y.parse::<i64>().unwrap() * 100 + format!("{f:0<2}")[..2].parse::<i64>().unwrap()
}

fn yuan(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

struct Milestone {
    id: i64,
    amount: i64,
}

struct Contract {
    id: i64,
    community: &'static str,
    amount: i64,
    advance: Milestone,
    last: Milestone,
    clause: i64,
    /// A deliverable is known to be accepted: the last instalment can be paid.
    last_payable: bool,
}

/// Where a write stands, as far as the client knows.
#[derive(Clone, Debug, PartialEq)]
enum Ack {
    NotTried,
    /// Tried; no answer: it may or may not have happened.
    Open,
    Acked,
    Refused(String),
}

struct Payment {
    contract: usize,
    last: bool,
    amount: i64,
    /// The id and body of the 201 answer, once one came.
    paid: Option<(i64, Value)>,
    state: Ack,
}

struct Disbursement {
    id: i64,
    contract: usize,
    confirm: Ack,
}

struct Admission {
    title: String,
    id: Option<i64>,
    create: Ack,
    submit: Ack,
}

struct Deliverable {
    contract: usize,
    summary: String,
    id: Option<i64>,
    create: Ack,
    accept: Ack,
}

#[derive(Default)]
struct Counts {
    sent: usize,
    acknowledged: usize,
    unanswered: usize,
    retried: usize,
    /// Unanswered payments whose retry found them already made before the crash.
    committed_unanswered: usize,
    lost: usize,
    doubled: usize,
    twin_mismatch: usize,
}

struct World {
    contracts: Vec<Contract>,
    payments: Vec<(String, Payment)>,
    disbursements: Vec<Disbursement>,
    admissions: Vec<Admission>,
    deliverables: Vec<Deliverable>,
    communities: (i64, i64),
    period: (String, String),
    counts: Counts,
    problems: Vec<String>,
    /// Payments already reported as doubled (a replay or twin that paid again).
    explained: BTreeSet<i64>,
}

#[derive(Clone, Copy, Debug)]
enum Op {
    Pay(usize),
    Confirm(usize),
    CreateAdmission(usize),
    SubmitAdmission(usize),
    CreateDeliverable(usize),
    AcceptDeliverable(usize),
}

impl World {
    fn pay_req(&self, p: usize) -> Req {
        let (key, pay) = &self.payments[p];
        let c = &self.contracts[pay.contract];
        let m = if pay.last { &c.last } else { &c.advance };
        Req {
            path: "/api/v1/disbursements".into(),
            user: "caizheng",
            body: json!({"contract_id": c.id, "milestone_id": m.id, "amount": yuan(pay.amount)}),
            key: Some(key.clone()),
        }
    }

    fn req(&self, op: Op) -> Req {
        let post = |path: String, user: &'static str, body: Value| Req { path, user, body, key: None };
        match op {
            Op::Pay(p) => self.pay_req(p),
            Op::Confirm(d) => {
                let d = &self.disbursements[d];
                post(format!("/api/v1/disbursements/{}/confirm", d.id), self.contracts[d.contract].community, json!({}))
            }
            Op::CreateAdmission(a) => post(
                "/api/v1/admissions".into(),
                "shijian",
                json!({
                    "title": self.admissions[a].title, "description": "入户登记辖区商户名称、地址、联系人",
                    "basis": "示范区市场监管局〔2026〕12号", "work_plan": "按月开展",
                    "target_community_ids": [self.communities.0, self.communities.1],
                    "period_start": self.period.0, "period_end": self.period.1, "staffing": "网格员", "budget": "1000.00",
                }),
            ),
            Op::SubmitAdmission(a) => post(format!("/api/v1/admissions/{}/submit", self.admissions[a].id.unwrap()), "shijian", json!({})),
            Op::CreateDeliverable(d) => {
                let d = &self.deliverables[d];
                let c = &self.contracts[d.contract];
                post(format!("/api/v1/contracts/{}/deliverables", c.id), c.community, json!({"clause_id": c.clause, "summary": d.summary}))
            }
            Op::AcceptDeliverable(d) => post(format!("/api/v1/deliverables/{}/accept", self.deliverables[d].id.unwrap()), "shijian", json!({})),
        }
    }

    /// This round's writes: new payments (a quarter of them sent twice at once with the
    /// same key), confirmations of payments made, new admissions and submissions of
    /// drafts, deliverables and their acceptance.
    fn plan(&mut self, round: usize, rng: &mut StdRng) -> Vec<Op> {
        // What the last kill came before is sent now.
        let mut ops: Vec<Op> = (0..self.payments.len()).filter(|&p| self.payments[p].1.state == Ack::NotTried).map(Op::Pay).collect();
        ops.extend((0..self.admissions.len()).filter(|&a| self.admissions[a].create == Ack::NotTried).map(Op::CreateAdmission));
        ops.extend((0..self.deliverables.len()).filter(|&d| self.deliverables[d].create == Ack::NotTried).map(Op::CreateDeliverable));
        for i in 0..PAYMENTS_PER_ROUND {
            let contract = rng.gen_range(0..self.contracts.len());
            let last = self.contracts[contract].last_payable && rng.gen_bool(0.5);
            let amount = [50, 80, 100, 120, 150, 200][rng.gen_range(0..6)] * 100;
            let key = format!("crash-r{round}-p{i}");
            self.payments.push((key, Payment { contract, last, amount, paid: None, state: Ack::NotTried }));
            ops.push(Op::Pay(self.payments.len() - 1));
            if rng.gen_bool(0.25) {
                ops.push(Op::Pay(self.payments.len() - 1));
            }
        }
        for (i, d) in self.disbursements.iter().enumerate() {
            if d.confirm == Ack::NotTried && rng.gen_bool(0.5) {
                ops.push(Op::Confirm(i));
            }
        }
        for (i, a) in self.admissions.iter().enumerate() {
            if a.id.is_some() && a.submit == Ack::NotTried {
                ops.push(Op::SubmitAdmission(i));
            }
        }
        for i in 0..ADMISSIONS_PER_ROUND {
            let title = format!("崩溃演练第{round}轮商户摸底{i}号");
            self.admissions.push(Admission { title, id: None, create: Ack::NotTried, submit: Ack::NotTried });
            ops.push(Op::CreateAdmission(self.admissions.len() - 1));
        }
        for (i, d) in self.deliverables.iter().enumerate() {
            if d.id.is_some() && d.accept == Ack::NotTried {
                ops.push(Op::AcceptDeliverable(i));
            }
        }
        for contract in 0..self.contracts.len() {
            let pending = self.deliverables.iter().any(|d| d.contract == contract && d.id.is_some() && d.accept == Ack::NotTried);
            if !self.contracts[contract].last_payable && !pending && rng.gen_bool(0.6) {
                let summary = format!("崩溃演练第{round}轮成果：商户汇总表（合同{}）", self.contracts[contract].id);
                self.deliverables.push(Deliverable { contract, summary, id: None, create: Ack::NotTried, accept: Ack::NotTried });
                ops.push(Op::CreateDeliverable(self.deliverables.len() - 1));
            }
        }
        ops.shuffle(rng);
        ops
    }

    /// Records a problem once (the checks after later restarts find it again); whether it
    /// was new.
    fn problem(&mut self, p: String) -> bool {
        if self.problems.contains(&p) {
            return false;
        }
        println!("crash: PROBLEM: {p}");
        self.problems.push(p);
        true
    }

    /// An acknowledged write that is gone.
    fn lost(&mut self, p: String) {
        if self.problem(format!("LOST: {p}")) {
            self.counts.lost += 1;
        }
    }

    /// A write that happened twice, or money beyond an amount.
    fn doubled(&mut self, p: String) {
        if self.problem(format!("DOUBLED: {p}")) {
            self.counts.doubled += 1;
        }
    }

    /// Takes in the answers of one round (several answers per op for payment twins).
    fn apply(&mut self, ops: &[Op], answers: &[Option<Answer>]) {
        let mut by_payment: HashMap<usize, Vec<Answer>> = HashMap::new();
        for (op, a) in ops.iter().zip(answers) {
            let Some(a) = a else { continue }; // never tried: the server was already down
            if !matches!(a, Answer::NotSent) {
                self.counts.sent += 1;
            }
            if a.acknowledged() {
                self.counts.acknowledged += 1;
            } else if matches!(a, Answer::Unanswered(_)) || matches!(a, Answer::Got(s, _) if *s >= 500) {
                self.counts.unanswered += 1;
            }
            match *op {
                Op::Pay(p) => by_payment.entry(p).or_default().push(a.clone()),
                other => self.settle(other, a),
            }
        }
        for (p, answers) in by_payment {
            for a in &answers {
                self.settle(Op::Pay(p), a);
            }
            let paid = answers.iter().any(|a| a.acknowledged());
            let refused: Vec<String> = answers.iter().filter(|a| matches!(a, Answer::Got(409, _))).map(|a| a.code()).collect();
            if paid && !refused.is_empty() {
                // Not a money error (one payment was made) but not "the same answer" either.
                self.counts.twin_mismatch += 1;
                println!("crash: note: key {} sent twice at once got 201 and {refused:?}", self.payments[p].0);
            }
        }
    }

    /// Records one answer for an op. A 5xx or no answer leaves the write open.
    fn settle(&mut self, op: Op, a: &Answer) {
        let state = match a {
            Answer::Got(s, _) if (200..300).contains(s) => Ack::Acked,
            Answer::Got(s, _) if (400..500).contains(s) => Ack::Refused(a.code()),
            _ => Ack::Open,
        };
        match op {
            Op::Pay(p) => {
                if let Answer::Got(201, Some(body)) = a {
                    let id = body["id"].as_i64().unwrap();
                    match self.payments[p].1.paid.as_ref().map(|(prev, _)| *prev) {
                        Some(prev) if prev != id => {
                            self.explained.insert(id);
                            let key = self.payments[p].0.clone();
                            self.doubled(format!("key {key} answered with two payments, {prev} and {id}"));
                        }
                        Some(_) => {}
                        None => {
                            if let Some(other) = self.payments.iter().find(|(_, q)| q.paid.as_ref().is_some_and(|(i, _)| *i == id)).map(|(k, _)| k.clone()) {
                                let key = self.payments[p].0.clone();
                                self.lost(format!("keys {other} and {key} were both answered with payment {id}"));
                            }
                            self.payments[p].1.paid = Some((id, body.clone()));
                            let contract = self.payments[p].1.contract;
                            self.disbursements.push(Disbursement { id, contract, confirm: Ack::NotTried });
                        }
                    }
                }
                let pay = &mut self.payments[p].1;
                match (&pay.state, &state) {
                    (Ack::Acked, _) => {}
                    (_, Ack::Acked) => pay.state = Ack::Acked,
                    (Ack::Open, Ack::Refused(_)) if pay.paid.is_none() => {} // the twin may have paid: stays open
                    (_, s) => pay.state = s.clone(),
                }
                if pay.state == Ack::Acked && pay.paid.is_none() {
                    pay.state = Ack::Open; // a 2xx without a readable body: the retry tells
                }
                if let Ack::Refused(code) = pay.state.clone() {
                    if !code.starts_with("409") {
                        let key = self.payments[p].0.clone();
                        self.problem(format!("payment {key} refused unexpectedly: {code}"));
                    }
                }
            }
            _ if matches!(state, Ack::Refused(_)) => println!("crash: note: {op:?} refused: {}", a.code()),
            _ => {}
        }
        match op {
            Op::Pay(_) => {}
            Op::Confirm(d) => {
                self.disbursements[d].confirm = match state {
                    Ack::Refused(_) if a.error_code() == Some("ALREADY_CONFIRMED") => Ack::Acked,
                    s => s,
                };
            }
            Op::CreateAdmission(i) => {
                self.admissions[i].create = state;
                if let Some(id) = a.id().filter(|_| a.acknowledged()) {
                    self.admissions[i].id = Some(id);
                }
            }
            Op::SubmitAdmission(i) => self.admissions[i].submit = state,
            Op::CreateDeliverable(i) => {
                self.deliverables[i].create = state;
                if let Some(id) = a.id().filter(|_| a.acknowledged()) {
                    self.deliverables[i].id = Some(id);
                }
            }
            Op::AcceptDeliverable(i) => {
                self.deliverables[i].accept = match state {
                    Ack::Refused(_) if a.error_code() == Some("INVALID_STATE") => Ack::Open, // decided before? the check tells
                    s => s,
                };
                if self.deliverables[i].accept == Ack::Acked {
                    let c = self.deliverables[i].contract;
                    self.contracts[c].last_payable = true;
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// One round: a batch of concurrent writes, SIGKILL at a random moment

/// Sends the requests from `WORKERS` concurrent clients, each one after the other, and
/// kills the server `kill_after` after the first went out. Returns every request's answer
/// (None: never tried, the server was gone) and how many were in flight at the kill.
async fn batch(server: &mut Server, tokens: &Arc<Tokens>, reqs: Vec<Req>, kill_after: Duration) -> (Vec<Option<Answer>>, usize) {
    let reqs = Arc::new(reqs);
    let answers: Arc<Mutex<Vec<Option<Answer>>>> = Arc::new(Mutex::new(vec![None; reqs.len()]));
    let next = Arc::new(AtomicUsize::new(0));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..WORKERS {
        let (reqs, answers, next, in_flight, tokens) = (reqs.clone(), answers.clone(), next.clone(), in_flight.clone(), tokens.clone());
        let (client, base) = (server.client.clone(), server.base.clone());
        workers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= reqs.len() {
                    return;
                }
                in_flight.fetch_add(1, Ordering::SeqCst);
                let a = send(&client, &base, &tokens, &reqs[i]).await;
                in_flight.fetch_sub(1, Ordering::SeqCst);
                let dead = matches!(a, Answer::NotSent | Answer::Unanswered(_));
                answers.lock().unwrap()[i] = Some(a);
                if dead {
                    return;
                }
            }
        }));
    }
    tokio::time::sleep(kill_after).await;
    let caught = in_flight.load(Ordering::SeqCst);
    server.kill();
    for w in workers {
        w.await.unwrap();
    }
    let answers = answers.lock().unwrap().clone();
    (answers, caught)
}

// ---------------------------------------------------------------------------------------
// Setup: contracts that can be paid

async fn login(server: &Server) -> Tokens {
    let mut tokens = HashMap::new();
    for u in USERS {
        let r = server.client.post(format!("{}/api/v1/auth/login", server.base)).json(&json!({"username": u, "password": PASSWORD})).send().await.unwrap();
        assert!(r.status().is_success(), "login of {u}: {}", r.status());
        tokens.insert(u, r.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string());
    }
    tokens
}

/// POST that must succeed; returns the body.
async fn must(server: &Server, tokens: &Tokens, user: &'static str, path: String, body: Value) -> Value {
    let req = Req { path: path.clone(), user, body, key: None };
    match server.send(tokens, &req).await {
        Answer::Got(s, Some(b)) if (200..300).contains(&s) => b,
        other => panic!("setup: POST {path} as {user}: {other:?}"),
    }
}

/// Four active short-term contracts of 区市场监督管理局 (3,000.00 and 1,000.00 for each
/// community) under one admission whose period runs around today; budgets for its years.
async fn setup(server: &Server, tokens: &Tokens, world: &mut World) {
    let orgs = server.list_all("/api/v1/orgs", &tokens["admin"]).await;
    let org = |name: &str| orgs.iter().find(|o| o["name"] == name).unwrap_or_else(|| panic!("no org {name}"))["id"].as_i64().unwrap();
    let (dept, xingfu, hexie) = (org("区市场监督管理局"), org("幸福社区"), org("和谐社区"));
    world.communities = (xingfu, hexie);
    let today = Utc::now().date_naive();
    let (start, end) = (today - chrono::Duration::days(10), today + chrono::Duration::days(60));
    world.period = (start.to_string(), end.to_string());
    for year in BTreeSet::from([start.year(), end.year()]) {
        let r = server
            .client
            .put(format!("{}/api/v1/budgets/{dept}/{year}", server.base))
            .bearer_auth(&tokens["caizheng"])
            .json(&json!({"amount": "1000000.00", "reason": "崩溃演练预算"}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "budget {year}: {}", r.text().await.unwrap());
    }
    let a = must(
        server,
        tokens,
        "shijian",
        "/api/v1/admissions".into(),
        json!({"title": "崩溃演练：辖区企业基本情况摸底", "description": "入户登记辖区企业名称、地址、联系人", "basis": "示范区市场监管局〔2026〕12号",
               "work_plan": "按月开展", "target_community_ids": [xingfu, hexie], "period_start": start.to_string(),
               "period_end": end.to_string(), "staffing": "网格员", "budget": "20000.00"}),
    )
    .await;
    let aid = a["id"].as_i64().unwrap();
    must(server, tokens, "shijian", format!("/api/v1/admissions/{aid}/submit"), json!({})).await;
    must(server, tokens, "minzheng", format!("/api/v1/admissions/{aid}/review"), json!({"opinion": "approve", "comment": "同意"})).await;
    let decided = must(server, tokens, "lingdao", format!("/api/v1/admissions/{aid}/decide"), json!({"decision": "approve", "comment": "同意"})).await;
    assert_eq!(decided["status"], "admitted");
    let delivery = (end - chrono::Duration::days(5)).to_string();
    for (community, user, amount) in [(xingfu, "xingfu", "3000.00"), (hexie, "hexie", "3000.00"), (xingfu, "xingfu", "1000.00"), (hexie, "hexie", "1000.00")] {
        let body = json!({"admission_id": aid, "community_id": community, "template_id": "short-term-task", "amount": amount,
                          "variables": {"scope": "辖区全部商户", "delivery_date": delivery}});
        let c = must(server, tokens, "shijian", "/api/v1/contracts".into(), body).await;
        let id = c["id"].as_i64().unwrap();
        must(server, tokens, user, format!("/api/v1/contracts/{id}/sign"), json!({})).await;
        let signed = must(server, tokens, "shijian", format!("/api/v1/contracts/{id}/sign"), json!({})).await;
        assert_eq!(signed["status"], "active");
        let c = server.get(&format!("/api/v1/contracts/{id}"), &tokens["shijian"]).await;
        let ms = c["milestones"].as_array().unwrap();
        let milestone = |m: &Value| Milestone { id: m["id"].as_i64().unwrap(), amount: fen(m["amount"].as_str().unwrap()) };
        let advance = ms.iter().find(|m| m["clause_id"].is_null()).map(milestone).unwrap();
        let last = ms.iter().find(|m| !m["clause_id"].is_null()).unwrap();
        let clause = last["clause_id"].as_i64().unwrap();
        world.contracts.push(Contract { id, community: user, amount: fen(amount), advance, last: milestone(last), clause, last_payable: false });
    }
}

// ---------------------------------------------------------------------------------------
// After a restart: settle what was left open, then check

/// Retries what got no answer: payments with the same key and body, confirmations,
/// submissions and acceptances (each is refused if it already happened). Creations have
/// no key; the check finds them by their unique title or summary.
async fn resolve(server: &Server, tokens: &Tokens, world: &mut World) {
    let before: BTreeSet<i64> = disbursement_ids(server, tokens, world).await;
    for p in 0..world.payments.len() {
        if world.payments[p].1.state != Ack::Open {
            continue;
        }
        let a = server.send(tokens, &world.pay_req(p)).await;
        world.counts.retried += 1;
        world.payments[p].1.state = Ack::NotTried; // this answer decides
        if let Some(id) = a.id().filter(|_| a.acknowledged()) {
            if before.contains(&id) {
                world.counts.committed_unanswered += 1;
            }
        }
        world.settle(Op::Pay(p), &a);
        if world.payments[p].1.state == Ack::Open {
            let key = world.payments[p].0.clone();
            world.problem(format!("retry of payment {key} after restart: {}", a.code()));
            world.payments[p].1.state = Ack::Refused(a.code());
        }
    }
    let mut retry = Vec::new();
    for (i, d) in world.disbursements.iter().enumerate() {
        if d.confirm == Ack::Open {
            retry.push(Op::Confirm(i));
        }
    }
    for (i, a) in world.admissions.iter().enumerate() {
        if a.submit == Ack::Open {
            retry.push(Op::SubmitAdmission(i));
        }
    }
    for (i, d) in world.deliverables.iter().enumerate() {
        if d.accept == Ack::Open {
            retry.push(Op::AcceptDeliverable(i));
        }
    }
    for op in retry {
        let a = server.send(tokens, &world.req(op)).await;
        world.counts.retried += 1;
        let done = a.acknowledged() || matches!(a.error_code(), Some("ALREADY_CONFIRMED" | "INVALID_STATE"));
        if !done {
            world.problem(format!("retry of {op:?} after restart: {}", a.code()));
        }
        match op {
            Op::Confirm(i) => world.disbursements[i].confirm = if done { Ack::Acked } else { Ack::Refused(a.code()) },
            // Done or refused, the status check below says which.
            Op::SubmitAdmission(i) => world.admissions[i].submit = if a.acknowledged() { Ack::Acked } else { Ack::Refused(a.code()) },
            Op::AcceptDeliverable(i) => world.deliverables[i].accept = if a.acknowledged() { Ack::Acked } else { Ack::Refused(a.code()) },
            _ => unreachable!(),
        }
    }
}

async fn disbursement_ids(server: &Server, tokens: &Tokens, world: &World) -> BTreeSet<i64> {
    let mut ids = BTreeSet::new();
    for c in &world.contracts {
        let f = server.get(&format!("/api/v1/contracts/{}/funds", c.id), &tokens["caizheng"]).await;
        ids.extend(f["disbursements"].as_array().unwrap().iter().map(|d| d["id"].as_i64().unwrap()));
    }
    ids
}

/// Every acknowledged write is there, nothing is there twice, no money beyond the amounts.
async fn check(server: &Server, tokens: &Tokens, world: &mut World, replay_from_round: usize) {
    // Admissions, found by their unique titles.
    let listed = server.list_all("/api/v1/admissions", &tokens["shijian"]).await;
    for i in 0..world.admissions.len() {
        let a = &world.admissions[i];
        if a.create == Ack::NotTried {
            continue;
        }
        let rows: Vec<&Value> = listed.iter().filter(|r| r["title"] == a.title.as_str()).collect();
        let (title, create, submit, id) = (a.title.clone(), a.create.clone(), a.submit.clone(), a.id);
        if rows.len() > 1 {
            world.doubled(format!("admission {title} created {} times", rows.len()));
        }
        match (rows.first(), &create) {
            (None, Ack::Acked) => {
                world.lost(format!("acknowledged admission {title} (id {id:?}) is gone"));
            }
            (Some(r), _) => {
                let rid = r["id"].as_i64().unwrap();
                if id.is_some_and(|id| id != rid) {
                    world.problem(format!("admission {title} answered as {id:?} but stored as {rid}"));
                }
                if matches!(create, Ack::Refused(_)) {
                    world.problem(format!("admission {title} was refused ({create:?}) but stored"));
                }
                world.admissions[i].id = Some(rid);
                if world.admissions[i].create == Ack::Open {
                    world.admissions[i].create = Ack::Acked; // it happened; from now on it must stay
                }
                let status = r["status"].as_str().unwrap_or("");
                if submit == Ack::Acked && status == "draft" {
                    world.lost(format!("acknowledged submission of admission {rid} is gone: status {status}"));
                }
                if submit == Ack::NotTried && status != "draft" {
                    world.problem(format!("admission {rid} never submitted but has status {status}"));
                }
                if let Ack::Refused(_) = submit {
                    if status == "draft" {
                        world.admissions[i].submit = Ack::NotTried; // try again next round
                    }
                }
            }
            (None, _) => {}
        }
    }

    // Deliverables, found by their unique summaries.
    for ci in 0..world.contracts.len() {
        let c = &world.contracts[ci];
        let listed = server.list_all(&format!("/api/v1/contracts/{}/deliverables", c.id), &tokens[c.community]).await;
        if listed.iter().any(|d| d["status"] == "accepted") {
            world.contracts[ci].last_payable = true;
        }
        for i in 0..world.deliverables.len() {
            let d = &world.deliverables[i];
            if d.contract != ci || d.create == Ack::NotTried {
                continue;
            }
            let rows: Vec<&Value> = listed.iter().filter(|r| r["summary"] == d.summary.as_str()).collect();
            let (summary, create, accept, id) = (d.summary.clone(), d.create.clone(), d.accept.clone(), d.id);
            if rows.len() > 1 {
                world.doubled(format!("deliverable {summary} stored {} times", rows.len()));
            }
            match rows.first() {
                None if create == Ack::Acked => {
                    world.lost(format!("acknowledged deliverable {summary} (id {id:?}) is gone"));
                }
                None => {}
                Some(r) => {
                    let rid = r["id"].as_i64().unwrap();
                    if matches!(create, Ack::Refused(_)) {
                        world.problem(format!("deliverable {summary} was refused ({create:?}) but stored"));
                    }
                    world.deliverables[i].id = Some(rid);
                    if world.deliverables[i].create == Ack::Open {
                        world.deliverables[i].create = Ack::Acked;
                    }
                    let status = r["status"].as_str().unwrap_or("");
                    if accept == Ack::Acked && status != "accepted" {
                        world.lost(format!("acknowledged acceptance of deliverable {rid} is gone: status {status}"));
                    }
                    if accept == Ack::NotTried && status != "submitted" {
                        world.problem(format!("deliverable {rid} never decided but has status {status}"));
                    }
                    if matches!(accept, Ack::Refused(_)) {
                        // Refused (e.g. the contract was completed meanwhile) or already accepted.
                        world.deliverables[i].accept = if status == "accepted" { Ack::Acked } else { Ack::Refused(status.into()) };
                    }
                }
            }
        }
    }

    // Money: the payments the keys answered with, exactly; nothing beyond the amounts.
    let known: HashMap<i64, (String, i64, i64)> = world
        .payments
        .iter()
        .filter_map(|(key, p)| {
            let c = &world.contracts[p.contract];
            let m = if p.last { c.last.id } else { c.advance.id };
            p.paid.as_ref().map(|(id, _)| (*id, (key.clone(), m, p.amount)))
        })
        .collect();
    for ci in 0..world.contracts.len() {
        let c = &world.contracts[ci];
        let (cid, amount, advance, last) = (c.id, c.amount, (c.advance.id, c.advance.amount), (c.last.id, c.last.amount));
        let f = server.get(&format!("/api/v1/contracts/{cid}/funds"), &tokens["caizheng"]).await;
        let listed = f["disbursements"].as_array().unwrap().clone();
        let mut per_milestone: HashMap<i64, i64> = HashMap::new();
        let (mut sum, mut confirmed) = (0, 0);
        for d in &listed {
            let (id, m, a) = (d["id"].as_i64().unwrap(), d["milestone_id"].as_i64().unwrap(), fen(d["amount"].as_str().unwrap()));
            *per_milestone.entry(m).or_default() += a;
            sum += a;
            if d["status"] == "confirmed" {
                confirmed += a;
            }
            match known.get(&id) {
                None if world.explained.contains(&id) => {}
                None => {
                    world.doubled(format!("contract {cid}: payment {id} of {} that no Idempotency-Key answered with", yuan(a)));
                }
                Some((key, km, ka)) if (*km, *ka) != (m, a) => {
                    world.problem(format!("contract {cid}: payment {id} of key {key} is {} on milestone {m}, asked {} on {km}", yuan(a), yuan(*ka)));
                }
                Some(_) => {}
            }
        }
        let listed_ids: BTreeSet<i64> = listed.iter().map(|d| d["id"].as_i64().unwrap()).collect();
        let mine: Vec<(i64, Ack)> = world.disbursements.iter().filter(|d| d.contract == ci).map(|d| (d.id, d.confirm.clone())).collect();
        for (id, confirm) in mine {
            if !listed_ids.contains(&id) {
                let key = known.get(&id).map(|k| k.0.clone()).unwrap_or_default();
                world.lost(format!("contract {cid}: acknowledged payment {id} (key {key}) is gone"));
                continue;
            }
            let status = listed.iter().find(|l| l["id"] == id).and_then(|l| l["status"].as_str()).unwrap_or("");
            if confirm == Ack::Acked && status != "confirmed" {
                world.lost(format!("contract {cid}: acknowledged confirmation of payment {id} is gone: status {status}"));
            }
        }
        for (m, cap) in [advance, last] {
            let paid = per_milestone.get(&m).copied().unwrap_or(0);
            if paid > cap {
                world.doubled(format!("contract {cid}: milestone {m} paid {} of {}", yuan(paid), yuan(cap)));
            }
        }
        let (disbursed, conf, remaining) = (fen(f["disbursed"].as_str().unwrap()), fen(f["confirmed"].as_str().unwrap()), fen(f["remaining"].as_str().unwrap()));
        if sum > amount || disbursed > amount || remaining < 0 {
            world.doubled(format!("contract {cid}: {} paid of {} (ledger says {}, remaining {})", yuan(sum), yuan(amount), yuan(disbursed), yuan(remaining)));
        }
        if disbursed != sum || conf != confirmed || fen(f["amount"].as_str().unwrap()) != amount {
            world.problem(format!("contract {cid}: ledger says disbursed {} confirmed {}, the payments add up to {} and {}", f["disbursed"], f["confirmed"], yuan(sum), yuan(confirmed)));
        }
    }

    // Replays of acknowledged keys give the first answer again, and pay nothing more.
    let replays: Vec<usize> = (0..world.payments.len())
        .filter(|&p| world.payments[p].1.paid.is_some() && round_of(&world.payments[p].0) >= replay_from_round)
        .collect();
    for p in replays {
        let a = server.send(tokens, &world.pay_req(p)).await;
        let (key, first) = (world.payments[p].0.clone(), world.payments[p].1.paid.clone().unwrap().1);
        match a {
            Answer::Got(201, Some(b)) if b == first => {}
            Answer::Got(201, Some(b)) if b["id"] != first["id"] => {
                world.explained.insert(b["id"].as_i64().unwrap_or_default());
                world.doubled(format!("replay of key {key} paid again: {b}, first answer {first}"));
            }
            other => {
                let got = match &other {
                    Answer::Got(_, Some(b)) => format!("{} {b}", other.code()),
                    _ => other.code(),
                };
                world.problem(format!("replay of key {key}: {got}, first answer {first}"));
            }
        }
    }

    let v = server.get("/api/v1/admin/ledger/verify", &tokens["admin"]).await;
    if v["ok"] != true {
        world.problem(format!("ledger verify after restart: {v}"));
    }
}

fn round_of(key: &str) -> usize {
    key.trim_start_matches("crash-r").split('-').next().unwrap().parse().unwrap()
}

// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_survives_sigkill_mid_payment_without_losing_or_doubling_money() {
    let seed: u64 = std::env::var("CRASH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| rand::thread_rng().gen());
    let mut rng = StdRng::seed_from_u64(seed);
    let (db_url, _db_guard) = fresh_database().await;
    let logs = tempfile::tempdir().unwrap();
    let log: PathBuf = logs.path().join("zhunru.log");
    let verifiers = verifiers();
    println!("crash: {} database, seed {seed} (CRASH_SEED replays), {}, checks {verifiers:?} after each kill", backend(), bin());
    let test_started = Instant::now();

    let mut server = Server::start(&db_url, &log, true).await;
    // Logged in once: the sessions must survive every crash as well.
    let tokens = Arc::new(login(&server).await);
    let mut world = World {
        contracts: vec![],
        payments: vec![],
        disbursements: vec![],
        admissions: vec![],
        deliverables: vec![],
        communities: (0, 0),
        period: (String::new(), String::new()),
        counts: Counts::default(),
        problems: vec![],
        explained: BTreeSet::new(),
    };
    setup(&server, &tokens, &mut world).await;

    let mut slowest_restart = Duration::ZERO;
    for round in 1..=ROUNDS {
        let ops = world.plan(round, &mut rng);
        let reqs: Vec<Req> = ops.iter().map(|&op| world.req(op)).collect();
        let kill_after = Duration::from_millis(rng.gen_range(0..=MAX_KILL_DELAY_MS));
        let (answers, caught) = batch(&mut server, &tokens, reqs, kill_after).await;
        let (sent0, acked0, open0) = (world.counts.sent, world.counts.acknowledged, world.counts.unanswered);
        world.apply(&ops, &answers);

        for v in &verifiers {
            if let Err(e) = cli(&db_url, v) {
                world.problem(format!("round {round}: on the crashed database, {e}"));
            }
        }

        let restart = Instant::now();
        server = Server::start(&db_url, &log, false).await;
        let restart = restart.elapsed();
        slowest_restart = slowest_restart.max(restart);
        resolve(&server, &tokens, &mut world).await;
        check(&server, &tokens, &mut world, round).await;
        println!(
            "crash: round {round}: {} writes planned, killed after {} ms with {caught} in flight; {} sent, {} acknowledged, {} unanswered; restarted in {} ms",
            ops.len(),
            kill_after.as_millis(),
            world.counts.sent - sent0,
            world.counts.acknowledged - acked0,
            world.counts.unanswered - open0,
            restart.as_millis()
        );
    }
    // Every key ever answered, once more.
    check(&server, &tokens, &mut world, 0).await;
    server.kill();
    for v in &verifiers {
        if let Err(e) = cli(&db_url, v) {
            world.problem(format!("at the end, {e}"));
        }
    }

    let paid: Vec<i64> = world.payments.iter().filter_map(|(_, p)| p.paid.as_ref().map(|_| p.amount)).collect();
    let refused = world.payments.iter().filter(|(_, p)| matches!(p.state, Ack::Refused(_))).count();
    let c = &world.counts;
    println!(
        "crash: {ROUNDS} kills survived, {} requests sent, {} acknowledged, {} unanswered; {} retried after restart ({} payments had committed before the kill); {} lost, {} doubled",
        c.sent, c.acknowledged, c.unanswered, c.retried, c.committed_unanswered, c.lost, c.doubled
    );
    println!(
        "crash: {} payments made (¥{}) and {refused} refused of {} keys; {} twin sends answered differently; slowest restart {} ms; {} s in all",
        paid.len(),
        yuan(paid.iter().sum()),
        world.payments.len(),
        c.twin_mismatch,
        slowest_restart.as_millis(),
        test_started.elapsed().as_secs()
    );
    assert!(
        world.problems.is_empty() && c.lost == 0 && c.doubled == 0 && c.twin_mismatch == 0,
        "crash safety broken (seed {seed}):\n{}\n--- server log (tail) ---\n{}",
        world.problems.join("\n"),
        tail(&log, 30)
    );
}
