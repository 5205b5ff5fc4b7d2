//! OpenStreetMap gazetteers: hand-written `.osm` XML, the same data as
//! `.osm.pbf` made by osmium-tool, garbage, and a drop on a peak named only
//! by OpenStreetMap.

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use assert_cmd::Command;
use downhill::peaks::osm::{read_pbf, read_xml, LonLatBox};
use downhill::peaks::Gazetteer;

const TILE: &str = "data/N52W007.hgt";

/// Summits around the bundled tile, and two things that are not named summits.
/// Brandon Hill (Co. Kilkenny, 515 m) is not in data/peaks.csv.
const OSM: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="hand">
  <bounds minlat="44" minlon="-72" maxlat="53" maxlon="-6"/>
  <node id="101" lat="52.5100" lon="-6.9742" version="1">
    <tag k="natural" v="peak"/>
    <tag k="name" v="Brandon Hill"/>
    <tag k="ele" v="515"/>
  </node>
  <node id="102" lat="52.7000" lon="-6.5000" version="1">
    <tag k="natural" v="volcano"/>
    <tag k="name" v="Cnoc &amp; Sliabh Ó Dónaill"/>
    <tag k="ele" v="1200 ft"/>
  </node>
  <node id="103" lat="52.8000" lon="-6.6000" version="1">
    <tag k="natural" v="peak"/>
    <tag k="ele" v="300"/>
  </node>
  <node id="104" lat="52.8100" lon="-6.6100" version="1">
    <tag k="amenity" v="pub"/>
    <tag k="name" v="The Summit Bar"/>
  </node>
  <node id="105" lat="44.2705" lon="-71.3033" version="1">
    <tag k="natural" v="peak"/>
    <tag k="name" v="Mount Washington"/>
    <tag k="ele" v="1917"/>
  </node>
  <node id="106" lat="52.9" lon="-6.9" version="1"/>
  <way id="201" version="1">
    <nd ref="101"/>
    <nd ref="102"/>
    <tag k="natural" v="ridge"/>
  </way>
</osm>
"#;

/// The tile's box in degrees.
const IRELAND: LonLatBox = LonLatBox {
    west: -7.0,
    south: 52.0,
    east: -6.0,
    north: 53.0,
};

fn write_osm(dir: &Path) -> PathBuf {
    let p = dir.join("extract.osm");
    std::fs::write(&p, OSM).unwrap();
    p
}

/// `extract.osm.pbf` built by osmium-tool from the XML, or `None` (with a
/// SKIPPED note) when osmium is not installed.
fn write_pbf(dir: &Path) -> Option<PathBuf> {
    let xml = write_osm(dir);
    let pbf = dir.join("extract.osm.pbf");
    match Process::new("osmium")
        .arg("cat")
        .arg(&xml)
        .arg("-o")
        .arg(&pbf)
        .arg("--overwrite")
        .output()
    {
        Ok(out) if out.status.success() => Some(pbf),
        Ok(out) => panic!(
            "osmium cat failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(_) => {
            eprintln!("SKIPPED: osmium-tool is not installed (apt-get install osmium-tool)");
            None
        }
    }
}

#[test]
fn xml_keeps_named_peaks_and_volcanoes_inside_the_box() {
    let dir = tempfile::tempdir().unwrap();
    let found = read_xml(&write_osm(dir.path()), &IRELAND).unwrap();
    let names: Vec<&str> = found.peaks.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["Brandon Hill", "Cnoc & Sliabh Ó Dónaill"]);
    assert_eq!(found.outside, 1, "Mount Washington lies outside");
    assert_eq!(found.nodes, 6);
    let b = &found.peaks[0];
    assert_eq!((b.lat, b.lon, b.elevation), (52.51, -6.9742, Some(515.0)));
    // An ele in feet is not taken for metres.
    assert_eq!(found.peaks[1].elevation, None);
    // Without a box, Mount Washington is kept.
    let all = read_xml(&write_osm(dir.path()), &LonLatBox::WORLD).unwrap();
    assert_eq!(all.peaks.len(), 3);
}

#[test]
fn pbf_made_by_osmium_reads_as_the_xml_does() {
    let dir = tempfile::tempdir().unwrap();
    let Some(pbf) = write_pbf(dir.path()) else {
        return;
    };
    let xml = read_xml(&write_osm(dir.path()), &IRELAND).unwrap();
    let bin = read_pbf(&pbf, &IRELAND).unwrap();
    assert_eq!(bin.peaks.len(), xml.peaks.len());
    assert_eq!(bin.outside, 1);
    for (a, b) in bin.peaks.iter().zip(&xml.peaks) {
        assert_eq!(a.name, b.name);
        assert_eq!(a.elevation, b.elevation);
        // PBF stores coordinates in steps of 100 nanodegrees.
        assert!((a.lat - b.lat).abs() < 1e-6 && (a.lon - b.lon).abs() < 1e-6);
    }
    // The gazetteer dispatches on the extension.
    let g = Gazetteer::from_file_within(&pbf, &IRELAND).unwrap();
    assert_eq!(g.find("brandon hill").unwrap().elevation, Some(515.0));
    // Nothing inside the box: a clear error naming the file.
    let far = LonLatBox {
        west: 10.0,
        south: 10.0,
        east: 11.0,
        north: 11.0,
    };
    let e = Gazetteer::from_file_within(&pbf, &far)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("extract.osm.pbf") && e.contains("natural=peak"),
        "{e}"
    );
}

#[test]
fn garbage_gets_a_clear_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[u8]); 7] = [
        (
            "noise.osm.pbf",
            &[0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8],
        ),
        ("empty.osm.pbf", b""),
        ("text.osm.pbf", b"<osm></osm>"),
        ("html.osm", b"<html><body>404</body></html>"),
        (
            "truncated.osm",
            b"<osm><node id=\"1\" lat=\"52.5\" lon=\"-6.5\"><tag k=\"natural\" v=\"pe",
        ),
        (
            "badlat.osm",
            b"<osm><node id=\"1\" lat=\"north\" lon=\"-6.5\"/></osm>",
        ),
        (
            "cut.osm",
            b"<osm><node id=\"1\" lat=\"52.5\" lon=\"-6.5\"><tag k=\"natural\" v=\"peak\"/>",
        ),
    ];
    for (name, bytes) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        let e = Gazetteer::from_file_within(&p, &IRELAND)
            .expect_err(name)
            .to_string();
        assert!(e.contains(name), "{name}: {e}");
        assert_eq!(e.lines().count(), 1, "{e}");
    }
    // A huge claimed blob header is refused without allocating it.
    let p = dir.path().join("huge.osm.pbf");
    std::fs::write(&p, [0x7f, 0xff, 0xff, 0xff, 0, 0]).unwrap();
    assert!(Gazetteer::from_file_within(&p, &IRELAND).is_err());
}

fn downhill() -> Command {
    Command::cargo_bin("downhill").unwrap()
}

#[test]
fn drop_on_a_peak_named_only_by_openstreetmap() {
    let dir = tempfile::tempdir().unwrap();
    let Some(pbf) = write_pbf(dir.path()) else {
        return;
    };
    // Not in the bundled gazetteer.
    assert!(Gazetteer::bundled().unwrap().find("Brandon Hill").is_err());
    let out = downhill()
        .args(["drop", TILE, "--peak", "brandon hill", "--json", "--out"])
        .arg(dir.path().join("run"))
        .arg("--gazetteer")
        .arg(&pbf)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let start = &v[0]["start"];
    let (lon, lat) = (
        start["lon"].as_f64().unwrap(),
        start["lat"].as_f64().unwrap(),
    );
    // Snapped to the DEM's summit, within the 250 m snap of the OSM node.
    let d = downhill::geo::geodesy::geodesic_distance(lon, lat, -6.9742, 52.51);
    assert!(d <= 250.0, "{d} m from the node");
    assert_eq!(v[0]["peak"]["name"], "Brandon Hill");

    // `peaks` names the summit from the same extract.
    let out = downhill()
        .args([
            "peaks",
            TILE,
            "--json",
            "--min-prominence",
            "300",
            "--gazetteer",
        ])
        .arg(&pbf)
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let named: Vec<&serde_json::Value> = v
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["name"] == "Brandon Hill")
        .collect();
    assert_eq!(named.len(), 1, "{v}");
    let s = named[0];
    let d = downhill::geo::geodesy::geodesic_distance(
        s["lon"].as_f64().unwrap(),
        s["lat"].as_f64().unwrap(),
        -6.9742,
        52.51,
    );
    assert!(d <= 250.0, "{d}");

    // Mount Washington lies in the extract but outside the tile: skipped.
    let out = downhill()
        .args(["drop", TILE, "--peak", "Mount Washington", "--gazetteer"])
        .arg(&pbf)
        .arg("--out")
        .arg(dir.path().join("nope"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no peak called 'Mount Washington'"),
        "{stderr}"
    );
}
