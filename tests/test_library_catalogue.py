"""The theorems added for the course catalogue's missing results (R1, R2, B2, B6, C4, C5,
D6-D11, F4): each loads, obeys the binding rule, is proved when cited correctly and is not proved
when cited outside its hypotheses or for a stronger claim; a few exercise seeds of the catalogue
are checked end to end."""

from __future__ import annotations

import pytest

from checker.check import check_text
from checker.library.binding import unbound_parameters
from checker.library.selfcheck import check_theorem
from checker.library.theorems import Theorem, default_library
from checker.obligations import Status

LIB = default_library()

# topic file -> the theorems it adds (all new files)
ADDED: dict[str, tuple[str, ...]] = {
    "risk/losses": (
        "sq_risk_eq_cond_mean_risk_add", "cond_mean_sq_risk_le", "bayes_risk01_le",
        "bayes_risk01_eq"),
    "approximation/universal": ("step_net_sup_err_le", "step_net_sup_err_le_of_units_ge"),
    "approximation/depth_separation": ("depth_separation_l1_ge",),
    "robustness/linear": (
        "fgsm_linear_gain_le", "fgsm_linear_gain_eq", "fgsm_normInf_le",
        "fgsm_linear_model_logit_eq", "fgm_l2_gain_le", "fgsm_coord_gain_le", "fgsm_coord_gain_eq",
        "linear_boundary_dist2_eq", "linear_boundary_distInf_eq", "linear_boundary_dist1_eq"),
    "generative/reparameterization": (
        "reparam_mean", "reparam_var", "reparam_second_moment", "reparam_normal_law",
        "reparam_expectation", "affine_mean_of_centered"),
    "generative/diffusion": (
        "ddpm_beta_bounds", "ddpm_alpha_bar_zero", "ddpm_alpha_bar_succ", "ddpm_alpha_bar_bounds",
        "ddpm_alpha_bar_lt_one", "ddpm_forward_mean", "ddpm_forward_var", "ddpm_forward_law",
        "ddpm_forward_mean_step", "ddpm_forward_var_step", "ddpm_var_recursion_closed",
        "ddpm_mean_recursion_closed",
        "ddpm_posterior_mean", "ddpm_posterior_var", "ddpm_posterior_var_lt_beta",
        "ddpm_posterior_mean_eps_eq"),
    "generative/mcmc": (
        "mh_acceptance_eq", "mh_detailed_balance", "mh_stationary", "mul_min_one_div_comm",
        "ula_step_conventions_eq", "ula_gauss_stationary_var", "ula_gauss_stationary_mean",
        "ula_gauss_var_fixed_point", "ula_gauss_var_gt", "langevin_gauss_stationary_var"),
    "generative/gan": (
        "gan_value_le_opt_disc", "gan_opt_value_eq_jsd", "jsd_eq_kl_mix", "jsd_nonneg",
        "gan_opt_value_ge", "mul_log_add_mul_log_one_sub_le"),
    "optimization/ntk": (
        "abs_inner_le_norm_mul_norm", "angle_bounds", "inner_eq_norm_mul_norm_mul_cos_angle",
        "ntk_relu_first_layer_eq", "ntk_relu_first_layer_unit_eq", "relu_kernel_eq",
        "ntk_relu_eq_add", "ntk_relu_empirical_mean", "arccos_kernel0_eq", "arccos_kernel1_eq"),
}
IDS = [tid for ids in ADDED.values() for tid in ids]
MODELLED = ("reparam_mean", "reparam_var", "reparam_second_moment", "affine_mean_of_centered")


def _thm(tid: str) -> Theorem:
    thm = LIB.get(tid)
    assert thm is not None, f"{tid} is not in the library"
    return thm


def _step(text: str, budget_s: float = 2.0) -> Status:
    """The verdict of the proof's first `have` (the citation under test)."""
    result = check_text(text, "catalogue.proof", budget_s=budget_s, library=LIB)
    assert not result.blocked, [d.format() for d in result.diagnostics]
    return next(s for s in result.steps if s.kind == "fact").verdict.status


def _givens(thm: Theorem, keep: bool) -> str:
    if keep:
        lines = [f"given {v}" for v in thm.texts.get("variables", [])]
        lines += [f"assume {h}" for h in thm.texts.get("hypotheses", [])]
    else:
        lines = [f"given {n} real" for n in thm.var_names]
    return "\n".join(lines)


def _restricted(thm: Theorem) -> bool:
    texts = [*thm.texts.get("variables", []), *thm.texts.get("hypotheses", [])]
    return any(not t.strip().endswith(" real") for t in texts)


def _stronger(thm: Theorem) -> str:
    """The conclusion's first relation made strictly stronger (its small side plus 1)."""
    a, op, b = thm.conclusion.relations()[0]
    if op in ("<", "<="):
        return f"{a.text} + 1 {op} {b.text}"
    if op in (">", ">="):
        return f"{a.text} {op} ({b.text}) + 1"
    return f"{a.text} = ({b.text}) + 1"


# ------------------------------------------------------------------------------ loading


def test_added_theorems_load_in_their_files() -> None:
    """Every added theorem is in the library, in its new topic file, with a source and URL."""
    assert [d.format() for d in LIB.diagnostics if any(f in d.format() for f in ADDED)] == []
    for topic, ids in ADDED.items():
        for tid in ids:
            thm = _thm(tid)
            assert thm.topic == topic
            assert thm.source and thm.url and thm.doc and thm.name
    assert len(set(IDS)) == len(IDS)


@pytest.mark.parametrize("tid", IDS)
def test_added_theorem_obeys_the_binding_rule(tid: str) -> None:
    """No variable or object of an added theorem is free of the quantities it is about."""
    assert [u.describe() for u in unbound_parameters(_thm(tid))] == []


@pytest.mark.parametrize("tid", [t for t in IDS if _thm(t).status == "derived" or t in MODELLED])
def test_added_theorem_passes_its_self_check(tid: str) -> None:
    """Derived theorems have checked proofs; the modelled ones hold under their exact model."""
    finding = check_theorem(_thm(tid), LIB, budget_s=10.0)
    assert finding.outcome in ("proved", "model"), finding.detail


# ------------------------------------------------------------------------------ citations


@pytest.mark.parametrize("tid", IDS)
def test_correct_citation_is_proved(tid: str) -> None:
    """Citing the theorem for its own conclusion, under its hypotheses, is proved."""
    thm = _thm(tid)
    text = f"exercise cite_{tid}\n{_givens(thm, True)}\nhave c: {thm.statement} by {tid}\n"
    assert _step(text) is Status.PROVED


@pytest.mark.parametrize("tid", IDS)
def test_stronger_claim_is_not_proved(tid: str) -> None:
    """Citing the theorem for a strictly stronger claim is not proved."""
    thm = _thm(tid)
    text = f"exercise w\n{_givens(thm, True)}\nhave c: {_stronger(thm)} by {tid}\n"
    assert _step(text, budget_s=1.0) is not Status.PROVED


@pytest.mark.parametrize("tid", [t for t in IDS if _restricted(_thm(t))])
def test_citation_outside_hypotheses_is_not_proved(tid: str) -> None:
    """Citing the theorem without its domains and hypotheses leaves a side obligation open."""
    thm = _thm(tid)
    text = f"exercise w\n{_givens(thm, False)}\nhave c: {thm.statement} by {tid}\n"
    assert _step(text, budget_s=1.0) is not Status.PROVED


# ------------------------------------------------------------------------------ exercise seeds

SEEDS_PROVED = {
    # R1: the regression function beats f(x) = x (named g here)
    "r1_min": "have c: E[(Y - CondMean[Y, X])^2] <= E[(Y - g[X])^2] by cond_mean_sq_risk_le",
    # B2: L = 3, eps = 0.01 -> 300 threshold units
    "b2_units": ("given n >= 300 integer\nassume Lip01[f] <= 3\n"
                 "have c: StepErr[f, n] <= 1/100 by step_net_sup_err_le_of_units_ge(L = 3)"),
    # B6: L = 3, a network with 8 nodes in 3 layers is 1/32 away from Tent[11]
    "b6_l3": ("assume Dim[g] = 1, Nodes[g] <= 8, HiddenLayers[g] <= 3\n"
              "have c: L1Err[g, Tent[11]] >= 1/32 by depth_separation_l1_ge(L = 3)"),
    # C4: the l_inf step gains eps*||g||_1 = 0.1*7.5 = 0.75
    "c4_gain": ("assume Norm1[G] = 15/2\n"
                "have c: Inner[G, FGSM[G, 1/10]] = 3/4 by fgsm_linear_gain_eq(eps = 1/10)"),
    # C5: w = (3, -4), b = 1, x = (2, 1): f(x) = 3, ||w||_2 = 5 -> 3/5
    "c5_l2": ("assume Inner[W, X] = 2, Norm[W] = 5\n"
              "have c: Dist2[X, W, 1] = 3/5 by linear_boundary_dist2_eq(b = 1)"),
    # D6: f(z) = z^2, mu = 0.3, sigma = 0.5 -> 0.34
    "d6_square": "have c: E[Reparam[3/10, 1/2]^2] = 34/100 by reparam_second_moment",
    # D8: beta = (0.1, 0.2), t = 2: alpha_bar_1 = 0.9, beta_tilde_2 = 0.1/0.28*0.2 = 1/14
    "d8_var": ("given x0 real, xt real\n"
               "assume Steps[Q] = 2, Beta[Q, 2] = 1/5, AlphaBar[Q, 1] = 9/10\n"
               "have c: Var[XPrev[Q, 2, x0, xt]] = 1/14 "
               "by ddpm_posterior_var(t = 2, beta = 1/5, a = 9/10)"),
    # D10: s = 1, eta = 0.1 -> stationary variance 1/0.95
    "d10_ula": "have c: Var[ULAGauss[1, 1/10]] = 20/19 by ula_gauss_stationary_var",
    # D11: the global minimum of C(G)
    "d11_min": "have c: GanV[pd, pg, DOpt[pd, pg]] + log(4) >= 0 by gan_opt_value_ge",
    # F4: unit inputs at angle pi/3 -> H^inf = 1/6
    "f4_pi3": ("assume Norm[x] = 1, Norm[y] = 1, Angle[x, y] = pi/3, Inner[x, y] = 1/2\n"
               "have c: Hinf[x, y] = 1/6 by ntk_relu_first_layer_eq"),
    "f4_unit": ("assume Norm[x] = 1, Norm[y] = 1, Inner[x, y] = 1/2\n"
                "have c: Hinf[x, y] = 1/6 by ntk_relu_first_layer_unit_eq(u = 1/2)"),
}

SEEDS_NOT_PROVED = {
    # R2 mistake: the minimum taken outside the expectation
    "r2_min_outside": ("assume P[Y = 0] + P[Y = 1] = 1\n"
                       "have c: P[Bayes01[Y, X] != Y] = min(E[Eta[Y, X]], 1 - E[Eta[Y, X]]) "
                       "by bayes_risk01_eq"),
    # R2 outside its hypothesis: labels not known to be in {0, 1}
    "r2_labels": "have c: P[Bayes01[Y, X] != Y] <= P[h[X] != Y] by bayes_risk01_le",
    # B2: L = 3, eps = 0.01 with only 299 units
    "b2_too_few": ("given n >= 299 integer\nassume Lip01[f] <= 3\n"
                   "have c: StepErr[f, n] <= 1/100 by step_net_sup_err_le_of_units_ge(L = 3)"),
    # B6 mistake: 2^L nodes per layer, i.e. 24 nodes for L = 3
    "b6_per_layer": ("assume Dim[g] = 1, Nodes[g] <= 24, HiddenLayers[g] <= 3\n"
                     "have c: L1Err[g, Tent[11]] >= 1/32 by depth_separation_l1_ge(L = 3)"),
    # C5 mistake: ||w||^2 in the distance
    "c5_sq": ("assume Inner[W, X] = 2, Norm[W] = 5\n"
              "have c: Dist2[X, W, 1] = 3/25 by linear_boundary_dist2_eq(b = 1)"),
    # C5 mistake: l_inf distance over ||w||_inf
    "c5_inf": ("assume Inner[W, X] = 2, Norm1[W] = 7, NormInf[W] = 4\n"
               "have c: DistInf[X, W, 1] = 3/4 by linear_boundary_distInf_eq(b = 1)"),
    # D6 mistake: z = mu + sigma^2*eps does not have variance sigma^2 (sigma = 1/2)
    "d6_sq": "have c: Var[Reparam[mu, 1/4]] = 1/4 by reparam_var",
    # D6 mistake: sigma = exp(logvar) instead of exp(logvar/2) (logvar = 1)
    "d6_logvar": "have c: Var[Reparam[mu, exp(1)]] = exp(1) by reparam_var",
    # D7 mistake: the variance as a sum of betas (beta = (1/2, 1/2) gives 3/4, not 1)
    "d7_sum": ("assume Steps[Q] = 2, Beta[Q, 1] = 1/2, Beta[Q, 2] = 1/2\n"
               "have c: Var[XT[Q, 2, x0]] = 1 by ddpm_forward_var"),
    # D8 mistake: beta_tilde = beta_t
    "d8_beta": ("assume Steps[Q] = 2, Beta[Q, 2] = 1/5\n"
                "have c: Var[XPrev[Q, 2, x0, xt]] = 1/5 by ddpm_posterior_var"),
    # D9: detailed balance does not give p(x)*T(y | x) = p(x)*T(x | y)
    "d9_swap": "have c: p[x]*MHT[p, q, x, y] = p[x]*MHT[p, q, y, x] by mh_detailed_balance",
    # D9 mistake: the Hastings ratio dropped for an asymmetric proposal
    "d9_no_hastings": ("assume p[x] > 0, q[x, y] > 0\n"
                       "have c: MHAcc[p, q, x, y] = min(1, p[y]/p[x]) by mh_acceptance_eq"),
    # D10 outside the stable range eta < 2*s^2
    "d10_unstable": "have c: Var[ULAGauss[1, 3]] = 1/(1 - 3/2) by ula_gauss_stationary_var",
    # D11 mistake: the factor 2 missing
    "d11_factor": ("have c: GanV[pd, pg, DOpt[pd, pg]] = -log(4) + JSD[pd, pg] "
                   "by gan_opt_value_eq_jsd"),
    # D11 mistake: the swapped discriminator p_g/(p_data + p_g) = DOpt[pg, pd]
    "d11_swapped": "have c: GanV[pd, pg, D] <= GanV[pd, pg, DOpt[pg, pd]] by gan_value_le_opt_disc",
    # F4 mistake: Cho-Saul's k_0 used as the expectation (2/3 instead of 1/3 at pi/3)
    "f4_k0": ("assume Norm[x] = 1, Norm[y] = 1, Angle[x, y] = pi/3, Inner[x, y] = 1/2\n"
              "have c: Hinf[x, y] = 1/2*(1 - 1/3) by ntk_relu_first_layer_eq"),
}


@pytest.mark.parametrize("name", sorted(SEEDS_PROVED))
def test_catalogue_seed_is_proved(name: str) -> None:
    assert _step(f"exercise {name}\n{SEEDS_PROVED[name]}\n") is Status.PROVED


@pytest.mark.parametrize("name", sorted(SEEDS_NOT_PROVED))
def test_catalogue_mistake_is_not_proved(name: str) -> None:
    assert _step(f"exercise {name}\n{SEEDS_NOT_PROVED[name]}\n", budget_s=1.0) \
        is not Status.PROVED


def test_ddpm_two_step_variance_seed() -> None:
    """beta = (1/2, 1/2): Var[x_2 | x_0] = 1 - alpha_bar_2 = 3/4, via the alpha_bar recursion."""
    text = """exercise ddpm_two_steps
given x0 real
assume Steps[Q] = 2, Beta[Q, 1] = 1/2, Beta[Q, 2] = 1/2
have a0: AlphaBar[Q, 0] = 1                                  by ddpm_alpha_bar_zero
have a1: AlphaBar[Q, 1] = (1 - Beta[Q, 1])*AlphaBar[Q, 0]    by ddpm_alpha_bar_succ(t = 1)
have a2: AlphaBar[Q, 2] = (1 - Beta[Q, 2])*AlphaBar[Q, 1]    by ddpm_alpha_bar_succ(t = 2)
have v: Var[XT[Q, 2, x0]] = 1 - AlphaBar[Q, 2]               by ddpm_forward_var(t = 2)
show Var[XT[Q, 2, x0]] = 3/4
  Var[XT[Q, 2, x0]] = 1 - AlphaBar[Q, 2]   by v
                    = 1 - 1/4              by a0, a1, a2
                    = 3/4                  by algebra
qed
"""
    result = check_text(text, "ddpm.proof", budget_s=2.0, library=LIB)
    assert not result.blocked, [d.format() for d in result.diagnostics]
    bad = [(s.line, s.verdict.label) for s in result.steps if s.verdict.status is not Status.PROVED]
    assert bad == []
