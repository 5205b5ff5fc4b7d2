//! Regressions for the crashes found in hostile inputs, run through the
//! library's in-memory readers (the same entry points the fuzz targets in
//! `fuzz/` drive).
//!
//! The crashes the issue reported against the old readers are rebuilt
//! here: randomly mutated LZW (and tiled BigTIFF) GeoTIFFs, one of which
//! aborted in the `tiff` crate's tag reading, zips whose headers lie, and
//! the formulas that hung. The mutation test also found two holes in the
//! new reader, fixed with it: an image of 0 rows was accepted, and so were
//! cells so small (1e-300 degrees) that every sample fell on one
//! coordinate. Every input must end in `Ok` or a one-line error, without a
//! panic (which fails the test) or an abort (which kills it). What the
//! fuzzers found is listed in the README ("Reliability", "Fuzzing").

use std::path::Path;

use downhill::analytic::AnalyticSurface;
use downhill::budget::Budget;
use downhill::dem::{geotiff, hgt};
use downhill::Error;

fn fixture(name: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/hostile")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A deterministic xorshift stream.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// `count` mutants of `seed`: each with 1 to 8 bytes replaced, some by
/// "interesting" values (0, 0xFF, 0x7F, 0x80) that make counts and sizes
/// huge, the way fuzzers mutate.
fn mutants(seed: &[u8], count: usize, rng_seed: u64) -> Vec<Vec<u8>> {
    let mut rng = Rng(rng_seed);
    (0..count)
        .map(|_| {
            let mut m = seed.to_vec();
            let edits = 1 + rng.next() % 8;
            for _ in 0..edits {
                let at = (rng.next() % m.len() as u64) as usize;
                m[at] = match rng.next() % 6 {
                    0 => 0,
                    1 => 0xFF,
                    2 => 0x7F,
                    3 => 0x80,
                    _ => rng.next() as u8,
                };
            }
            m
        })
        .collect()
}

fn one_line(e: &Error) {
    let text = e.to_string();
    assert!(!text.contains('\n'), "{text}");
    assert!(!text.contains("18446744073709551615"), "{text}");
}

#[test]
fn mutated_lzw_and_tiled_bigtiff_geotiffs_meet_errors_not_aborts() {
    let budget = Budget::with_max_cells(1 << 22);
    let (mut ok, mut refused) = (0, 0);
    for (name, rng_seed) in [
        ("int16_lzw_strip.tif", 0x9E37_79B9_7F4A_7C15),
        ("int16_deflate_tiled_big.tif", 0xD1B5_4A32_D192_ED03),
    ] {
        let seed = fixture(name);
        // The seed itself reads: the mutants test the reader, not the seed.
        let dem = geotiff::read_bytes(Path::new(name), &seed, &budget)
            .unwrap_or_else(|e| panic!("{name}: {}", Error::from(e)));
        assert_eq!((dem.rows(), dem.cols()), (24, 20));
        for m in mutants(&seed, 3000, rng_seed) {
            match geotiff::read_bytes(Path::new(name), &m, &budget) {
                Ok(dem) => {
                    ok += 1;
                    assert!(dem.rows() as u64 * dem.cols() as u64 <= budget.max_cells);
                    let [w, s, e, n] = dem.bounds().to_array();
                    assert!(w < e && s < n, "{name}: bounds {w} {s} {e} {n}");
                }
                Err(e) => {
                    refused += 1;
                    one_line(&Error::from(e));
                }
            }
        }
    }
    // Both outcomes occur, so the mutants reach past the signature check.
    assert!(ok > 0 && refused > 0, "ok {ok}, refused {refused}");
}

#[test]
fn a_geotiff_whose_strip_claims_a_huge_lzw_chunk_is_refused_by_the_limits() {
    // The LZW seed with its StripByteCounts and RowsPerStrip made enormous:
    // the decoder must refuse the chunk rather than allocate it.
    let mut t = fixture("int16_lzw_strip.tif");
    let ifd = u32::from_le_bytes(t[4..8].try_into().unwrap()) as usize;
    let n = u16::from_le_bytes(t[ifd..ifd + 2].try_into().unwrap()) as usize;
    for i in 0..n {
        let e = ifd + 2 + 12 * i;
        let tag = u16::from_le_bytes(t[e..e + 2].try_into().unwrap());
        if tag == 256 || tag == 257 {
            // SHORT width/height: the largest a SHORT holds.
            t[e + 8..e + 10].copy_from_slice(&u16::MAX.to_le_bytes());
        }
    }
    let budget = Budget::with_max_cells(1 << 22);
    let err = geotiff::read_bytes(Path::new("lzw.tif"), &t, &budget).unwrap_err();
    let err = Error::from(err);
    one_line(&err);
}

/// A zip holding `N00E000.hgt` of `real` bytes whose headers claim `claim`.
fn zip_with_claim(real: &[u8], claim: u32) -> Vec<u8> {
    use std::io::Write;
    let mut cursor = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut cursor);
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        z.start_file("N00E000.hgt", options).unwrap();
        z.write_all(real).unwrap();
        z.finish().unwrap();
    }
    let mut bytes = cursor.into_inner();
    bytes[22..26].copy_from_slice(&claim.to_le_bytes());
    let cd = bytes.windows(4).rposition(|w| w == b"PK\x01\x02").unwrap();
    bytes[cd + 24..cd + 28].copy_from_slice(&claim.to_le_bytes());
    bytes
}

#[test]
fn zips_whose_headers_lie_either_way_are_refused() {
    let srtm3 = 1201 * 1201 * 2;
    let path = Path::new("N00E000.hgt.zip");
    // More data than claimed: stopped one byte past the claim.
    let e = hgt::read_bytes(
        path,
        &zip_with_claim(&vec![0; srtm3 + 4096], srtm3 as u32),
        None,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("inflates to more"), "{e}");
    // Less data than claimed.
    let e = hgt::read_bytes(path, &zip_with_claim(&vec![0; 1000], srtm3 as u32), None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("inflates to 1000 bytes"), "{e}");
    // A claim larger than any tile is refused before inflating.
    let e = hgt::read_bytes(path, &zip_with_claim(&[0; 10], u32::MAX), None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(&u32::MAX.to_string()) && e.contains("more than any SRTM tile"),
        "{e}"
    );
    // The honest zip reads (reference: an all-zero SRTM3 tile).
    let dem = hgt::read_bytes(path, &zip_with_claim(&vec![0; srtm3], srtm3 as u32), None).unwrap();
    assert_eq!(dem.stats().max, 0.0);
}

#[test]
fn mutated_zipped_tiles_meet_errors_not_aborts() {
    // The fixture is the hgt_zip fuzz seed: one selector byte, then the zip.
    let seed = fixture("zip_zero_tile.bin")[1..].to_vec();
    let path = Path::new("N52W007.hgt.zip");
    assert!(hgt::read_bytes(path, &seed, None).is_ok());
    let mut refused = 0;
    for m in mutants(&seed, 300, 0x2545_F491_4F6C_DD1D) {
        if let Err(e) = hgt::read_bytes(path, &m, None) {
            refused += 1;
            one_line(&e);
        }
    }
    assert!(refused > 0);
}

#[test]
fn formulas_the_issue_found_hanging_are_refused_as_over_budget() {
    let extent = [-1.0, -1.0, 1.0, 1.0];
    let cases = [
        format!("{}x{}", "sin(".repeat(1000), ")".repeat(1000)),
        vec!["x*y"; 500].join("+"),
        vec!["x"; 400].join("^"),
        // The doubling product: 2^10 copies of x once written out.
        (0..10).fold("x".to_string(), |e, _| format!("({e})*({e})")),
    ];
    for f in &cases {
        let started = std::time::Instant::now();
        let e = AnalyticSurface::parse(f, extent).unwrap_err();
        assert!(matches!(e, Error::OverBudget(_)), "{:.40}: {e}", f);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{:.40}",
            f
        );
        one_line(&e);
    }
}
