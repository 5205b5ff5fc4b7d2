//! The map viewer in a real browser: Debian's headless Chromium driven over
//! WebDriver (chromedriver on a loopback port it picks, `fantoccini`), one
//! browser at a time.
//!
//! The demo's `index.html` is opened from `file://` and checked against
//! `tracks.geojson`, read independently: three track paths in the SVG
//! layer, three profile lines, no console message of level SEVERE (CSP
//! violations included), no resource fetched from anywhere but `data:`
//! URIs, the legend's switches, hover linking profile and map, and a real
//! mouse click on each track opening its popup with the track's end
//! elevation. A page of summits (the data a `peaks` run hands the viewer)
//! is checked the same way, and its basemap switch is ticked: tiles are
//! then requested from tile.openstreetmap.org and nowhere else. A screenshot of the demo is saved as
//! `target/viewer-screenshots/demo.png`.
//!
//! Without `chromium` and `chromedriver` on the PATH the tests print
//! "SKIPPED: ..." and return (`.ci/run` installs them).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use assert_cmd::prelude::*;
use fantoccini::actions::{InputSource, MouseActions, PointerAction, MOUSE_BUTTON_LEFT};
use fantoccini::wd::{Capabilities, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

/// A program on the PATH.
fn which(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for n in names {
            let p = dir.join(n);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// chromedriver in a process group of its own, ended with the browsers it
/// started (even when a test fails before closing its session) when dropped.
/// It holds the file's browser turn: the tests drive one browser at a time,
/// so a Chromium never competes with another for the machine while a test
/// waits on it.
struct Driver {
    child: Child,
    _turn: MutexGuard<'static, ()>,
}

impl Drop for Driver {
    fn drop(&mut self) {
        #[cfg(unix)]
        // SAFETY: kill(2) on the process group this test created.
        unsafe {
            libc::kill(-(self.child.id() as libc::pid_t), libc::SIGKILL);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One browser at a time across this file's tests.
static BROWSER_TURN: Mutex<()> = Mutex::new(());

/// Starts chromedriver on a port it picks itself (`--port=0`) and returns it
/// with that port, read from its "started successfully on port N" line. The
/// port is never chosen by the test and then handed over, so no other
/// socket can take it in between.
fn start_chromedriver(chromedriver: &Path) -> (Driver, u16) {
    let turn = BROWSER_TURN.lock().unwrap_or_else(|e| e.into_inner());
    let mut command = Command::new(chromedriver);
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command
        .arg("--port=0")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("chromedriver starts");
    let stdout = child.stdout.take().expect("chromedriver's stdout is piped");
    let driver = Driver { child, _turn: turn };
    let (sender, port) = mpsc::channel();
    // Reads the port, then keeps draining the pipe so chromedriver never
    // blocks on a full one.
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("started successfully on port ").nth(1) {
                if let Ok(p) = rest.trim_end_matches('.').trim().parse::<u16>() {
                    let _ = sender.send(p);
                }
            }
        }
    });
    let port = port
        .recv_timeout(Duration::from_secs(30))
        .expect("chromedriver says which port it listens on within 30 s");
    (driver, port)
}

/// The browser's console messages (chromedriver's Selenium log endpoint).
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _url: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(r#"{"type":"browser"}"#.into()))
    }
}

/// A headless Chromium session, or `None` (after printing SKIPPED) when
/// the browser or its driver is not installed.
async fn browser(profile: &Path) -> Option<(Driver, Client)> {
    let Some(chromium) = which(&["chromium", "chromium-browser", "google-chrome"]) else {
        eprintln!("SKIPPED: viewer browser test: no chromium on the PATH (apt-get install chromium chromium-driver)");
        return None;
    };
    let Some(chromedriver) = which(&["chromedriver"]) else {
        eprintln!("SKIPPED: viewer browser test: no chromedriver on the PATH (apt-get install chromium-driver)");
        return None;
    };
    let (driver, port) = start_chromedriver(&chromedriver);
    let mut caps = Capabilities::new();
    caps.insert("browserName".into(), json!("chrome"));
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1400,1000",
                // Belt and braces: a request that got past the page's policy would fail here.
                "--proxy-server=http://127.0.0.1:9",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    caps.insert("goog:loggingPrefs".into(), json!({"browser": "ALL"}));
    let url = format!("http://127.0.0.1:{port}");
    let began = Instant::now();
    loop {
        match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(client) => return Some((driver, client)),
            Err(e) if began.elapsed() < Duration::from_secs(20) => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("cannot start a Chromium session through chromedriver: {e}"),
        }
    }
}

/// Opens `page` and waits until the viewer says it is ready; returns the
/// milliseconds from navigation to ready, as the page measured them.
async fn open(client: &Client, page: &Path) -> f64 {
    let url = url::Url::from_file_path(page).expect("an absolute path");
    client.goto(url.as_str()).await.expect("the page opens");
    let began = Instant::now();
    loop {
        let ready = client
            .execute("return window.downhillReadyMs || null;", vec![])
            .await
            .expect("script runs");
        if let Some(ms) = ready.as_f64() {
            return ms;
        }
        assert!(
            began.elapsed() < Duration::from_secs(30),
            "the viewer never became ready"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn js(client: &Client, script: &str) -> Value {
    client.execute(script, vec![]).await.expect(script)
}

/// The first non-null result of `script` within 10 s (null after that).
async fn wait_for(client: &Client, script: &str) -> Value {
    let began = Instant::now();
    loop {
        let v = js(client, script).await;
        if !v.is_null() || began.elapsed() > Duration::from_secs(10) {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Console messages of level SEVERE since the last call.
async fn severe_messages(client: &Client) -> Vec<String> {
    let log = client
        .issue_cmd(BrowserLog)
        .await
        .expect("chromedriver returns the browser log");
    log.as_array()
        .expect("the log is an array")
        .iter()
        .filter(|e| e["level"] == "SEVERE")
        .map(|e| e["message"].to_string())
        .collect()
}

/// Every resource the page loaded that is not a data: URI.
async fn outside_requests(client: &Client) -> Vec<String> {
    let names = js(
        client,
        "return performance.getEntriesByType('resource').map(e => e.name)",
    )
    .await;
    names
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|n| n.as_str())
        .filter(|n| !n.starts_with("data:"))
        .map(str::to_owned)
        .collect()
}

/// A true mouse click at viewport pixel (`x`, `y`).
async fn click_at(client: &Client, x: f64, y: f64) {
    let mouse = MouseActions::new("mouse".into())
        .then(PointerAction::MoveTo {
            duration: None,
            x,
            y,
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        });
    client.perform_actions(mouse).await.expect("click");
    client.release_actions().await.expect("release");
}

/// Moves the mouse to viewport pixel (`x`, `y`).
async fn hover_at(client: &Client, x: f64, y: f64) {
    let mouse = MouseActions::new("mouse".into()).then(PointerAction::MoveTo {
        duration: None,
        x,
        y,
    });
    client.perform_actions(mouse).await.expect("move");
}

/// A viewport pixel (whole numbers) on the SVG path matched by `selector`
/// where that path is the topmost element, trying points from the middle
/// of the path outwards; `null` if there is none.
const POINT_ON_PATH: &str = r#"
const p = document.querySelector(arguments[0]);
if (!p) return null;
const len = p.getTotalLength(), m = p.getScreenCTM();
for (let k = 0; k <= 400; k++) {
  const f = 0.5 + (k % 2 ? 1 : -1) * Math.ceil(k / 2) / 800;
  const q = p.getPointAtLength(len * f).matrixTransform(m);
  const x = Math.round(q.x), y = Math.round(q.y);
  if (document.elementFromPoint(x, y) === p) return [x, y];
}
return null;
"#;

async fn point_on(client: &Client, selector: &str) -> Option<(f64, f64)> {
    let v = client
        .execute(POINT_ON_PATH, vec![json!(selector)])
        .await
        .expect("point search runs");
    let a = v.as_array()?;
    Some((a[0].as_f64()?, a[1].as_f64()?))
}

/// The end elevation of each agent's LineString in tracks.geojson.
fn end_elevations(geojson: &Path) -> Vec<(String, f64)> {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(geojson).unwrap()).unwrap();
    v["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["geometry"]["type"] == "LineString")
        .map(|f| {
            let coords = f["geometry"]["coordinates"].as_array().unwrap();
            let last = coords.last().unwrap();
            (
                f["properties"]["agent"].as_str().unwrap().to_string(),
                last[2].as_f64().unwrap(),
            )
        })
        .collect()
}

fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("target/tmp has a parent")
        .join("viewer-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test(flavor = "current_thread")]
async fn the_demo_page_works_offline_in_headless_chromium() {
    let tmp = tempfile::tempdir().unwrap();
    let Some((_driver, client)) = browser(&tmp.path().join("profile")).await else {
        return;
    };
    let out = tmp.path().join("demo");
    Command::cargo_bin("downhill")
        .unwrap()
        .args(["-q", "demo", "--out"])
        .arg(&out)
        .assert()
        .success();
    let page = out.join("index.html");
    let size = std::fs::metadata(&page).unwrap().len();
    eprintln!("demo index.html: {size} bytes");
    assert!(size < 3_000_000, "the demo page is {size} bytes");
    let ends = end_elevations(&out.join("tracks.geojson"));
    assert_eq!(ends.len(), 3, "{ends:?}");

    let ready_ms = open(&client, &page).await;
    eprintln!("viewer ready {ready_ms:.0} ms after navigation (headless Chromium, debug test run)");

    // Three track paths in Leaflet's SVG layer, three profile lines.
    let paths = js(
        &client,
        "return document.querySelectorAll('.leaflet-overlay-pane svg path.downhill-track').length",
    )
    .await;
    assert_eq!(paths, json!(3));
    let lines = js(
        &client,
        "return [...document.querySelectorAll('#profile svg path.downhill-profile-line')]\
         .map(p => [p.dataset.agent, p.getTotalLength() > 10])",
    )
    .await;
    let mut agents: Vec<String> = ends.iter().map(|(a, _)| a.clone()).collect();
    agents.sort();
    let mut drawn: Vec<String> = lines
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            assert_eq!(l[1], json!(true), "a profile line has no length: {l}");
            l[0].as_str().unwrap().to_string()
        })
        .collect();
    drawn.sort();
    assert_eq!(drawn, agents);
    // The relief is an inline picture (JPEG where it is opaque, PNG where
    // it has transparent voids or margins), decoded by the browser.
    let relief = js(
        &client,
        "const i = document.querySelector('img.downhill-relief'); \
         return i && i.complete && i.naturalWidth > 0 \
           && /^data:image\\/(jpeg|png);base64,/.test(i.src)",
    )
    .await;
    assert_eq!(relief, json!(true));

    // Each track alone (the legend switches the others off), clicked for real.
    for (agent, end) in &ends {
        for (other, _) in &ends {
            if other != agent {
                let sel = format!("input.downhill-toggle-track[data-agent='{other}']");
                client
                    .find(Locator::Css(&sel))
                    .await
                    .unwrap()
                    .click()
                    .await
                    .unwrap();
            }
        }
        let visible = js(
            &client,
            "return document.querySelectorAll('path.downhill-track').length",
        )
        .await;
        assert_eq!(
            visible,
            json!(1),
            "the legend did not hide the other tracks"
        );
        let (x, y) = point_on(&client, &format!("path.downhill-track-{agent}"))
            .await
            .unwrap_or_else(|| panic!("no clickable point on the {agent} track"));
        click_at(&client, x, y).await;
        let popup = wait_for(
            &client,
            "const p = document.querySelector('.leaflet-popup-content .downhill-popup'); \
             return p ? [p.dataset.agent, p.querySelector('.end-elevation').textContent] : null",
        )
        .await;
        let shown_agent = popup[0].as_str().expect("a popup opened");
        assert_eq!(shown_agent, agent);
        let text = popup[1].as_str().unwrap();
        let shown: f64 = text
            .trim_end_matches(" m")
            .replace(',', "")
            .parse()
            .unwrap_or_else(|_| panic!("'{text}' is not a height"));
        assert!(
            (shown - end).abs() <= 0.05 + 1e-9,
            "{agent}: the popup says {shown} m, tracks.geojson ends at {end} m"
        );
        js(&client, "window.downhillViewer.map.closePopup(); return 0").await;
        // The popup may have panned the map; let the pan end before the next point is chosen.
        tokio::time::sleep(Duration::from_millis(400)).await;
        for (other, _) in &ends {
            if other != agent {
                let sel = format!("input.downhill-toggle-track[data-agent='{other}']");
                client
                    .find(Locator::Css(&sel))
                    .await
                    .unwrap()
                    .click()
                    .await
                    .unwrap();
            }
        }
    }

    // Hovering a profile line puts the hover marker on the map, on that
    // track's point at that distance.
    let (agent, _) = &ends[1];
    let (x, y) = point_on(
        &client,
        &format!("#profile path.downhill-profile-line[data-agent='{agent}']"),
    )
    .await
    .expect("a point on the profile line");
    hover_at(&client, x, y).await;
    let linked = wait_for(
        &client,
        "const m = document.querySelector('path.downhill-hover-marker'); \
         const t = document.querySelector('#profile text.readout'); \
         return m && t.getAttribute('visibility') === 'visible' ? t.textContent : null",
    )
    .await;
    let title = js(
        &client,
        &format!("return window.downhillViewer.tracks.find(t => t.t.agent === '{agent}').t.title"),
    )
    .await;
    assert!(
        linked
            .as_str()
            .is_some_and(|t| t.starts_with(title.as_str().unwrap())),
        "no hover marker on the map for {agent}: {linked}"
    );
    // The other way round: hovering the track on the map shows the profile dot.
    hover_at(&client, 5.0, 5.0).await;
    let (x, y) = point_on(&client, &format!("path.downhill-track-{agent}"))
        .await
        .expect("a point on the track");
    hover_at(&client, x, y).await;
    let dot = wait_for(
        &client,
        "const v = document.querySelector('#profile circle.profile-dot').getAttribute('visibility'); \
         return v === 'visible' ? v : null",
    )
    .await;
    assert_eq!(
        dot,
        json!("visible"),
        "hovering the track shows no dot on the profile"
    );
    // The cursor readout names a height from the embedded grid.
    let readout = js(
        &client,
        "return document.getElementById('downhill-cursor').textContent",
    )
    .await;
    assert!(readout.as_str().unwrap_or("").ends_with(" m"), "{readout}");

    // Screenshots: the whole run with the profile hovered, then a popup.
    js(
        &client,
        "window.downhillViewer.map.closePopup(); window.downhillViewer.showAll(); return 0",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let (x, y) = point_on(
        &client,
        "#profile path.downhill-profile-line[data-agent='momentum']",
    )
    .await
    .expect("a point on the ball's profile");
    hover_at(&client, x, y).await;
    let dir = screenshot_dir();
    std::fs::write(dir.join("demo.png"), client.screenshot().await.unwrap()).unwrap();
    let (x, y) = point_on(&client, "path.downhill-track-momentum")
        .await
        .expect("a point on the momentum track");
    click_at(&client, x, y).await;
    // Past the popup's fade-in.
    tokio::time::sleep(Duration::from_millis(600)).await;
    std::fs::write(
        dir.join("demo-popup.png"),
        client.screenshot().await.unwrap(),
    )
    .unwrap();
    eprintln!("screenshots: {}/demo.png, demo-popup.png", dir.display());

    let severe = severe_messages(&client).await;
    assert!(severe.is_empty(), "console errors: {severe:#?}");
    let outside = outside_requests(&client).await;
    assert!(
        outside.is_empty(),
        "requests outside the page: {outside:#?}"
    );
    client.close().await.unwrap();
}

/// A page of summits, the data the `peaks` command hands the viewer:
/// one marker per summit, its popup with the elevation and prominence.
#[tokio::test(flavor = "current_thread")]
async fn a_summits_page_shows_every_summit_with_its_prominence() {
    use downhill::viewer::{Page, Summit};
    let tmp = tempfile::tempdir().unwrap();
    let Some((_driver, client)) = browser(&tmp.path().join("profile")).await else {
        return;
    };
    let mut page = Page::new("Summits <test>");
    page.attribution = "made-up summits".into();
    let summits = [
        ("Mount Leinster", 52.6178, -6.7797, 794.0, 707.0),
        ("Blackstairs", 52.5510, -6.8059, 735.0, 315.0),
        ("Croaghaun", 52.6370, -6.7370, 403.0, 63.0),
    ];
    for (name, lat, lon, z, p) in summits {
        page.summits.push(Summit {
            name: name.into(),
            lon,
            lat,
            elevation_m: z,
            prominence_m: Some(p),
        });
    }
    let file = tmp.path().join("index.html");
    std::fs::write(&file, page.to_html().unwrap()).unwrap();
    open(&client, &file).await;
    let count = js(
        &client,
        "return document.querySelectorAll('.leaflet-marker-pane .downhill-summit').length",
    )
    .await;
    assert_eq!(count, json!(3));
    let icon = client
        .find(Locator::Css(".downhill-summit[title='Blackstairs']"))
        .await
        .expect("the Blackstairs marker");
    icon.click().await.unwrap();
    let popup = js(
        &client,
        "return document.querySelector('.leaflet-popup-content').textContent",
    )
    .await;
    let text = popup.as_str().unwrap();
    assert!(
        text.contains("Blackstairs") && text.contains("735 m") && text.contains("315 m"),
        "{text}"
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    std::fs::write(
        screenshot_dir().join("summits.png"),
        client.screenshot().await.unwrap(),
    )
    .unwrap();
    let profile_shown = js(
        &client,
        "return getComputedStyle(document.getElementById('profile-panel')).display",
    )
    .await;
    assert_eq!(profile_shown, json!("none"), "no tracks, so no profile");
    let severe = severe_messages(&client).await;
    assert!(severe.is_empty(), "console errors: {severe:#?}");
    assert!(outside_requests(&client).await.is_empty());

    // The basemap switch: the policy lets its tiles through (here they fail
    // at the test's dead proxy) and refuses nothing else.
    client
        .find(Locator::Css("#downhill-osm"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let tiles = wait_for(
        &client,
        "const n = performance.getEntriesByType('resource').map(e => e.name) \
           .filter(u => u.startsWith('https://tile.openstreetmap.org/')).length; \
         return n > 0 ? n : null",
    )
    .await;
    assert!(
        tiles.as_u64().is_some_and(|n| n > 0),
        "no tile was requested: {tiles}"
    );
    let hosts = js(
        &client,
        "return [...new Set(performance.getEntriesByType('resource').map(e => new URL(e.name).host))]",
    )
    .await;
    assert_eq!(hosts, json!(["tile.openstreetmap.org"]));
    let attribution = js(
        &client,
        "return document.querySelector('.leaflet-control-attribution').textContent",
    )
    .await;
    assert!(
        attribution
            .as_str()
            .unwrap()
            .contains("OpenStreetMap contributors"),
        "{attribution}"
    );
    for message in severe_messages(&client).await {
        assert!(
            !message.contains("Content Security Policy")
                && message.contains("tile.openstreetmap.org"),
            "{message}"
        );
    }
    client.close().await.unwrap();
}

/// The polygons of `basins.geojson` as (id, geometry), read with the
/// `geojson` and `geo` crates.
fn basin_polygons(path: &Path) -> Vec<(u64, geo::Geometry<f64>)> {
    let text = std::fs::read_to_string(path).unwrap();
    let fc: geojson::FeatureCollection = text.parse().unwrap();
    fc.features
        .into_iter()
        .map(|f| {
            let id = f.properties.as_ref().unwrap()["id"].as_u64().unwrap();
            let g: geo::Geometry<f64> = f.geometry.unwrap().value.try_into().unwrap();
            (id, g)
        })
        .collect()
}

/// A `basins` run's page: every outline and sink drawn, and hovering
/// names the basin that `basins.geojson` (tested independently with `geo`)
/// has under the pointer.
#[tokio::test(flavor = "current_thread")]
async fn the_basins_page_names_the_basin_under_the_pointer() {
    use geo::Contains;
    let tmp = tempfile::tempdir().unwrap();
    let Some((_driver, client)) = browser(&tmp.path().join("profile")).await else {
        return;
    };
    let out = tmp.path().join("basins");
    let tile = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/N52W007.hgt");
    Command::cargo_bin("downhill")
        .unwrap()
        .arg("-q")
        .arg("basins")
        .arg(&tile)
        .args(["--bbox=-6.86,52.57,-6.74,52.65", "--fill", "--out"])
        .arg(&out)
        .assert()
        .success();
    let polygons = basin_polygons(&out.join("basins.geojson"));
    let sinks: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("sinks.geojson")).unwrap()).unwrap();
    let sink_count = sinks["features"].as_array().unwrap().len();
    let ready_ms = open(&client, &out.join("index.html")).await;
    eprintln!("basins viewer ready {ready_ms:.0} ms after navigation");
    let labels = js(
        &client,
        "return [...document.querySelectorAll('#downhill-legend label')].map(l => l.textContent)",
    )
    .await;
    let labels: Vec<&str> = labels
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l.as_str())
        .collect();
    assert!(
        labels.contains(&format!("Basins ({})", polygons.len()).as_str()),
        "{labels:?}"
    );
    assert!(
        labels.contains(&format!("Sinks ({sink_count})").as_str()),
        "{labels:?}"
    );
    // Points across the map: the tooltip names the basin holding the point.
    let mut checked = 0;
    for (fx, fy) in [(0.5, 0.5), (0.3, 0.4), (0.6, 0.7), (0.45, 0.25)] {
        let at = js(
            &client,
            &format!(
                "const r = document.getElementById('map').getBoundingClientRect(); \
                 const x = Math.round(r.left + r.width * {fx}), y = Math.round(r.top + r.height * {fy}); \
                 const ll = window.downhillViewer.map.containerPointToLatLng([x - r.left, y - r.top]); \
                 return [x, y, ll.lng, ll.lat]"
            ),
        )
        .await;
        let (x, y) = (at[0].as_f64().unwrap(), at[1].as_f64().unwrap());
        let point = geo::Point::new(at[2].as_f64().unwrap(), at[3].as_f64().unwrap());
        let inside: Vec<u64> = polygons
            .iter()
            .filter(|(_, g)| g.contains(&point))
            .map(|(id, _)| *id)
            .collect();
        // Leaflet's canvas layer reads the pointer at most every 32 ms.
        hover_at(&client, 5.0, 5.0).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        hover_at(&client, x, y).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        let tip = js(
            &client,
            "const t = document.querySelector('.downhill-basin-tip .basin-id'); return t ? t.textContent : null",
        )
        .await;
        if let [id] = inside[..] {
            let tip = tip
                .as_str()
                .unwrap_or_else(|| panic!("no tooltip over basin {id}"));
            assert!(
                tip == format!("Basin {id}"),
                "basins.geojson has basin {id} at {point:?}, the page says '{tip}'"
            );
            checked += 1;
        }
    }
    assert!(checked >= 3, "only {checked} points fell inside one basin");
    let shot = screenshot_dir().join("basins.png");
    std::fs::write(&shot, client.screenshot().await.unwrap()).unwrap();
    let severe = severe_messages(&client).await;
    assert!(severe.is_empty(), "console errors: {severe:#?}");
    assert!(outside_requests(&client).await.is_empty());
    client.close().await.unwrap();
}

/// When the outlines are too large the page shows the coloured picture
/// and says so.
#[tokio::test(flavor = "current_thread")]
async fn a_basins_picture_page_says_why_it_is_a_picture() {
    use downhill::viewer::{BasinLayer, ImageOverlay, Page, Sampling, Sink};
    let tmp = tempfile::tempdir().unwrap();
    let Some((_driver, client)) = browser(&tmp.path().join("profile")).await else {
        return;
    };
    let picture = image::RgbaImage::from_fn(60, 40, |x, y| {
        image::Rgba([(x * 4) as u8, (y * 6) as u8, 128, 255])
    });
    let sinks = vec![Sink {
        id: 1,
        lon: -6.75,
        lat: 52.6,
        elevation_m: Some(20.0),
        area_km2: 12.5,
        ending: "edge".into(),
    }];
    let layer = BasinLayer::choose(
        Some(b"{\"type\":\"FeatureCollection\",\"features\":[]}"),
        vec!["#ff0000".into()],
        sinks,
        8,
        || {
            ImageOverlay::from_grid_image(
                &picture,
                downhill::geo::Bounds::new(-6.8, 52.55, -6.7, 52.65),
                &downhill::dem::Crs::Geographic,
                Sampling::Nearest,
                2048,
            )
        },
    )
    .unwrap();
    let mut page = Page::new("basins as a picture");
    page.basins = Some(layer);
    let file = tmp.path().join("index.html");
    std::fs::write(&file, page.to_html().unwrap()).unwrap();
    open(&client, &file).await;
    let state = js(
        &client,
        "const i = document.querySelector('img.downhill-basins-picture'); \
         return [!!(i && i.complete && i.naturalWidth > 0), document.getElementById('notes').textContent]",
    )
    .await;
    assert_eq!(state[0], json!(true), "{state}");
    assert!(
        state[1].as_str().unwrap().contains("too large to embed"),
        "{state}"
    );
    let severe = severe_messages(&client).await;
    assert!(severe.is_empty(), "console errors: {severe:#?}");
    client.close().await.unwrap();
}

/// Any page, for pages of runs on other tiles:
/// `VIEWER_PAGE=/path/to/index.html cargo test --test viewer_browser -- --ignored --nocapture`.
/// Opens it offline, waits for the viewer and the relief, prints how long
/// they took, checks the console and the requests, and saves
/// `target/viewer-screenshots/page.png`.
#[tokio::test(flavor = "current_thread")]
#[ignore = "needs VIEWER_PAGE=/path/to/index.html"]
async fn any_page_opens_offline() {
    let Some(page) = std::env::var_os("VIEWER_PAGE") else {
        eprintln!("SKIPPED: set VIEWER_PAGE=/path/to/index.html");
        return;
    };
    let page = std::fs::canonicalize(page).expect("VIEWER_PAGE exists");
    let tmp = tempfile::tempdir().unwrap();
    let Some((_driver, client)) = browser(&tmp.path().join("profile")).await else {
        return;
    };
    let ready_ms = open(&client, &page).await;
    let began = Instant::now();
    let relief_ms = loop {
        let v = js(&client, "return window.downhillReliefMs || (document.querySelector('img.downhill-relief') ? null : -1)").await;
        if let Some(ms) = v.as_f64() {
            break ms;
        }
        assert!(
            began.elapsed() < Duration::from_secs(30),
            "the relief never loaded"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    eprintln!(
        "{}: {} bytes, viewer ready {ready_ms:.0} ms, relief drawn {relief_ms:.0} ms after navigation",
        page.display(),
        std::fs::metadata(&page).unwrap().len()
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let shot = screenshot_dir().join("page.png");
    std::fs::write(&shot, client.screenshot().await.unwrap()).unwrap();
    eprintln!("screenshot: {}", shot.display());
    let severe = severe_messages(&client).await;
    assert!(severe.is_empty(), "console errors: {severe:#?}");
    let outside = outside_requests(&client).await;
    assert!(
        outside.is_empty(),
        "requests outside the page: {outside:#?}"
    );
    client.close().await.unwrap();
}
