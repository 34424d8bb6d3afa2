//! The HTML board in a real browser: headless Chromium loads the page from
//! a file, takes a screenshot (kept in `target/test-artifacts/`), and its
//! DOM, dumped after the page's script ran, must show every element of the
//! model, and with `#filter=Context` hide every other context.
//!
//! Skipped when `/usr/bin/chromium` is missing, unless
//! `SQUALL_REQUIRE_TOOLS=1` says the environment must have it (CI).

use std::path::{Path, PathBuf};
use std::process::Command;

use squall::diagram::{self, Format, Kind};

use super::{element_keys, payments};

const CHROMIUM: &str = "/usr/bin/chromium";

fn browser() -> Option<&'static str> {
    if Path::new(CHROMIUM).exists() {
        return Some(CHROMIUM);
    }
    if std::env::var_os("SQUALL_REQUIRE_TOOLS").is_some() {
        panic!("SQUALL_REQUIRE_TOOLS is set but {CHROMIUM} is missing");
    }
    None
}

fn artifacts() -> PathBuf {
    // The target directory is the parent of the integration tests' scratch
    // directory, wherever the target directory is.
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).parent().map_or_else(|| PathBuf::from("target"), Path::to_path_buf);
    let dir = dir.join("test-artifacts");
    std::fs::create_dir_all(&dir).expect("the artefact directory can be made");
    dir
}

/// Runs headless Chromium with a profile of its own and nothing that talks
/// to the network; returns its standard output.
fn chromium(browser: &str, profile: &Path, args: &[String]) -> String {
    let output = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .output()
        .expect("chromium starts");
    assert!(output.status.success(), "chromium failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The stickies in a dumped DOM: (data-element, data-context, filtered).
fn stickies(dom: &str) -> Vec<(String, String, bool)> {
    let mut found = Vec::new();
    for tag in dom.split("<g ").skip(1) {
        let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
        let attribute = |name: &str| {
            let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
            let end = tag[start..].find('"')? + start;
            Some(tag[start..end].to_string())
        };
        let (Some(class), Some(element)) = (attribute("class"), attribute("data-element")) else { continue };
        if class.split(' ').any(|c| c == "sticky") {
            let context = attribute("data-context").unwrap_or_default();
            found.push((element, context, class.split(' ').any(|c| c == "filtered")));
        }
    }
    found
}

/// The `viewBox` of the page's picture, as the script left it.
fn view_box(dom: &str) -> Vec<f64> {
    let tag = dom.split("<svg ").nth(1).and_then(|t| t.split('>').next()).unwrap_or_default();
    let value = tag.split("viewBox=\"").nth(1).and_then(|v| v.split('"').next()).unwrap_or_default();
    let numbers: Vec<f64> = value.split_whitespace().filter_map(|n| n.parse().ok()).collect();
    assert_eq!(numbers.len(), 4, "no viewBox in <svg {tag}>");
    numbers
}

#[test]
fn the_html_board_shows_every_element_and_filters_by_context() {
    let Some(browser) = browser() else {
        eprintln!("skipped: {CHROMIUM} is not installed");
        return;
    };
    let model = payments();

    let artifacts = artifacts();
    let page = artifacts.join("payments-board.html");
    std::fs::write(&page, diagram::render(&model, Kind::Board, Format::Html, &[])).expect("the page is written");
    let profile = tempfile::tempdir().expect("a profile directory");
    let url = format!("file://{}", page.display());

    let screenshot = artifacts.join("payments-board.png");
    let _ = std::fs::remove_file(&screenshot);
    chromium(
        browser,
        profile.path(),
        &[
            format!("--screenshot={}", screenshot.display()),
            "--window-size=1600,900".into(),
            format!("{url}#select=Transactions.PaymentCompleted"),
        ],
    );
    let png = std::fs::read(&screenshot).expect("the screenshot was taken");
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "the screenshot is not a picture of anything");

    // Everything on the board, nothing filtered.
    let dom = chromium(browser, profile.path(), &["--dump-dom".into(), url.clone()]);
    let all = stickies(&dom);
    for key in element_keys(&model) {
        assert!(all.iter().any(|(element, _, _)| *element == key), "{key} is not on the board");
    }
    assert_eq!(all.iter().filter(|(e, _, _)| e.contains("hotspot-")).count(), model.hotspots.len());
    assert!(all.iter().all(|(_, _, filtered)| !filtered), "nothing is filtered without a filter");
    // The page's script ran: it fits the picture to the window, dropping
    // the fixed size the SVG was written with.
    let svg_tag = dom.split("<svg ").nth(1).and_then(|t| t.split('>').next()).unwrap_or_default();
    assert!(svg_tag.contains("viewBox") && !svg_tag.contains(" width="), "the script did not run: <svg {svg_tag}>");
    let full_view = view_box(&dom);

    // Only Billing: every other context's stickies are hidden, Billing's are not.
    let dom = chromium(browser, profile.path(), &["--dump-dom".into(), format!("{url}#filter=Billing")]);
    let filtered = stickies(&dom);
    assert_eq!(filtered.len(), all.len());
    for (element, context, hidden) in &filtered {
        assert_eq!(*hidden, context != "Billing", "{element} in {context}");
    }
    assert!(dom.contains("class=\"frame filtered\" data-context=\"Customer\""), "the Customer lane is hidden");
    // The view fits what is left: one lane of three is much lower than the
    // whole board.
    let billing_view = view_box(&dom);
    assert!(
        billing_view[3] < full_view[3] / 2.0,
        "the view did not fit the Billing lane: {billing_view:?} of {full_view:?}"
    );

    // The panel opens on a sticky, with its links.
    let dom =
        chromium(browser, profile.path(), &["--dump-dom".into(), format!("{url}#select=Billing.BillCompletedPayment")]);
    assert!(dom.contains("data-selected=\"Billing.BillCompletedPayment\""), "the panel did not open");
    assert!(dom.contains(">Transactions.PaymentCompleted</button>"), "the panel lacks the policy's event");
}
