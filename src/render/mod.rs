//! Pictures: hillshades, colour relief and track maps, georeferenced.
//!
//! - [`hillshade`]: Horn's hillshade in true metres, grey levels as
//!   `gdaldem hillshade -compute_edges` gives them;
//! - [`tint`]: a hypsometric colour ramp lit by the hillshade;
//! - [`track_map`]: the relief cropped to agents' tracks, with their paths,
//!   a legend and a scale bar;
//! - [`write_png_with_georef`]: the PNG plus its world file and bounds.

pub(crate) mod decor;
mod map;
mod relief_files;
mod resample;
mod shade;
mod summit_marks;
pub(crate) mod text;
mod tint;
mod write;

pub use map::{map_bounds, render_map, track_map, Extent, MapOptions, RenderedMap};
pub use relief_files::{hillshade_geotiff_by_rows, hillshade_png_by_rows, square_pixel_width};
pub use resample::stretch_columns_nearest;
pub(crate) use shade::GridShader;
pub use shade::{hillshade, RowShader, ShadeMode, ShadeOptions};
pub use summit_marks::{MapSummit, MAX_MARKED_SUMMITS};
pub(crate) use tint::RowTinter;
pub use tint::{tint, tint_with_sea, HeightRange};
pub use write::{
    bounds_json, encode_png, georeferenced_names, georeferenced_png, world_file,
    write_png_with_georef, BoundsFile,
};
