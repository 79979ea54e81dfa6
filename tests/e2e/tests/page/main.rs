//! The end-to-end tests of the built page, in one binary that shares one headless Chromium
//! session (launched once, each test opening its own link): the page as a person uses it —
//! controls moved, buttons pressed, plots looked at (screenshots in `target/e2e-screenshots/`).
//!
//! A plain `main` runs them one after the other (`harness = false`), so that the browser is
//! started once and closed at the end; `cargo test -p e2e --test page -- NAME…` runs the tests
//! whose name contains one of the NAMEs.

mod catapult;
mod data_in;
mod explorer;
mod figures;
mod first_visit;
mod native_vs_browser;
mod phase;
mod shell;
mod single;
mod stress;
mod views;
mod widths;

use std::process::ExitCode;

use e2e::{run_tests, Test};

/// Every test, in run order.
const TESTS: &[Test] = &[
    ("shell::page_mounts_and_shows_its_shell", shell::page_mounts_and_shows_its_shell),
    (
        "explorer::the_default_run_streams_through_training_time",
        explorer::the_default_run_streams_through_training_time,
    ),
    (
        "explorer::scrubbing_back_while_training_keeps_the_chosen_time",
        explorer::scrubbing_back_while_training_keeps_the_chosen_time,
    ),
    (
        "explorer::sliders_change_the_view_and_the_url_and_restart_the_ensemble",
        explorer::sliders_change_the_view_and_the_url_and_restart_the_ensemble,
    ),
    ("explorer::a_new_run_never_shows_the_old_one_again", explorer::a_new_run_never_shows_the_old_one_again),
    (
        "explorer::a_canvas_whose_picture_did_not_change_is_not_redrawn",
        explorer::a_canvas_whose_picture_did_not_change_is_not_redrawn,
    ),
    (
        "explorer::the_png_export_has_the_chosen_resolution",
        explorer::the_png_export_has_the_chosen_resolution,
    ),
    (
        "explorer::the_svg_export_carries_a_link_that_reproduces_the_figure",
        explorer::the_svg_export_carries_a_link_that_reproduces_the_figure,
    ),
    (
        "explorer::the_output_scale_takes_the_ensemble_from_lazy_to_rich",
        explorer::the_output_scale_takes_the_ensemble_from_lazy_to_rich,
    ),
    (
        "explorer::a_mean_field_ensemble_trains_and_says_why_it_has_no_theory",
        explorer::a_mean_field_ensemble_trains_and_says_why_it_has_no_theory,
    ),
    (
        "explorer::the_quadratic_overlay_is_the_commands_quadratic_ensemble",
        explorer::the_quadratic_overlay_is_the_commands_quadratic_ensemble,
    ),
    (
        "single::a_mean_field_network_trains_and_says_why_it_has_no_analytic_curves",
        single::a_mean_field_network_trains_and_says_why_it_has_no_analytic_curves,
    ),
    (
        "figures::every_figure_exports_as_svg_with_its_provenance",
        figures::every_figure_exports_as_svg_with_its_provenance,
    ),
    (
        "figures::the_svg_sheet_options_size_the_file_and_scale_its_text",
        figures::the_svg_sheet_options_size_the_file_and_scale_its_text,
    ),
    (
        "explorer::a_hand_edited_link_is_clamped_with_a_note_and_huge_jobs_are_refused",
        explorer::a_hand_edited_link_is_clamped_with_a_note_and_huge_jobs_are_refused,
    ),
    (
        "first_visit::reset_then_step_then_play_moves_the_time_shown",
        first_visit::reset_then_step_then_play_moves_the_time_shown,
    ),
    (
        "first_visit::the_eta_max_tick_is_where_the_thumb_is_at_eta_max",
        first_visit::the_eta_max_tick_is_where_the_thumb_is_at_eta_max,
    ),
    (
        "first_visit::every_explorer_preset_trains_to_completion",
        first_visit::every_explorer_preset_trains_to_completion,
    ),
    (
        "first_visit::past_eta_max_the_plots_say_diverged_and_stay_readable",
        first_visit::past_eta_max_the_plots_say_diverged_and_stay_readable,
    ),
    (
        "first_visit::a_change_that_pushes_eta_past_eta_max_is_said_and_undone_in_one_click",
        first_visit::a_change_that_pushes_eta_past_eta_max_is_said_and_undone_in_one_click,
    ),
    (
        "first_visit::the_status_and_the_plot_stay_in_one_screen",
        first_visit::the_status_and_the_plot_stay_in_one_screen,
    ),
    (
        "first_visit::no_text_covers_another_in_any_view_on_a_desktop_or_a_phone",
        first_visit::no_text_covers_another_in_any_view_on_a_desktop_or_a_phone,
    ),
    (
        "first_visit::a_formula_with_a_pole_is_refused_with_where",
        first_visit::a_formula_with_a_pole_is_refused_with_where,
    ),
    (
        "first_visit::every_slider_tells_a_screen_reader_its_value",
        first_visit::every_slider_tells_a_screen_reader_its_value,
    ),
    (
        "views::placing_dragging_and_removing_points_edits_the_data_and_the_link",
        views::placing_dragging_and_removing_points_edits_the_data_and_the_link,
    ),
    ("views::a_preset_sets_every_control_and_the_link", views::a_preset_sets_every_control_and_the_link),
    (
        "views::a_two_d_set_shows_heatmaps_and_the_figure_2_segment",
        views::a_two_d_set_shows_heatmaps_and_the_figure_2_segment,
    ),
    ("views::the_page_fits_a_phone_screen", views::the_page_fits_a_phone_screen),
    (
        "views::quadrature_kernels_are_computed_off_the_main_thread",
        views::quadrature_kernels_are_computed_off_the_main_thread,
    ),
    (
        "single::a_preset_link_streams_and_its_plots_are_the_exported_numbers",
        single::a_preset_link_streams_and_its_plots_are_the_exported_numbers,
    ),
    (
        "single::cross_entropy_on_circles_shows_heatmaps_and_compare_widths_overlays_the_gap",
        single::cross_entropy_on_circles_shows_heatmaps_and_compare_widths_overlays_the_gap,
    ),
    ("single::presets_set_the_link_and_stream_from_it", single::presets_set_the_link_and_stream_from_it),
    (
        "single::the_laziness_control_brings_the_network_to_its_linearization",
        single::the_laziness_control_brings_the_network_to_its_linearization,
    ),
    (
        "single::the_quadratic_model_is_drawn_exported_and_kept_in_the_link",
        single::the_quadratic_model_is_drawn_exported_and_kept_in_the_link,
    ),
    (
        "phase::the_diagram_is_ntk_phase_and_a_click_moves_the_explorer",
        phase::the_diagram_is_ntk_phase_and_a_click_moves_the_explorer,
    ),
    (
        "phase::the_explorer_spectrum_is_ntk_spectrum_at_the_time_shown",
        phase::the_explorer_spectrum_is_ntk_spectrum_at_the_time_shown,
    ),
    (
        "phase::the_trainability_grid_runs_cancels_and_matches_ntk_trainability",
        phase::the_trainability_grid_runs_cancels_and_matches_ntk_trainability,
    ),
    (
        "catapult::the_phase_follows_the_learning_rate_and_networks_agree",
        catapult::the_phase_follows_the_learning_rate_and_networks_agree,
    ),
    (
        "catapult::the_explorer_offers_the_catapult_view_past_eta_max",
        catapult::the_explorer_offers_the_catapult_view_past_eta_max,
    ),
    (
        "catapult::the_quadratic_model_catapults_beside_the_network",
        catapult::the_quadratic_model_catapults_beside_the_network,
    ),
    (
        "widths::a_small_sweep_runs_survives_a_tab_switch_and_can_be_cancelled",
        widths::a_small_sweep_runs_survives_a_tab_switch_and_can_be_cancelled,
    ),
    (
        "widths::an_oversized_sweep_is_refused_with_a_message",
        widths::an_oversized_sweep_is_refused_with_a_message,
    ),
    (
        "widths::the_page_sweep_is_reproduced_by_ntk_widths",
        widths::the_page_sweep_is_reproduced_by_ntk_widths,
    ),
    (
        "widths::lazy_to_rich_against_alpha_is_ntk_widths_alphas",
        widths::lazy_to_rich_against_alpha_is_ntk_widths_alphas,
    ),
    (
        "widths::a_mean_field_sweep_keeps_its_kernel_moving_and_is_ntk_widths",
        widths::a_mean_field_sweep_keeps_its_kernel_moving_and_is_ntk_widths,
    ),
    (
        "widths::kernel_convergence_slopes_are_ntk_convergence",
        widths::kernel_convergence_slopes_are_ntk_convergence,
    ),
    (
        "native_vs_browser::browser_pool_matches_the_native_run",
        native_vs_browser::browser_pool_matches_the_native_run,
    ),
    ("explorer::hostile_links_give_few_isolated_notes", explorer::hostile_links_give_few_isolated_notes),
    (
        "explorer::a_typed_phi_gives_bands_and_an_ensemble_and_a_bad_one_is_explained",
        explorer::a_typed_phi_gives_bands_and_an_ensemble_and_a_bad_one_is_explained,
    ),
    (
        "explorer::two_thousand_typed_phis_one_after_another_keep_working",
        explorer::two_thousand_typed_phis_one_after_another_keep_working,
    ),
    (
        "data_in::a_pasted_table_is_drawn_and_a_bad_one_refused",
        data_in::a_pasted_table_is_drawn_and_a_bad_one_refused,
    ),
    (
        "data_in::a_large_table_is_kept_in_the_browser_and_missed_elsewhere",
        data_in::a_large_table_is_kept_in_the_browser_and_missed_elsewhere,
    ),
    ("data_in::result_files_open_in_their_views", data_in::result_files_open_in_their_views),
    (
        "data_in::damaged_reports_are_refused_and_the_page_keeps_what_it_showed",
        data_in::damaged_reports_are_refused_and_the_page_keeps_what_it_showed,
    ),
    (
        "data_in::an_embed_in_a_frame_shows_the_figure_alone",
        data_in::an_embed_in_a_frame_shows_the_figure_alone,
    ),
    ("data_in::a_typed_formula_is_the_target", data_in::a_typed_formula_is_the_target),
    ("first_visit::a_redeployed_site_offers_a_reload", first_visit::a_redeployed_site_offers_a_reload),
    (
        "stress::a_random_walk_leaves_a_page_equal_to_a_fresh_load",
        stress::a_random_walk_leaves_a_page_equal_to_a_fresh_load,
    ),
];

fn main() -> ExitCode {
    run_tests(TESTS)
}
