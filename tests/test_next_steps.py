"""What a plausible or unknown verdict tells the student to do next (checker.feedback.next_steps,
attached by the portfolio as ``next:`` notes)."""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction as F

import pytest
import sympy as sp

from checker.engines import portfolio
from checker.feedback import NEXT, next_steps
from checker.obligations import Domain, Obligation, Relation, Status, Verdict, sym

n, x, a, b, eps, delta = (sym(s) for s in ("n", "x", "a", "b", "eps", "delta"))


def test_an_integer_parameter_is_split_into_base_and_step() -> None:
    ob = Obligation(Relation((1 + 1 / n)**n, ">=", 2), (("n", Domain(F(1), None, integer=True)),))
    advice = next_steps(ob)
    assert advice and all(line.startswith(NEXT) for line in advice)
    # Bernoulli's inequality with x = 1/n is this step exactly: the theorem comes first
    assert "one_add_mul_le_pow(x = 1/n, n = n)" in advice[0]
    assert "show it for the smallest n" in advice[1] and "n + 1" in advice[1]


def test_a_sum_is_split_into_base_case_and_difference() -> None:
    k = sym("k")
    ob = Obligation(Relation(sp.Sum(k**3, (k, 1, n)), "=", n**4 / 4),
                    (("n", Domain(F(1), None, integer=True)),))
    assert "by induction on n" in next_steps(ob)[0]


def test_a_bound_in_a_hypothesis_is_used_in_two_steps() -> None:
    ob = Obligation(Relation(2 * sp.exp(-n * eps**2 / 2), "<=", delta), (),
                    (Relation(n, ">=", 2 * sp.log(2 / delta) / eps**2),))
    assert any("the claim with n = 2*log(2/delta)/eps^2 put in" in s for s in next_steps(ob))


def test_logs_of_compound_arguments_ask_for_positivity_first() -> None:
    ob = Obligation(Relation(sp.log((1 + a) / (2 - b)), "=", sp.log(1 + a) - sp.log(2 - b)))
    assert any("state " in s and "> 0 as a fact first" in s for s in next_steps(ob))


def test_where_a_method_stopped_comes_first() -> None:
    ob = Obligation(Relation(sp.exp(x), ">=", 1 + x))
    advice = next_steps(ob, ["the claim at the bound n = 3 was not proved"])
    assert advice[0].startswith(NEXT + "the checker got part of the way: the claim at the bound")


def test_advice_is_deterministic_and_bounded() -> None:
    ob = Obligation(Relation((1 + 1 / n)**n, ">=", 2), (("n", Domain(F(1), None, integer=True)),),
                    (Relation(n, ">=", 1),))
    lost = [f"reason {i}" for i in range(10)]
    assert next_steps(ob, lost) == next_steps(ob, lost)
    assert len(next_steps(ob, lost)) <= 3


def test_only_a_whole_check_gets_advice() -> None:
    ob = Obligation(Relation(sp.exp(x), ">=", 1 + x))
    plausible = Verdict(Status.PLAUSIBLE, "search", "no counterexample", samples=5)
    advised = portfolio._advised(ob, plausible, [], "auto")
    assert any(note.startswith(NEXT) for note in advised.notes)
    assert portfolio._advised(ob, plausible, [], "proof") == plausible  # a sub-obligation


def test_cli_shows_what_to_do_next() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "checker", "claim", "(1 + 1/n)^n < e", "--assume",
         "n >= 1 integer"], capture_output=True, text=True, timeout=300)
    if out.stdout.startswith("proved"):  # an engine got stronger: nothing to advise
        assert "next:" not in out.stdout
        return
    if out.stdout.startswith("unknown (time limit"):  # the wall-clock safety cap (load)
        pytest.skip("the machine is too loaded for this check's safety cap")
    assert "\n  next: " in out.stdout, out.stdout
    # where a method stopped (the logs compared), then how to split an integer claim
    assert "next: the checker got part of the way: taking logs" in out.stdout
    assert "next: split it: show it for the smallest n" in out.stdout


def test_where_methods_stopped_is_said_once_and_only_where_it_says_something() -> None:
    """Two methods that stopped at the same place give one line; "work budget spent" names
    no part to write as a step, and gives none."""
    ob = Obligation(Relation(sp.exp(x), ">=", 1 + x))
    lost = ["work budget spent", "taking logs: x <= 1 was not proved", "work budget spent",
            "taking logs: x <= 1 was not proved"]
    got = [line for line in next_steps(ob, lost) if "part of the way" in line]
    assert got == [NEXT + "the checker got part of the way: taking logs: x <= 1 was not "
                   "proved; write that part as a step of its own (or cite a theorem for it)"]
