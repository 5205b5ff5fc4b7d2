//! A formula `f(x, y)` as a surface with an exact gradient.

use exmex::{Differentiate, Express, FlatEx};

use crate::error::{Error, Result};
use crate::geo::{Bounds, LonLat, Xy};
use crate::terrain::{Obstacle, Surface, Vector};

/// `expr` with every number in scientific notation (`1e4`, `2.5E-3`)
/// written out as a plain decimal (`10000`, `0.0025`), which `exmex` reads;
/// it would otherwise take the `e` for a name. A digit run that is part of
/// a name (`x2e3`) is left alone.
fn plain_decimals(expr: &str) -> String {
    let bytes = expr.as_bytes();
    let mut out = String::with_capacity(expr.len());
    let mut i = 0;
    while i < bytes.len() {
        let in_name = i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        let starts_number = bytes[i].is_ascii_digit()
            || (bytes[i] == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit));
        if !starts_number || in_name {
            let ch = expr[i..].chars().next().unwrap_or(' ');
            out.push(ch);
            i += ch.len_utf8().max(1);
            continue;
        }
        let mut j = i;
        while j < bytes.len() && (bytes[j].is_ascii_digit() || bytes[j] == b'.') {
            j += 1;
        }
        let mantissa_end = j;
        if j < bytes.len() && (bytes[j] == b'e' || bytes[j] == b'E') {
            let mut k = j + 1;
            if k < bytes.len() && (bytes[k] == b'+' || bytes[k] == b'-') {
                k += 1;
            }
            let digits = k;
            while k < bytes.len() && bytes[k].is_ascii_digit() {
                k += 1;
            }
            let ends_cleanly =
                k == bytes.len() || !(bytes[k].is_ascii_alphanumeric() || bytes[k] == b'_');
            if k > digits && ends_cleanly {
                if let Ok(v) = expr[i..k].parse::<f64>() {
                    if v.is_finite() {
                        out.push_str(&format!("{v}"));
                        i = k;
                        continue;
                    }
                }
            }
        }
        out.push_str(&expr[i..mantissa_end]);
        i = mantissa_end;
    }
    out
}

/// The surface `z = f(x, y)` over a rectangle, with its exact gradient.
///
/// Positions are planar: [`Surface::displace`] adds the step vector,
/// [`Surface::distance`] is Euclidean and [`Surface::lon_lat`] is `None`.
/// Beyond the extent, heights and gradients are [`Obstacle::Outside`]; where
/// `f` or its gradient is not a finite number (`ln` of a negative, a
/// division by zero) they are [`Obstacle::Void`], like a hole in a DEM.
#[derive(Debug, Clone)]
pub struct AnalyticSurface {
    expression: String,
    extent: Bounds,
    f: FlatEx<f64>,
    df_dx: Option<FlatEx<f64>>,
    df_dy: Option<FlatEx<f64>>,
    /// Which of x and y the expression uses, in the order `exmex` wants their values.
    uses: Vec<Axis>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Axis {
    X,
    Y,
}

impl AnalyticSurface {
    /// Parses `expr`, a formula in `x` and `y` (e.g. `x^4 - 2*x^2 + 1e-3*y^2`;
    /// functions such as `sin`, `exp`, `ln`, `sqrt`, `abs` and the constants
    /// `PI` and `E` are understood), over `extent` (a [`Bounds`], or `[xmin, ymin, xmax, ymax]`).
    ///
    /// Fails with a message naming the problem if the expression does not
    /// parse, uses a variable other than `x` and `y`, or cannot be
    /// differentiated, or if the extent is empty or not finite.
    ///
    /// Formulas are bounded so that differentiating one takes at most a
    /// fraction of a second and tens of megabytes: at most
    /// [`MAX_FORMULA_CHARS`] characters, [`MAX_FORMULA_DEPTH`] levels of
    /// parentheses, [`MAX_FORMULA_OPERATIONS`] operators and function calls,
    /// and derivatives of at most [`MAX_DERIVATIVE_CHARS`] characters; a
    /// larger formula is refused with [`Error::OverBudget`].
    pub fn parse(expr: &str, extent: impl Into<Bounds>) -> Result<AnalyticSurface> {
        let extent = extent.into();
        check_extent(extent)?;
        check_size(expr)?;
        // exmex's symbolic differentiation recurses deeply (a few megabytes of
        // stack for a quartic in an unoptimised build), more than a test
        // thread's 2 MiB: run it on a thread with room to spare.
        std::thread::scope(|scope| {
            std::thread::Builder::new()
                .name("differentiate".to_string())
                .stack_size(PARSE_STACK_BYTES)
                .spawn_scoped(scope, || Self::parse_here(expr, extent))
                .map_err(|e| {
                    Error::invalid(
                        "formula",
                        format!("'{expr}'"),
                        format!("cannot start the parser: {e}"),
                    )
                })?
                .join()
                .unwrap_or_else(|_| {
                    Err(Error::invalid(
                        "formula",
                        format!("'{expr}'"),
                        "the formula is too deeply nested to differentiate",
                    ))
                })
        })
    }

    fn parse_here(expr: &str, extent: Bounds) -> Result<AnalyticSurface> {
        let f = FlatEx::<f64>::parse(&plain_decimals(expr)).map_err(|e| {
            Error::invalid(
                "formula",
                format!("'{expr}'"),
                format!("not a formula in x and y ({})", e.msg()),
            )
        })?;
        let mut uses = Vec::new();
        for name in f.var_names() {
            match name.as_str() {
                "x" => uses.push(Axis::X),
                "y" => uses.push(Axis::Y),
                other => {
                    return Err(Error::invalid(
                        "formula",
                        format!("'{expr}'"),
                        format!("unknown variable '{other}'; the formula may use only x and y"),
                    ))
                }
            }
        }
        let partial = |axis| -> Result<Option<FlatEx<f64>>> {
            let Some(i) = uses.iter().position(|&a| a == axis) else {
                return Ok(None);
            };
            f.clone().partial(i).map(Some).map_err(|e| {
                Error::invalid(
                    "formula",
                    format!("'{expr}'"),
                    format!("cannot differentiate the formula ({})", e.msg()),
                )
            })
        };
        let (df_dx, df_dy) = (partial(Axis::X)?, partial(Axis::Y)?);
        for d in [&df_dx, &df_dy].into_iter().flatten() {
            let size = d.unparse().len();
            if size > MAX_DERIVATIVE_CHARS {
                return Err(Error::OverBudget(format!(
                    "the formula's derivative is {size} characters long, more than the \
                     {MAX_DERIVATIVE_CHARS} downhill evaluates at every step; simplify the formula"
                )));
            }
        }
        Ok(AnalyticSurface {
            expression: expr.trim().to_string(),
            extent,
            f,
            df_dx,
            df_dy,
            uses,
        })
    }

    /// The formula as given.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// The extent, in the formula's units.
    pub fn extent(&self) -> Bounds {
        self.extent
    }

    /// `true` when (`x`, `y`) lies inside the extent, edges included.
    pub fn contains(&self, p: Xy) -> bool {
        let [x0, y0, x1, y1] = self.extent.to_array();
        p.x >= x0 && p.x <= x1 && p.y >= y0 && p.y <= y1
    }

    /// `f(x, y)` anywhere, extent or not; `NaN` where the formula is undefined.
    pub fn value(&self, p: Xy) -> f64 {
        eval(&self.f, &self.values(p))
    }

    /// The exact gradient `(∂f/∂x, ∂f/∂y)` anywhere, extent or not.
    pub fn exact_gradient(&self, p: Xy) -> Vector {
        let vals = self.values(p);
        let d = |e: &Option<FlatEx<f64>>| e.as_ref().map_or(0.0, |e| eval(e, &vals));
        Vector::new(d(&self.df_dx), d(&self.df_dy))
    }

    fn values(&self, p: Xy) -> Vec<f64> {
        self.uses
            .iter()
            .map(|a| match a {
                Axis::X => p.x,
                Axis::Y => p.y,
            })
            .collect()
    }
}

/// The longest formula accepted, characters.
pub const MAX_FORMULA_CHARS: usize = 1000;
/// The deepest nesting of parentheses accepted.
pub const MAX_FORMULA_DEPTH: usize = 32;
/// The most operators (`+ - * / ^`) and function calls a formula may hold;
/// symbolic differentiation grows with their square.
pub const MAX_FORMULA_OPERATIONS: usize = 64;
/// The longest derivative accepted, characters of its written form.
pub const MAX_DERIVATIVE_CHARS: usize = 100_000;

/// Refuses a formula over the size limits before it is parsed, naming the
/// limit it passes.
fn check_size(expr: &str) -> Result<()> {
    let over = |what: String| {
        Err(Error::OverBudget(format!(
            "the formula {what}; downhill differentiates formulas of at most \
             {MAX_FORMULA_CHARS} characters, {MAX_FORMULA_DEPTH} levels of parentheses and \
             {MAX_FORMULA_OPERATIONS} operators and function calls (these limits are fixed)"
        )))
    };
    let chars = expr.chars().count();
    if chars > MAX_FORMULA_CHARS {
        return over(format!("is {chars} characters long"));
    }
    let (mut depth, mut deepest) = (0usize, 0usize);
    for c in expr.chars() {
        match c {
            '(' | '[' | '{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    if deepest > MAX_FORMULA_DEPTH {
        return over(format!("nests parentheses {deepest} levels deep"));
    }
    let plain = plain_decimals(expr);
    let operators = plain.chars().filter(|c| "+-*/^".contains(*c)).count();
    let calls = plain
        .as_bytes()
        .windows(2)
        .filter(|w| (w[0].is_ascii_alphanumeric() || w[0] == b'_') && w[1] == b'(')
        .count();
    if operators + calls > MAX_FORMULA_OPERATIONS {
        return over(format!(
            "holds {} operators and function calls",
            operators + calls
        ));
    }
    Ok(())
}

/// Stack of the thread that parses and differentiates a formula, bytes.
const PARSE_STACK_BYTES: usize = 64 << 20;

fn eval(e: &FlatEx<f64>, vals: &[f64]) -> f64 {
    e.eval(vals).unwrap_or(f64::NAN)
}

fn check_extent(extent: Bounds) -> Result<()> {
    let [x0, y0, x1, y1] = extent.to_array();
    if !extent.is_proper() {
        return Err(Error::invalid(
            "extent",
            format!("{x0},{y0},{x1},{y1}"),
            "must be four finite numbers XMIN,YMIN,XMAX,YMAX with XMIN < XMAX and YMIN < YMAX",
        ));
    }
    Ok(())
}

impl Surface for AnalyticSurface {
    fn elevation(&self, p: Xy) -> std::result::Result<f64, Obstacle> {
        if !self.contains(p) {
            return Err(Obstacle::Outside);
        }
        let z = self.value(p);
        if z.is_finite() {
            Ok(z)
        } else {
            Err(Obstacle::Void)
        }
    }

    fn gradient(&self, p: Xy) -> std::result::Result<Vector, Obstacle> {
        if !self.contains(p) {
            return Err(Obstacle::Outside);
        }
        let g = self.exact_gradient(p);
        if g.is_finite() {
            Ok(g)
        } else {
            Err(Obstacle::Void)
        }
    }

    fn displace(&self, p: Xy, d: Vector) -> Xy {
        Xy::new(p.x + d.east, p.y + d.north)
    }

    fn distance(&self, a: Xy, b: Xy) -> f64 {
        (b.x - a.x).hypot(b.y - a.y)
    }

    fn lon_lat(&self, _p: Xy) -> Option<LonLat> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOX: [f64; 4] = [-2.0, -2.0, 2.0, 2.0];

    #[test]
    fn powers_of_negative_x_have_finite_derivatives() {
        // d/dx (x^4 - 3x^3 + 2) = 4x^3 - 9x^2, by hand at x = -1.5.
        let s = AnalyticSurface::parse("x^4 - 3*x^3 + 2", BOX).unwrap();
        let g = s.exact_gradient(Xy::new(-1.5, 0.3));
        assert_eq!(g.east, 4.0 * (-1.5f64).powi(3) - 9.0 * 2.25);
        assert_eq!(g.north, 0.0);
    }

    #[test]
    fn a_busy_formula_differentiates_exactly() {
        // f = sin(x) cos(y) + exp(-(x^2 + y^2)) x^3; derivatives by hand:
        // f_x = cos(x) cos(y) + exp(-r2) (3x^2 - 2x^4)
        // f_y = -sin(x) sin(y) - 2 y x^3 exp(-r2)
        let s = AnalyticSurface::parse("sin(x)*cos(y) + exp(-(x^2 + y^2))*x^3", BOX).unwrap();
        let (x, y) = (0.7f64, -0.4f64);
        let r2 = x * x + y * y;
        let fx = x.cos() * y.cos() + (-r2).exp() * (3.0 * x * x - 2.0 * x.powi(4));
        let fy = -x.sin() * y.sin() - 2.0 * y * x.powi(3) * (-r2).exp();
        let g = s.exact_gradient(Xy::new(x, y));
        assert!((g.east - fx).abs() < 1e-12 && (g.north - fy).abs() < 1e-12);
    }

    #[test]
    fn scientific_notation_is_read_as_numbers() {
        // f = 1e4 x + 2.5E-3 y^2 + 3e+2: f_x = 10000, f_y = 0.005 y; f(1, 2) = 10300.01.
        let s = AnalyticSurface::parse("1e4*x + 2.5E-3*y^2 + 3e+2", BOX).unwrap();
        let g = s.exact_gradient(Xy::new(1.0, 2.0));
        assert!((g.east - 10_000.0).abs() < 1e-9, "{g:?}");
        assert!((g.north - 0.01).abs() < 1e-12, "{g:?}");
        assert!((s.value(Xy::new(1.0, 2.0)) - 10_300.01).abs() < 1e-9);
        assert_eq!(plain_decimals("x*1e-3 + .5e1 - E"), "x*0.001 + 5 - E");
        assert_eq!(plain_decimals("exp(2e0*x) + x2e3"), "exp(2*x) + x2e3");
        // Not scientific notation: left for exmex to judge.
        assert_eq!(plain_decimals("3e + 1e9999"), "3e + 1e9999");
    }

    #[test]
    fn other_variables_are_refused_by_name() {
        let e = AnalyticSurface::parse("x + z", BOX)
            .unwrap_err()
            .to_string();
        assert!(e.contains("'z'") && e.contains("only x and y"), "{e}");
    }
}
