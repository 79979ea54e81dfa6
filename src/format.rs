//! Numbers for people: what the page prints in captions, status lines and tick labels.

/// `v` with at most 4 significant digits and no trailing zeros ("300", "0.1", "2.5e-5", "0"
/// for −0), in exponent form outside 10⁻⁴ … 10⁶.
pub fn tidy(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    if v == 0.0 {
        return "0".to_string();
    }
    let magnitude = v.abs().log10().floor() as i32;
    if !(-4..6).contains(&magnitude) {
        return format!("{v:.3e}");
    }
    let decimals = (3 - magnitude).max(0) as usize;
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.') } else { s.as_str() };
    if s == "-0" { "0" } else { s }.to_string()
}

#[cfg(test)]
mod tests {
    use super::tidy;

    #[test]
    fn numbers_read_as_people_write_them() {
        for (v, s) in [
            (300.0, "300"),
            (0.1, "0.1"),
            (-0.0, "0"),
            (-1e-9, "-1.000e-9"),
            (2.5e-5, "2.500e-5"),
            (12345.678, "12346"),
            (1.23456, "1.235"),
            (-0.00049, "-0.00049"),
            (3e7, "3.000e7"),
        ] {
            assert_eq!(tidy(v), s, "{v}");
        }
    }
}
