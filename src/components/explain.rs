//! "What am I looking at": the equations behind each curve, for a student, with the paper's
//! equation numbers (Lee et al. 2019).

use leptos::prelude::*;

/// The explanation panel.
#[component]
pub fn Explain() -> impl IntoView {
    view! {
        <details class="explain" open data-testid="explain">
            <summary><h2>"What am I looking at?"</h2></summary>
            <p>
                "Each black line is the average (± 2 standard deviations) of M real networks of width n, \
                 each started from its own random initialisation and trained by full-batch gradient \
                 descent on the mean squared loss "
                <math><mi>"L"</mi><mo>"="</mo><mfrac><mn>"1"</mn><mrow><mn>"2"</mn><mi>"N"</mi></mrow></mfrac>
                    <mo>"∑"</mo><msup><mrow><mo>"("</mo><mi>"f"</mi><mo>"("</mo><msub><mi>"x"</mi><mi>"i"</mi></msub><mo>")"</mo><mo>"−"</mo><msub><mi>"y"</mi><mi>"i"</mi></msub><mo>")"</mo></mrow><mn>"2"</mn></msup></math>
                ". Time is "<math><mi>"t"</mi><mo>"="</mo><mi>"η"</mi><mi>"k"</mi></math>" after k steps."
            </p>
            <p>
                "The dashed lines are the same networks "<em>"linearized"</em>" around their initialisation "
                <math><msup><mi>"f"</mi><mtext>"lin"</mtext></msup><mo>"="</mo><msub><mi>"f"</mi><mn>"0"</mn></msub><mo>"+"</mo><msub><mo>"∇"</mo><mi>"θ"</mi></msub><msub><mi>"f"</mi><mn>"0"</mn></msub><mo>"·"</mo><mo>"("</mo><mi>"θ"</mi><mo>"−"</mo><msub><mi>"θ"</mi><mn>"0"</mn></msub><mo>")"</mo></math>
                " (paper Eq. 8–11): the paper's claim is that for wide networks the two coincide."
            </p>
            <p>
                "The blue band is the NTK Gaussian process: what infinitely wide networks do when every \
                 layer is trained (Eq. 14–15). Its mean is "
                <math><mi>"Θ"</mi><mo>"("</mo><mo>"*"</mo><mo>","</mo><mi>"X"</mi><mo>")"</mo><msup><mi>"Θ"</mi><mrow><mo>"−"</mo><mn>"1"</mn></mrow></msup><mo>"("</mo><mi>"I"</mi><mo>"−"</mo><msup><mi>"e"</mi><mrow><mo>"−"</mo><mi>"Θ"</mi><mi>"t"</mi><mo>"/"</mo><mi>"N"</mi></mrow></msup><mo>")"</mo><mi>"Y"</mi></math>
                ", with Θ the neural tangent kernel. The red band is the NNGP: only the last layer is \
                 trained; at t = ∞ it is the exact Bayesian posterior of the network prior (Eq. 13)."
            </p>
            <p>
                "At t = 0 both bands are the prior: random networks are a Gaussian process with kernel K. \
                 Gradient descent on the linear model is stable for "
                <math><mi>"η"</mi><mo>"<"</mo><msub><mi>"η"</mi><mtext>"max"</mtext></msub><mo>"="</mo><mn>"2"</mn><mi>"N"</mi><mo>"/"</mo><msub><mi>"λ"</mi><mtext>"max"</mtext></msub></math>
                "; the ticks on the learning-rate slider mark it and the paper's η_crit. Make the width \
                 small or η large and watch the black lines leave the blue band."
            </p>
            <p>
                "The thin grey lines are single networks of the ensemble (as in the paper's Fig. S1):                  each is one draw from the band around it. With the "<em>"user"</em>" data set, click the                  plot to place training points and drag them: the bands follow at once, the ensemble                  retrains."
            </p>
            <p>
                "With a 2-D data set ("<em>"surface"</em>", "<em>"xor"</em>") the plot above shows the                  outputs along the segment "
                <math><mi>"x"</mi><mo>"("</mo><mi>"α"</mi><mo>")"</mo><mo>"="</mo><mi>"α"</mi><msub><mi>"x"</mi><mn>"1"</mn></msub><mo>"+"</mo><mo>"("</mo><mn>"1"</mn><mo>"−"</mo><mi>"α"</mi><mo>")"</mo><msub><mi>"x"</mi><mn>"2"</mn></msub></math>
                " between two training points, the view of the paper's Figure 2; the heatmaps below show                  each model's mean over the whole plane."
            </p>
        </details>
    }
}
