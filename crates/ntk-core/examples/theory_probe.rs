use ntk_core::quadrature::GaussHermite;
fn main() {
    let x: [f64; 2] = [-2.092342698487133, 1.2636606818350282];
    let (sw2, sb2) = (2.196, 0.035);
    for &n in &[100usize, 160, 300, 450, 600] {
        let gh = GaussHermite::new(n);
        let mut s = sw2 * (x[0] * x[0] + x[1] * x[1]) / 2.0 + sb2;
        let mut vars = vec![s];
        for _ in 0..3 {
            s = sw2 * gh.expect(s, |u| u.tanh().powi(2)) + sb2;
            vars.push(s);
        }
        println!("n={n} {:?}", vars);
    }
}
