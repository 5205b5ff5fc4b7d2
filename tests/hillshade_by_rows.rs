//! Hillshade made a band of rows at a time from a tile on disk
//! (`dem::open_rows`, `render::hillshade_png_by_rows` /
//! `hillshade_geotiff_by_rows`) against the hillshade of the whole grid in
//! memory (`render::hillshade`, which shades every row from the one grid):
//! the same grey levels, with voids placed on the rows where bands meet and
//! at the grid's edges; and a damaged tile fails with the error reading it
//! whole gives, naming the file, before any file is written.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use downhill::dem::{self, LoadOptions};
use downhill::render::{self, ShadeMode, ShadeOptions};

const VOID: i16 = -32768;

/// Writes an SRTM3 tile named for (`lat`, `lon`) into `dir` whose heights
/// are a smooth relief with `voids` (row, column) and `heights` overrides.
fn tile(
    dir: &Path,
    name: &str,
    voids: &[(usize, usize)],
    heights: &[(usize, usize, i16)],
) -> PathBuf {
    let n = 1201;
    let mut z: Vec<i16> = (0..n * n)
        .map(|i| {
            let (r, c) = ((i / n) as f64, (i % n) as f64);
            (400.0 + 300.0 * (r / 97.0).sin() * (c / 131.0).cos() + 0.2 * c) as i16
        })
        .collect();
    for &(r, c) in voids {
        z[r * n + c] = VOID;
    }
    for &(r, c, h) in heights {
        z[r * n + c] = h;
    }
    let bytes: Vec<u8> = z.iter().flat_map(|v| v.to_be_bytes()).collect();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Every row where one band's rows end and the next begin, for the band
/// sizes in use (PNG stripes of 2^18 bytes, TIFF tiles of 256 rows), plus
/// the first and last rows and columns.
fn awkward_voids() -> Vec<(usize, usize)> {
    let mut v = vec![
        (0, 0),
        (0, 600),
        (1200, 1200),
        (1200, 3),
        (600, 0),
        (601, 1200),
    ];
    for edge in [217, 218, 219, 255, 256, 257, 436, 437, 511, 512] {
        v.push((edge, 100 + edge));
        v.push((edge, 1199));
    }
    // A void block that straddles a band edge.
    for r in 250..262 {
        for c in 700..705 {
            v.push((r, c));
        }
    }
    v
}

fn options(mode: ShadeMode) -> ShadeOptions {
    ShadeOptions {
        azimuth_deg: 300.0,
        altitude_deg: 40.0,
        z_factor: 1.5,
        mode,
    }
}

fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let img = image::load_from_memory_with_format(bytes, image::ImageFormat::Png)
        .unwrap()
        .to_luma8();
    (img.width(), img.height(), img.into_raw())
}

fn decode_tiff(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut decoder = tiff::decoder::Decoder::new(Cursor::new(bytes)).unwrap();
    let (w, h) = decoder.dimensions().unwrap();
    match decoder.read_image().unwrap() {
        tiff::decoder::DecodingResult::U8(v) => (w, h, v),
        _ => panic!("the hillshade GeoTIFF is not 8-bit"),
    }
}

#[test]
fn a_tile_shaded_by_rows_has_the_levels_of_the_whole_grid_shaded_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = tile(dir.path(), "N47E010.hgt", &awkward_voids(), &[]);
    let opts = LoadOptions::default();
    let source = dem::open_rows(std::slice::from_ref(&path), &opts)
        .unwrap()
        .expect("a raw .hgt is read by rows");
    let whole = dem::open(&path, &opts).unwrap();
    assert_eq!(source.shape(), (1201, 1201));
    for mode in [
        ShadeMode::Single,
        ShadeMode::Multidirectional,
        ShadeMode::Combined,
    ] {
        let o = options(mode);
        let expected = render::hillshade(&whole, &o).unwrap();
        // Voids stay nodata: the test would be empty without them.
        assert!(expected.as_raw().iter().filter(|&&g| g == 0).count() >= awkward_voids().len());

        let tif = render::hillshade_geotiff_by_rows(source.as_ref(), &o).unwrap();
        assert_eq!(
            decode_tiff(&tif.clone().into_bytes()),
            (1201, 1201, expected.as_raw().clone()),
            "{mode:?} GeoTIFF"
        );

        let files = render::hillshade_png_by_rows(source.as_ref(), &o, "r.png", None).unwrap();
        assert_eq!(
            decode_png(&files[0].1.clone().into_bytes()),
            (1201, 1201, expected.as_raw().clone()),
            "{mode:?} PNG"
        );

        let width = render::square_pixel_width(source.as_ref()).unwrap();
        assert!(
            width < 1201,
            "a tile at 47 N is narrower than tall on the ground"
        );
        let stretched = render::stretch_columns_nearest(&expected, width);
        let files =
            render::hillshade_png_by_rows(source.as_ref(), &o, "r.png", Some(width)).unwrap();
        assert_eq!(
            decode_png(&files[0].1.clone().into_bytes()),
            (width, 1201, stretched.into_raw()),
            "{mode:?} PNG with square pixels"
        );
    }
}

#[test]
fn the_grid_in_memory_shaded_by_rows_matches_it_shaded_at_once() {
    let whole = dem::open(Path::new("data/N43E007.hgt"), &LoadOptions::default()).unwrap();
    let o = options(ShadeMode::Single);
    let expected = render::hillshade(&whole, &o).unwrap();
    let tif = render::hillshade_geotiff_by_rows(&whole, &o).unwrap();
    assert_eq!(
        decode_tiff(&tif.clone().into_bytes()),
        (1201, 1201, expected.into_raw())
    );
}

#[test]
fn a_damaged_band_fails_as_reading_the_whole_tile_does() {
    let dir = tempfile::tempdir().unwrap();
    // An impossible height in the last rows, after many good bands.
    let path = tile(
        dir.path(),
        "N47E010.hgt",
        &[],
        &[(1190, 5, 30_000), (1195, 9, -20_000)],
    );
    let opts = LoadOptions::default();
    let whole = dem::open(&path, &opts).unwrap_err().to_string();
    assert!(
        whole.contains("N47E010.hgt") && whole.contains("2 samples"),
        "{whole}"
    );
    let source = dem::open_rows(std::slice::from_ref(&path), &opts)
        .unwrap()
        .unwrap();
    let o = options(ShadeMode::Single);
    let png = render::hillshade_png_by_rows(source.as_ref(), &o, "r.png", None).unwrap_err();
    assert_eq!(png.to_string(), whole);
    let tif = render::hillshade_geotiff_by_rows(source.as_ref(), &o).unwrap_err();
    assert_eq!(tif.to_string(), whole);
}

#[test]
fn inputs_that_cannot_be_read_by_rows_are_left_to_the_whole_grid_reader() {
    let opts = LoadOptions::default();
    let dir = tempfile::tempdir().unwrap();
    let zipped = dir.path().join("N43E006.hgt.zip");
    let mut archive = zip::ZipWriter::new(std::fs::File::create(&zipped).unwrap());
    archive
        .start_file("N43E006.hgt", zip::write::SimpleFileOptions::default())
        .unwrap();
    std::io::Write::write_all(&mut archive, &std::fs::read("data/N43E006.hgt").unwrap()).unwrap();
    archive.finish().unwrap();
    assert!(
        dem::open(&zipped, &opts).is_ok(),
        "the zipped tile is readable whole"
    );
    assert!(dem::open_rows(&[zipped], &opts).unwrap().is_none());
    let mosaic = [
        PathBuf::from("data/N43E006.hgt"),
        PathBuf::from("data/N43E007.hgt"),
    ];
    assert!(dem::open_rows(&mosaic, &opts).unwrap().is_none());
    let one = [PathBuf::from("data/N43E006.hgt")];
    assert!(dem::open_rows(&one, &opts).unwrap().is_some());
}

#[test]
fn the_memory_budget_is_checked_before_a_tile_is_read_by_rows() {
    let opts = LoadOptions {
        budget: downhill::budget::Budget::with_max_cells(1000),
        ..LoadOptions::default()
    };
    let err = match dem::open_rows(&[PathBuf::from("data/N43E006.hgt")], &opts) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("a 1201 x 1201 tile passed a budget of 1000 cells"),
    };
    assert!(err.contains("N43E006.hgt"), "{err}");
}

mod dem_support;

/// Every row of `source` read in bands of `band` rows, against the grid
/// `dem::open` loads from the same file: the same bits, voids included.
fn assert_rows_match_the_loaded_grid(path: &Path, band: usize) {
    let opts = LoadOptions::default();
    let whole = dem::open(path, &opts).unwrap_or_else(|e| panic!("{e}"));
    let source = dem::open_rows(&[path.to_path_buf()], &opts)
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("{} is not read by rows", path.display()));
    let (rows, cols) = source.shape();
    assert_eq!((rows, cols), whole.heights.dim());
    assert_eq!(source.transform(), &whole.transform);
    let mut first = 0;
    while first < rows {
        let n = band.min(rows - first);
        let mut out = vec![0f32; n * cols];
        source.read_rows(first, &mut out).unwrap();
        for (r, row) in out.chunks_exact(cols).enumerate() {
            let expected = whole.heights.row(first + r);
            assert!(
                row.iter()
                    .zip(expected)
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "{}: row {}",
                path.display(),
                first + r
            );
        }
        first += n;
    }
}

/// A projected float grid with voids, as `Dem`.
fn utm_grid(rows: usize, cols: usize) -> downhill::dem::Dem {
    let mut dem = downhill::dem::Dem {
        heights: ndarray::Array2::from_shape_fn((rows, cols), |(r, c)| {
            200.0 + 80.0 * ((r as f32) / 23.0).sin() * ((c as f32) / 31.0).cos() + 0.01 * c as f32
        }),
        transform: downhill::dem::GeoTransform {
            origin_x: 600_000.0,
            origin_y: 5_800_000.0,
            cell_x: 30.0,
            cell_y: 30.0,
        },
        crs: downhill::dem::Crs::Projected {
            epsg: 32629,
            proj: String::new(),
        },
        inputs: vec![],
    };
    for &(r, c) in &[
        (0, 0),
        (255, 10),
        (256, 10),
        (257, 300),
        (rows - 1, cols - 1),
        (300, 0),
    ] {
        dem.heights[[r, c]] = f32::NAN;
    }
    dem
}

#[test]
fn a_tiled_geotiff_read_by_rows_gives_the_grid_and_hillshade_it_loads_to() {
    let dir = tempfile::tempdir().unwrap();
    let dem = utm_grid(700, 530);
    let heights = dem.heights.as_standard_layout().into_owned();
    let raster = downhill::export::georaster::Raster::new(
        530,
        700,
        downhill::export::georaster::Pixels::F32(heights.as_slice().unwrap()),
    )
    .unwrap();
    let bytes =
        downhill::export::georaster::geotiff(&raster, &dem.transform, &dem.crs, Some(f64::NAN))
            .unwrap();
    let path = dir.path().join("utm.tif");
    std::fs::write(&path, bytes).unwrap();
    for band in [1, 16, 255, 700] {
        assert_rows_match_the_loaded_grid(&path, band);
    }
    let opts = LoadOptions::default();
    let source = dem::open_rows(std::slice::from_ref(&path), &opts)
        .unwrap()
        .unwrap();
    let whole = dem::open(&path, &opts).unwrap();
    let o = options(ShadeMode::Single);
    let expected = render::hillshade(&whole, &o).unwrap();
    let tif = render::hillshade_geotiff_by_rows(source.as_ref(), &o).unwrap();
    assert_eq!(
        decode_tiff(&tif.clone().into_bytes()),
        (530, 700, expected.as_raw().clone())
    );
    assert_eq!(
        render::square_pixel_width(source.as_ref()),
        None,
        "projected pixels are square"
    );
    let files = render::hillshade_png_by_rows(source.as_ref(), &o, "u.png", None).unwrap();
    assert_eq!(
        decode_png(&files[0].1.clone().into_bytes()),
        (530, 700, expected.into_raw())
    );
}

#[test]
fn geotiffs_cut_every_way_gdal_cuts_them_are_read_by_rows_as_loaded() {
    if !dem_support::have_tool("gdal_translate") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let src = dem_support::data("N43E007.hgt"); // four voids
    let variants: &[(&str, &[&str])] = &[
        ("strips.tif", &["-ot", "Float32"]),
        (
            "strips_of_7_lzw.tif",
            &[
                "-co",
                "BLOCKYSIZE=7",
                "-co",
                "COMPRESS=LZW",
                "-co",
                "PREDICTOR=2",
            ],
        ),
        (
            "tiles_128x64.tif",
            &[
                "-co",
                "TILED=YES",
                "-co",
                "BLOCKXSIZE=128",
                "-co",
                "BLOCKYSIZE=64",
                "-co",
                "COMPRESS=DEFLATE",
            ],
        ),
        (
            "float_predictor.tif",
            &[
                "-ot",
                "Float32",
                "-co",
                "TILED=YES",
                "-co",
                "COMPRESS=DEFLATE",
                "-co",
                "PREDICTOR=3",
            ],
        ),
    ];
    for (name, args) in variants {
        let out = dem_support::translate(dir.path(), &src, name, args);
        for band in [1, 16, 100] {
            assert_rows_match_the_loaded_grid(&out, band);
        }
    }
}

#[test]
fn a_geotiff_in_strips_too_large_to_keep_per_thread_is_left_to_the_whole_grid_reader() {
    if !dem_support::have_tool("gdal_translate") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let src = dem_support::data("N43E006.hgt");
    let opts = LoadOptions::default();
    // One strip of 1201 x 1201 samples (1.4 M) is read by rows.
    let small = dem_support::translate(
        dir.path(),
        &src,
        "one_strip.tif",
        &["-co", "BLOCKYSIZE=1201"],
    );
    assert_rows_match_the_loaded_grid(&small, 50);
    // One strip of 3000 x 3000 samples (9 M) is more than a thread keeps.
    let large = dem_support::translate(
        dir.path(),
        &src,
        "one_large_strip.tif",
        &["-outsize", "3000", "3000", "-co", "BLOCKYSIZE=3000"],
    );
    assert!(dem::open_rows(std::slice::from_ref(&large), &opts)
        .unwrap()
        .is_none());
    assert!(dem::open(&large, &opts).is_ok());
}

/// A GeoTIFF whose header the built-in reader accepts but whose chunks it
/// cannot decode (the floating-point predictor on 16-bit integers) is not
/// opened by rows, so that the whole-grid reader, and with it GDAL in the
/// `gdal` build, decides: its error here names the file and the GDAL build.
#[test]
fn chunks_the_native_decoder_cannot_read_are_left_to_the_whole_grid_reader() {
    use tiff::encoder::{colortype, TiffEncoder};
    use tiff::tags::Tag;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("float_predictor_on_int16.tif");
    let mut tiff = TiffEncoder::new(std::fs::File::create(&path).unwrap()).unwrap();
    let mut image = tiff.new_image::<colortype::GrayI16>(40, 30).unwrap();
    let encoder = image.encoder();
    encoder
        .write_tag(Tag::Unknown(33550), &[30.0f64, 30.0, 0.0][..])
        .unwrap();
    encoder
        .write_tag(
            Tag::Unknown(33922),
            &[0.0f64, 0.0, 0.0, 500_000.0, 5_800_000.0, 0.0][..],
        )
        .unwrap();
    // Version 1.1.0, two keys: projected model, UTM 29 N.
    encoder
        .write_tag(
            Tag::GeoKeyDirectoryTag,
            &[1u16, 1, 0, 2, 1024, 0, 1, 1, 3072, 0, 1, 32629][..],
        )
        .unwrap();
    encoder.write_tag(Tag::Predictor, 3u16).unwrap();
    let data: Vec<i16> = (0..1200).map(|i| 100 + (i % 40) as i16).collect();
    image.write_data(&data).unwrap();
    let opts = LoadOptions::default();
    assert!(dem::open_rows(std::slice::from_ref(&path), &opts)
        .unwrap()
        .is_none());
    #[cfg(not(feature = "gdal"))]
    {
        let err = dem::open(&path, &opts).unwrap_err().to_string();
        assert!(
            err.contains("float_predictor_on_int16.tif") && err.contains("gdal"),
            "{err}"
        );
    }
}
