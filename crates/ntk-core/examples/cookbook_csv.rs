//! Writes the neural-tangents cookbook data set (`EnsembleSpec::cookbook`) as the CSV files the
//! `ntk` command reads: `cargo run -p ntk-core --example cookbook_csv -- DIR` writes
//! `DIR/cookbook_train.csv` (x, y) and `DIR/cookbook_test.csv` (x, sin x).

use ntk_core::nets::ensemble::EnsembleSpec;

fn main() -> std::io::Result<()> {
    let dir = std::env::args().nth(1).unwrap_or_else(|| ".".into());
    let spec = EnsembleSpec::cookbook(1, 1, 1, 2);
    let train: String =
        spec.data.x_train.iter().zip(&spec.data.y_train).map(|(x, y)| format!("{},{y}\n", x[0])).collect();
    let y_test = spec.data.y_test.unwrap_or_default();
    let test: String = spec.data.x_test.iter().zip(&y_test).map(|(x, y)| format!("{},{y}\n", x[0])).collect();
    std::fs::write(format!("{dir}/cookbook_train.csv"), train)?;
    std::fs::write(format!("{dir}/cookbook_test.csv"), test)
}
