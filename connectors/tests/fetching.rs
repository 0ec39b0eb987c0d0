//! The connectors against a local fixture server speaking each provider's real shapes,
//! and the fetcher's robustness: errors, limits, retries, conditional GET and the SSRF guard.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use jobmon_connectors::{
    AddressPolicy, FetchOutcome, FetchSettings, Fetcher, Posting, SourceConfig, SourceError,
};
use serde_json::json;
use shared::domain::SourceValidators;
use support::{FixtureServer, Reply, fetcher_for, fixture, settings_for};

fn source(kind: &str, config: serde_json::Value) -> SourceConfig {
    SourceConfig::parse(kind, &config).unwrap()
}

async fn fetch_ok(fetcher: &Fetcher, source: &SourceConfig) -> (Vec<Posting>, SourceValidators) {
    match fetcher.fetch(source, &SourceValidators::default()).await {
        Ok(FetchOutcome::Fetched {
            postings,
            validators,
        }) => (postings, validators),
        other => panic!("expected postings, got {other:?}"),
    }
}

async fn fetch_err(fetcher: &Fetcher, source: &SourceConfig) -> SourceError {
    match fetcher.fetch(source, &SourceValidators::default()).await {
        Err(e) => e,
        Ok(other) => panic!("expected an error, got {other:?}"),
    }
}

fn assert_clean(p: &Posting) {
    for banned in [
        "<script",
        "onclick",
        "onmouseover",
        "javascript:",
        "<iframe",
        "<style",
        "<img",
    ] {
        assert!(
            !p.description_html.to_ascii_lowercase().contains(banned),
            "{banned} survived in {}: {}",
            p.native_id,
            p.description_html
        );
    }
}

fn serve_fixture(
    path: &'static str,
    name: &'static str,
    xml: bool,
) -> impl Fn(&support::Request) -> Reply {
    let body = fixture(name);
    move |req| {
        if req.path() == path {
            if xml {
                Reply::xml(body.clone())
            } else {
                Reply::json(body.clone())
            }
        } else {
            Reply::status(404)
        }
    }
}

// ---------------------------------------------------------------------------------------
// Connectors
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn greenhouse_board_is_normalised() {
    let server = FixtureServer::start(serve_fixture(
        "/v1/boards/vaulttec/jobs",
        "greenhouse_jobs.json",
        false,
    ))
    .await;
    let (postings, _) = fetch_ok(
        &fetcher_for(&server),
        &source("greenhouse", json!({"board": "vaulttec"})),
    )
    .await;

    assert_eq!(
        server.requests()[0].target,
        "/v1/boards/vaulttec/jobs?content=true"
    );
    assert_eq!(postings.len(), 2, "the entry without a link is skipped");
    let designer = &postings[0];
    assert_eq!(designer.native_id, "127817");
    assert_eq!(designer.title, "Vault Designer");
    assert_eq!(designer.company, "Vault-Tec");
    assert_eq!(designer.location, "Remote - US");
    assert!(designer.remote);
    assert_eq!(
        designer.url.as_str(),
        "https://boards.greenhouse.io/vaulttec/jobs/127817"
    );
    assert_eq!(designer.department.as_deref(), Some("Engineering"));
    assert_eq!(
        designer.updated_at.unwrap().to_rfc3339(),
        "2016-01-14T15:55:28+00:00"
    );
    assert_eq!(
        designer.posted_at.unwrap().to_rfc3339(),
        "2016-01-10T14:00:00+00:00"
    );
    assert!(
        designer
            .description_html
            .contains("<p>Design vaults &amp; shelters.</p>")
    );
    assert!(designer.description_html.contains("<li>Concrete</li>"));
    assert!(
        designer
            .description_text
            .starts_with("Design vaults & shelters.")
    );
    assert!(!designer.description_text.contains("alert"));
    assert_clean(designer);

    let overseer = &postings[1];
    assert_eq!(
        overseer.company, "Vaulttec",
        "no company_name: the board token, title-cased"
    );
    assert!(!overseer.remote);
    assert_eq!(overseer.department, None);
}

#[tokio::test]
async fn lever_postings_are_normalised_and_eu_sites_use_the_eu_host() {
    let server = FixtureServer::start(serve_fixture(
        "/v0/postings/leverdemo",
        "lever_postings.json",
        false,
    ))
    .await;
    let fetcher = fetcher_for(&server);
    let (postings, _) = fetch_ok(&fetcher, &source("lever", json!({"site": "leverdemo"}))).await;

    assert_eq!(
        server.requests()[0].target,
        "/v0/postings/leverdemo?mode=json"
    );
    assert_eq!(postings.len(), 2);
    let platform = &postings[0];
    assert_eq!(platform.native_id, "5ac21346-8e0c-4494-8e7a-3eb92ff77902");
    assert_eq!(platform.title, "Senior Platform Engineer");
    assert_eq!(platform.company, "Leverdemo");
    assert_eq!(platform.location, "Berlin, Germany");
    assert!(
        !platform.remote,
        "hybrid is not remote, whatever the text says"
    );
    assert_eq!(platform.department.as_deref(), Some("Engineering"));
    assert_eq!(
        platform.posted_at.unwrap().to_rfc3339(),
        "2023-11-14T22:13:20+00:00"
    );
    let salary = platform.salary.as_ref().unwrap();
    assert_eq!((salary.min, salary.max), (Some(80000.0), Some(100000.0)));
    assert_eq!(salary.currency.as_deref(), Some("EUR"));
    assert_eq!(salary.interval.as_deref(), Some("year"));
    assert!(
        platform
            .description_html
            .contains("<h3>Requirements</h3><ul><li>Rust</li>")
    );
    assert!(platform.description_text.contains("• Kubernetes"));
    assert!(
        platform
            .description_text
            .ends_with("We offer remote-friendly hours.")
    );

    let support = &postings[1];
    assert!(support.remote);
    assert_eq!(
        support.department.as_deref(),
        Some("Support"),
        "team when no department"
    );
    assert_eq!(
        support.url.as_str(),
        "https://jobs.lever.co/leverdemo/f2b9e9a5-6a0e-4b8c-9a65-6f3e9ac8f111",
        "tracking parameters are dropped"
    );

    let eu = fetcher
        .fetch(
            &source("lever", json!({"site": "leverdemo", "region": "eu"})),
            &SourceValidators::default(),
        )
        .await;
    assert_eq!(eu, Err(SourceError::NotFound { status: 404 }));
    assert_eq!(
        server.requests()[1].target,
        "/eu/v0/postings/leverdemo?mode=json"
    );
}

#[tokio::test]
async fn ashby_skips_unlisted_jobs_and_reads_compensation() {
    let server = FixtureServer::start(serve_fixture(
        "/posting-api/job-board/ashby",
        "ashby_board.json",
        false,
    ))
    .await;
    let (postings, _) = fetch_ok(
        &fetcher_for(&server),
        &source("ashby", json!({"board": "ashby"})),
    )
    .await;

    assert_eq!(
        server.requests()[0].target,
        "/posting-api/job-board/ashby?includeCompensation=true"
    );
    assert_eq!(postings.len(), 2, "the unlisted job is skipped");
    let manager = &postings[0];
    assert_eq!(manager.native_id, "7458d4e9-da2e-47bd-98cb-adfda43d42b2");
    assert!(manager.remote);
    assert_eq!(manager.company, "Ashby");
    assert_eq!(manager.department.as_deref(), Some("Engineering"));
    assert_eq!(manager.description_html, "<p>Lead a team.</p>");
    let salary = manager.salary.as_ref().unwrap();
    assert_eq!((salary.min, salary.max), (Some(150000.0), Some(250000.0)));
    assert_eq!(salary.currency.as_deref(), Some("EUR"));
    assert_eq!(salary.interval.as_deref(), Some("year"));

    let pm = &postings[1];
    assert!(!pm.remote);
    assert_eq!(
        pm.description_text, "Own the roadmap.",
        "plain text when there is no HTML"
    );
    let salary = pm.salary.as_ref().unwrap();
    assert_eq!(
        (salary.min, salary.max),
        (Some(70000.0), Some(87000.0)),
        "widest range over the tiers"
    );
}

#[tokio::test]
async fn workable_account_is_normalised() {
    let server = FixtureServer::start(serve_fixture(
        "/api/accounts/huggingface",
        "workable_account.json",
        false,
    ))
    .await;
    let (postings, _) = fetch_ok(
        &fetcher_for(&server),
        &source("workable", json!({"account": "huggingface"})),
    )
    .await;

    assert_eq!(
        server.requests()[0].target,
        "/api/accounts/huggingface?details=true"
    );
    let [mle] = postings.as_slice() else {
        panic!("{postings:?}")
    };
    assert_eq!(mle.native_id, "A1B2C3D4E5");
    assert_eq!(mle.company, "Hugging Face");
    assert_eq!(mle.location, "Paris, Île-de-France, France");
    assert!(mle.remote);
    assert_eq!(mle.url.as_str(), "https://apply.workable.com/j/A1B2C3D4E5");
    assert_eq!(
        mle.posted_at.unwrap().to_rfc3339(),
        "2024-05-02T00:00:00+00:00"
    );
    assert!(mle.description_text.contains("• PyTorch"));
}

#[tokio::test]
async fn smartrecruiters_pages_and_fetches_details_within_the_cap() {
    let list = fixture("smartrecruiters_list.json");
    let detail = fixture("smartrecruiters_detail.json");
    let server = FixtureServer::start(move |req| match req.path() {
        "/v1/companies/AcmeCorp/postings" => Reply::json(list.clone()),
        "/v1/companies/AcmeCorp/postings/744000012345678" => Reply::json(detail.clone()),
        _ => Reply::status(404),
    })
    .await;
    let fetcher = Fetcher::new(FetchSettings {
        max_detail_requests: 1,
        ..settings_for(&server)
    });
    let (postings, _) = fetch_ok(
        &fetcher,
        &source("smartrecruiters", json!({"company": "AcmeCorp"})),
    )
    .await;

    let targets: Vec<String> = server.requests().into_iter().map(|r| r.target).collect();
    assert_eq!(
        targets,
        [
            "/v1/companies/AcmeCorp/postings?limit=100&offset=0",
            "/v1/companies/AcmeCorp/postings/744000012345678",
        ],
        "totalFound reached on the first page; one detail call under the cap"
    );
    let [analyst, agent] = postings.as_slice() else {
        panic!("{postings:?}")
    };
    assert_eq!(analyst.company, "Acme Corp");
    assert_eq!(analyst.location, "Warsaw, Masovian Voivodeship, Poland");
    assert_eq!(analyst.department.as_deref(), Some("Analytics"));
    assert_eq!(
        analyst.url.as_str(),
        "https://jobs.smartrecruiters.com/AcmeCorp/744000012345678"
    );
    assert!(
        analyst
            .description_html
            .contains("<h3>Job Description</h3><p>Analyse data.</p>")
    );
    assert!(analyst.description_text.contains("• SQL"));
    assert!(
        !analyst.description_html.contains("Additional Information"),
        "empty sections are left out"
    );
    assert_clean(analyst);
    assert!(agent.remote);
    assert_eq!(agent.description_html, "", "past the detail cap");
}

#[tokio::test]
async fn smartrecruiters_follows_offsets_until_total_found() {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let server = FixtureServer::start(move |req| {
        if !req.path().ends_with("/postings") {
            return Reply::status(404);
        }
        seen.fetch_add(1, Ordering::SeqCst);
        let offset: usize = req
            .target
            .rsplit("offset=")
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let ids: Vec<_> = (offset..(offset + 100).min(150))
            .map(|i| json!({"id": i.to_string(), "name": format!("Job {i}")}))
            .collect();
        Reply::json(
            json!({"offset": offset, "limit": 100, "totalFound": 150, "content": ids}).to_string(),
        )
    })
    .await;
    let fetcher = Fetcher::new(FetchSettings {
        max_detail_requests: 0,
        ..settings_for(&server)
    });
    let (postings, _) = fetch_ok(
        &fetcher,
        &source("smartrecruiters", json!({"company": "Big"})),
    )
    .await;
    assert_eq!(postings.len(), 150);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(postings[0].company, "Big");
}

#[tokio::test]
async fn recruitee_keeps_published_offers_only() {
    let server = FixtureServer::start(serve_fixture(
        "/recruitee/acme/api/offers/",
        "recruitee_offers.json",
        false,
    ))
    .await;
    let (postings, _) = fetch_ok(
        &fetcher_for(&server),
        &source("recruitee", json!({"company": "acme"})),
    )
    .await;

    let [backend] = postings.as_slice() else {
        panic!("{postings:?}")
    };
    assert_eq!(backend.native_id, "1002345");
    assert_eq!(backend.company, "Acme B.V.");
    assert_eq!(backend.location, "Amsterdam, Netherlands");
    assert!(!backend.remote);
    assert_eq!(
        backend.posted_at.unwrap().to_rfc3339(),
        "2024-01-11T09:30:00+00:00"
    );
    assert!(
        backend.description_text.contains("Build APIs.")
            && backend.description_text.contains("• Elixir")
    );
    let salary = backend.salary.as_ref().unwrap();
    assert_eq!((salary.min, salary.max), (Some(50000.0), Some(65000.0)));
    assert_eq!(salary.interval.as_deref(), Some("year"));
}

#[tokio::test]
async fn personio_xml_is_normalised_with_links_on_the_public_host() {
    let server = FixtureServer::start(serve_fixture(
        "/personio/acme/xml",
        "personio_positions.xml",
        true,
    ))
    .await;
    let (postings, _) = fetch_ok(
        &fetcher_for(&server),
        &source("personio", json!({"company": "acme"})),
    )
    .await;

    let [engineer, sales] = postings.as_slice() else {
        panic!("{postings:?}")
    };
    assert_eq!(engineer.native_id, "1234567");
    assert_eq!(engineer.title, "Senior Backend Engineer (m/w/d)");
    assert_eq!(engineer.company, "Acme GmbH");
    assert_eq!(engineer.location, "München");
    assert_eq!(
        engineer.url.as_str(),
        "https://acme.jobs.personio.de/job/1234567"
    );
    assert_eq!(engineer.department.as_deref(), Some("Engineering"));
    assert!(
        engineer
            .description_html
            .contains("<h3>Deine Aufgaben</h3><ul><li>APIs bauen</li>")
    );
    assert!(
        engineer
            .description_text
            .contains("Erfahrung mit Go & Rust")
    );
    assert_clean(engineer);
    assert_eq!(
        sales.company, "Acme",
        "no subcompany: the company name, title-cased"
    );
    assert!(sales.remote);
    assert_eq!(
        sales.posted_at.unwrap().to_rfc3339(),
        "2024-02-01T11:00:00+00:00"
    );
}

#[tokio::test]
async fn rss_items_are_normalised() {
    let server = FixtureServer::start(serve_fixture("/jobs.rss", "rss.xml", true)).await;
    let (postings, _) = fetch_ok(
        &fetcher_for(&server),
        &source("rss", json!({"url": server.url("/jobs.rss")})),
    )
    .await;

    let [rust, office] = postings.as_slice() else {
        panic!("{postings:?}")
    };
    assert_eq!(rust.native_id, "job-42");
    assert_eq!(rust.company, "Ferris Inc");
    assert!(rust.remote);
    assert_eq!(rust.url.as_str(), "https://jobs.example.com/jobs/42");
    assert_eq!(rust.department.as_deref(), Some("Engineering"));
    assert_eq!(
        rust.posted_at.unwrap().to_rfc3339(),
        "2025-06-10T04:00:00+00:00"
    );
    assert!(
        rust.description_html.contains("<em>safe</em>"),
        "content:encoded wins"
    );
    assert_clean(rust);
    assert_eq!(
        office.native_id, "https://jobs.example.com/jobs/43",
        "the link when there is no guid"
    );
    assert_eq!(
        office.company, "Example Jobs",
        "the feed title when there is no author"
    );
    assert_eq!(office.description_text, "Run the office & more.");
}

#[tokio::test]
async fn atom_entries_are_normalised() {
    let server = FixtureServer::start(serve_fixture("/atom.xml", "atom.xml", true)).await;
    let (postings, _) = fetch_ok(
        &fetcher_for(&server),
        &source("rss", json!({"url": server.url("/atom.xml")})),
    )
    .await;

    let [sre, designer] = postings.as_slice() else {
        panic!("{postings:?}")
    };
    assert_eq!(
        sre.native_id,
        "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a"
    );
    assert_eq!(
        sre.url.as_str(),
        "https://example.org/careers/sre",
        "the alternate link"
    );
    assert_eq!(sre.company, "Example Org");
    assert_eq!(sre.department.as_deref(), Some("Infrastructure"));
    assert_eq!(
        sre.posted_at.unwrap().to_rfc3339(),
        "2025-06-12T10:00:00+00:00"
    );
    assert_eq!(
        sre.updated_at.unwrap().to_rfc3339(),
        "2025-06-13T18:30:02+00:00"
    );
    assert!(sre.description_html.contains("<b>up</b>"));
    assert_clean(sre);
    assert!(designer.remote);
    assert_eq!(designer.description_html, "<p>Design <i>things</i></p>");
    assert_eq!(
        designer.posted_at, designer.updated_at,
        "updated when never published"
    );
}

#[tokio::test]
async fn json_feed_follows_next_url_without_looping() {
    let page1 = fixture("jsonfeed_page1.json");
    let page2 = fixture("jsonfeed_page2.json");
    let server = FixtureServer::start(move |req| match req.path() {
        "/feed.json" => Reply::json(page1.clone()),
        "/feed-2.json" => Reply::json(page2.clone()),
        _ => Reply::status(404),
    })
    .await;
    let (postings, _) = fetch_ok(
        &fetcher_for(&server),
        &source("jsonfeed", json!({"url": server.url("/feed.json")})),
    )
    .await;

    assert_eq!(
        server.requests().len(),
        2,
        "page 2 points back to page 1: not fetched again"
    );
    let ids: Vec<&str> = postings.iter().map(|p| p.native_id.as_str()).collect();
    assert_eq!(ids, ["1", "2", "3"], "the repeated item is returned once");
    assert_eq!(postings[0].company, "Example Co");
    assert_clean(&postings[0]);
    assert_eq!(postings[1].company, "Docs Ltd");
    assert!(postings[1].remote);
    assert_eq!(
        postings[1].description_html,
        "<p>Write docs.</p><p>Work from anywhere.</p>"
    );
}

#[tokio::test]
async fn json_feed_stops_at_the_page_cap() {
    let server = FixtureServer::start(|req| {
        let n: usize = req.path().trim_start_matches("/p").parse().unwrap_or(0);
        Reply::json(
            json!({
                "version": "https://jsonfeed.org/version/1.1",
                "title": "Endless",
                "next_url": format!("/p{}", n + 1),
                "items": [{"id": n.to_string(), "url": format!("https://example.com/{n}"), "title": "Job"}]
            })
            .to_string(),
        )
    })
    .await;
    let fetcher = Fetcher::new(FetchSettings {
        max_pages: 3,
        ..settings_for(&server)
    });
    let (postings, _) = fetch_ok(
        &fetcher,
        &source("jsonfeed", json!({"url": server.url("/p0")})),
    )
    .await;
    assert_eq!(postings.len(), 3);
    assert_eq!(server.requests().len(), 3);
}

// ---------------------------------------------------------------------------------------
// Robustness
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn empty_board_is_an_empty_fetch() {
    let server =
        FixtureServer::start(|_| Reply::json(r#"{"jobs": [], "meta": {"total": 0}}"#)).await;
    let (postings, _) = fetch_ok(
        &fetcher_for(&server),
        &source("greenhouse", json!({"board": "empty"})),
    )
    .await;
    assert!(postings.is_empty());
}

#[tokio::test]
async fn unknown_board_is_not_found() {
    let server = FixtureServer::start(|_| Reply::Full {
        status: 404,
        headers: vec![],
        body: br#"{"status":404,"error":"Job not found"}"#.to_vec(),
    })
    .await;
    let fetcher = fetcher_for(&server);
    for kind in ["greenhouse", "ashby"] {
        let e = fetch_err(&fetcher, &source(kind, json!({"board": "nope"}))).await;
        assert_eq!(e, SourceError::NotFound { status: 404 });
        assert!(!e.is_transient());
    }
    let e = fetch_err(&fetcher, &source("lever", json!({"site": "nope"}))).await;
    assert_eq!(e, SourceError::NotFound { status: 404 });
}

#[tokio::test]
async fn malformed_bodies_are_reported_as_malformed() {
    let server = FixtureServer::start(|req| match req.path() {
        "/v1/boards/truncated/jobs" => Reply::json(r#"{"jobs": [{"id": 1,"#),
        "/v1/boards/wrong-shape/jobs" => Reply::json(r#"{"jobs": "none"}"#),
        "/v1/boards/html/jobs" => Reply::json("<html>maintenance</html>"),
        "/personio/acme/xml" => Reply::xml(r#"{"not": "xml"}"#),
        "/feed.xml" => Reply::xml("<html><body>not a feed</body></html>"),
        "/feed.json" => Reply::json(r#"{"items": []}"#),
        _ => Reply::status(404),
    })
    .await;
    let fetcher = fetcher_for(&server);
    let sources = [
        source("greenhouse", json!({"board": "truncated"})),
        source("greenhouse", json!({"board": "wrong-shape"})),
        source("greenhouse", json!({"board": "html"})),
        source("personio", json!({"company": "acme"})),
        source("rss", json!({"url": server.url("/feed.xml")})),
        source("jsonfeed", json!({"url": server.url("/feed.json")})),
    ];
    for s in &sources {
        let e = fetch_err(&fetcher, s).await;
        assert!(matches!(e, SourceError::Malformed(_)), "{s:?}: {e:?}");
        assert!(!e.is_transient());
    }
}

#[tokio::test]
async fn huge_bodies_are_cut_off_while_streaming() {
    // An endless body: if the reader buffered past the cap this test would never end.
    let server = FixtureServer::start(|_| Reply::Endless).await;
    let fetcher = Fetcher::new(FetchSettings {
        max_body_bytes: 256 * 1024,
        ..settings_for(&server)
    });
    let e = fetch_err(&fetcher, &source("greenhouse", json!({"board": "huge"}))).await;
    assert_eq!(
        e,
        SourceError::TooLarge {
            limit_bytes: 256 * 1024
        }
    );
}

#[tokio::test]
async fn declared_oversize_bodies_are_refused_before_reading() {
    let server = FixtureServer::start(|_| {
        Reply::json(Vec::new()).with_header("Content-Length", "104857600")
    })
    .await;
    let e = fetch_err(
        &fetcher_for(&server),
        &source("greenhouse", json!({"board": "huge"})),
    )
    .await;
    assert_eq!(
        e,
        SourceError::TooLarge {
            limit_bytes: 5 * 1024 * 1024
        }
    );
}

#[tokio::test]
async fn slow_servers_time_out() {
    let server = FixtureServer::start(|_| Reply::Stall).await;
    let fetcher = Fetcher::new(FetchSettings {
        request_timeout: Duration::from_millis(300),
        ..settings_for(&server)
    });
    let e = fetch_err(&fetcher, &source("greenhouse", json!({"board": "slow"}))).await;
    assert_eq!(e, SourceError::Timeout);
    assert!(e.is_transient());
}

#[tokio::test]
async fn a_trickling_source_ends_at_the_overall_deadline() {
    // Every read makes progress, and the request timeout is far away: only the deadline
    // over the whole fetch stops it.
    let server = FixtureServer::start(|_| Reply::Trickle {
        every: Duration::from_millis(200),
    })
    .await;
    let fetcher = Fetcher::new(FetchSettings {
        request_timeout: Duration::from_secs(600),
        fetch_deadline: Duration::from_secs(1),
        ..settings_for(&server)
    });
    let started = std::time::Instant::now();
    let e = fetch_err(&fetcher, &source("greenhouse", json!({"board": "drip"}))).await;
    assert_eq!(e, SourceError::DeadlineExceeded { secs: 1 });
    assert_eq!(
        e.to_string(),
        "timed out after 1 s: the source answered too slowly to be fetched in time"
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_paged_feed_whose_pages_each_arrive_in_time_still_ends_at_the_deadline() {
    // Each page is quick enough for the request timeout, but the chain of pages (every
    // page links to a new one) would outlast the deadline.
    let server = FixtureServer::start(|request| {
        let next = format!("{}x", request.path());
        Reply::Delayed(
            Duration::from_millis(300),
            Box::new(Reply::json(format!(
                r#"{{"version":"https://jsonfeed.org/version/1.1","title":"t","items":[],"next_url":"{next}"}}"#
            ))),
        )
    })
    .await;
    let fetcher = Fetcher::new(FetchSettings {
        request_timeout: Duration::from_secs(5),
        fetch_deadline: Duration::from_secs(1),
        max_pages: 100,
        ..settings_for(&server)
    });
    let url = server.url("/feed/start");
    let e = fetch_err(&fetcher, &source("jsonfeed", json!({"url": url}))).await;
    assert_eq!(e, SourceError::DeadlineExceeded { secs: 1 });
}

#[tokio::test]
async fn server_errors_are_retried_then_succeed() {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let server = FixtureServer::start(move |_| {
        if seen.fetch_add(1, Ordering::SeqCst) < 2 {
            Reply::status(503)
        } else {
            Reply::json(r#"{"jobs": []}"#)
        }
    })
    .await;
    let (postings, _) = fetch_ok(
        &fetcher_for(&server),
        &source("greenhouse", json!({"board": "flaky"})),
    )
    .await;
    assert!(postings.is_empty());
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn persistent_server_errors_give_up_as_upstream() {
    let server = FixtureServer::start(|_| Reply::status(502)).await;
    let e = fetch_err(
        &fetcher_for(&server),
        &source("greenhouse", json!({"board": "down"})),
    )
    .await;
    assert_eq!(e, SourceError::Upstream { status: 502 });
    assert!(e.is_transient());
    assert_eq!(server.requests().len(), 3, "one attempt and two retries");
}

#[tokio::test]
async fn rate_limits_honour_short_retry_after_and_give_up_bounded() {
    let server = FixtureServer::start(|_| Reply::status(429).with_header("Retry-After", "0")).await;
    let e = fetch_err(
        &fetcher_for(&server),
        &source("greenhouse", json!({"board": "busy"})),
    )
    .await;
    assert_eq!(
        e,
        SourceError::RateLimited {
            retry_after: Some(Duration::ZERO)
        }
    );
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn long_retry_after_is_handed_to_the_caller_instead_of_waited_for() {
    let server =
        FixtureServer::start(|_| Reply::status(429).with_header("Retry-After", "3600")).await;
    let e = fetch_err(
        &fetcher_for(&server),
        &source("greenhouse", json!({"board": "busy"})),
    )
    .await;
    assert_eq!(e.retry_after(), Some(Duration::from_secs(3600)));
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn other_client_errors_are_final() {
    let server = FixtureServer::start(|_| Reply::status(403)).await;
    let e = fetch_err(
        &fetcher_for(&server),
        &source("greenhouse", json!({"board": "private"})),
    )
    .await;
    assert_eq!(e, SourceError::Rejected { status: 403 });
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn conditional_get_returns_not_modified() {
    let body = fixture("greenhouse_jobs.json");
    let server = FixtureServer::start(move |req| {
        if req.header("If-None-Match") == Some("\"v1\"") {
            Reply::status(304)
        } else {
            Reply::json(body.clone())
                .with_header("ETag", "\"v1\"")
                .with_header("Last-Modified", "Wed, 21 Oct 2015 07:28:00 GMT")
        }
    })
    .await;
    let fetcher = fetcher_for(&server);
    let board = source("greenhouse", json!({"board": "vaulttec"}));
    let (_, validators) = fetch_ok(&fetcher, &board).await;
    assert_eq!(
        validators,
        SourceValidators {
            etag: Some("\"v1\"".into()),
            last_modified: Some("Wed, 21 Oct 2015 07:28:00 GMT".into())
        }
    );
    assert_eq!(server.requests()[0].header("If-None-Match"), None);

    let again = fetcher.fetch(&board, &validators).await.unwrap();
    assert_eq!(again, FetchOutcome::NotModified);
    let second = &server.requests()[1];
    assert_eq!(second.header("If-None-Match"), Some("\"v1\""));
    assert_eq!(
        second.header("If-Modified-Since"),
        Some("Wed, 21 Oct 2015 07:28:00 GMT")
    );
}

#[tokio::test]
async fn conditional_get_applies_to_paged_sources() {
    let server = FixtureServer::start(|req| {
        if req.header("If-Modified-Since").is_some() {
            Reply::status(304)
        } else {
            Reply::json(r#"{"totalFound": 0, "content": []}"#)
                .with_header("Last-Modified", "Wed, 21 Oct 2015 07:28:00 GMT")
        }
    })
    .await;
    let fetcher = fetcher_for(&server);
    let sr = source("smartrecruiters", json!({"company": "Acme"}));
    let (_, validators) = fetch_ok(&fetcher, &sr).await;
    assert_eq!(
        fetcher.fetch(&sr, &validators).await,
        Ok(FetchOutcome::NotModified)
    );
}

// ---------------------------------------------------------------------------------------
// SSRF guard
// ---------------------------------------------------------------------------------------

fn public_only(server: &FixtureServer) -> Fetcher {
    Fetcher::new(FetchSettings {
        address_policy: AddressPolicy::PublicOnly,
        ..settings_for(server)
    })
}

#[tokio::test]
async fn loopback_feeds_are_refused_unless_private_sources_are_allowed() {
    let server = FixtureServer::start(serve_fixture("/jobs.rss", "rss.xml", true)).await;
    let by_ip = source("rss", json!({"url": server.url("/jobs.rss")}));
    // A hostname goes through the guarded resolver rather than the IP-literal check.
    let by_name = source(
        "rss",
        json!({"url": format!("http://localhost:{}/jobs.rss", server.addr.port())}),
    );

    let refused = public_only(&server);
    for s in [&by_ip, &by_name] {
        let e = fetch_err(&refused, s).await;
        assert!(matches!(e, SourceError::Blocked { .. }), "{e:?}");
        assert!(!e.is_transient());
    }
    assert!(server.requests().is_empty(), "nothing reached the server");

    let allowed = fetcher_for(&server);
    for s in [&by_ip, &by_name] {
        let (postings, _) = fetch_ok(&allowed, s).await;
        assert_eq!(postings.len(), 2);
    }
}

#[tokio::test]
async fn provider_base_urls_are_guarded_too() {
    let server = FixtureServer::start(|_| Reply::json(r#"{"jobs": []}"#)).await;
    let e = fetch_err(
        &public_only(&server),
        &source("greenhouse", json!({"board": "acme"})),
    )
    .await;
    assert!(matches!(e, SourceError::Blocked { .. }), "{e:?}");
}

#[tokio::test]
async fn metadata_addresses_are_refused_under_both_policies() {
    let server = FixtureServer::start(|_| Reply::status(200)).await;
    for url in [
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/latest/",
    ] {
        for fetcher in [public_only(&server), fetcher_for(&server)] {
            let e = fetch_err(&fetcher, &source("jsonfeed", json!({"url": url}))).await;
            assert!(matches!(e, SourceError::Blocked { .. }), "{url}: {e:?}");
        }
    }
}

#[tokio::test]
async fn redirects_are_checked_hop_by_hop() {
    let server = FixtureServer::start(|req| match req.path() {
        "/to-metadata" => Reply::redirect("http://169.254.169.254/latest/meta-data/"),
        "/to-feed" => Reply::redirect("/jobs.rss"),
        "/jobs.rss" => Reply::xml(fixture("rss.xml")),
        "/loop" => Reply::redirect("/loop"),
        _ => Reply::status(404),
    })
    .await;
    let fetcher = fetcher_for(&server);
    let e = fetch_err(
        &fetcher,
        &source("rss", json!({"url": server.url("/to-metadata")})),
    )
    .await;
    assert!(matches!(e, SourceError::Blocked { .. }), "{e:?}");

    let (postings, _) = fetch_ok(
        &fetcher,
        &source("rss", json!({"url": server.url("/to-feed")})),
    )
    .await;
    assert_eq!(postings.len(), 2, "an allowed redirect is followed");

    let e = fetch_err(
        &fetcher,
        &source("rss", json!({"url": server.url("/loop")})),
    )
    .await;
    assert_eq!(e, SourceError::TooManyRedirects);
    let loops = server
        .requests()
        .iter()
        .filter(|r| r.path() == "/loop")
        .count();
    assert_eq!(loops, 6, "the first request and five redirects");
    // A redirect into a private range under `PublicOnly` cannot be shown end to end: the
    // fixture server is itself on loopback. `http::tests` covers that per-hop decision.
}
