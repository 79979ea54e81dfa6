//! Writes a 2-D classification set (±1 labels) as the CSV files the `ntk` command reads:
//! `cargo run -p ntk-core --example classes_csv -- DIR NAME N SEED` writes `DIR/NAME_train.csv`
//! (N points x₁, x₂, y of `Dataset2d::generate(NAME, N, 0, SEED)`) and `DIR/NAME_test.csv` (the
//! 21 × 21 heatmap grid with its labels). NAME is xor, circles or spirals.

use ntk_core::datasets::{Dataset2d, Target2d};

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = args.first().cloned().unwrap_or_else(|| ".".into());
    let name = args.get(1).cloned().unwrap_or_else(|| "circles".into());
    let n = args.get(2).and_then(|v| v.parse().ok()).unwrap_or(32);
    let seed = args.get(3).and_then(|v| v.parse().ok()).unwrap_or(0);
    let target = Target2d::from_name(&name).unwrap_or(Target2d::Circles);
    let d = Dataset2d::generate(target, n, 0.0, seed);
    let rows = |x: &[[f64; 2]], y: &[f64]| -> String {
        x.iter().zip(y).map(|(p, y)| format!("{},{},{y}\n", p[0], p[1])).collect()
    };
    std::fs::write(format!("{dir}/{name}_train.csv"), rows(&d.x_train, &d.y_train))?;
    std::fs::write(format!("{dir}/{name}_test.csv"), rows(&d.x_grid, &d.y_grid))
}
