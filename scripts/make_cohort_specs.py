"""Write the shipped specs cohort_<disease>.toml (src/mscabm/experiments/specs/, issue 8): virtual cohorts with
control, drug, MSC and drug + MSC arms.

Run: python scripts/make_cohort_specs.py [--arms control,MSC] [--out DIR]. MSC counts from
mscabm.biology.dosing.msc_dose (dose per kg, route). docs/scenarios.md explains every choice below; tags V/M as
SCIENCE.md.
"""

import argparse
from pathlib import Path

from mscabm.biology.dosing import msc_dose

DAY = 1440.0
#: enrolment = treatment start: day 3, the lesion's established (peak/chronic) phase after the run-in (M);
#: end = 10 days of treatment later: day 13 (the anchors are 3-24 months: a trend proxy, docs/scenarios.md)
#: (a plan's t0_day overrides the enrolment day; treatment always lasts TREATMENT_DAYS)
T0, END = 3 * DAY, 13 * DAY
TREATMENT_DAYS = 10

#: disease -> plan. route, dose/kg per infusion, infusion days after treatment start, primary responder
#: criterion (drop: % drop from enrolment; below: end activity <= value, absolute), its clinical meaning,
#: the anchor (SCIENCE.md s5), and whether the cohort adds standard-prophylaxis arms with and without MSC (GVHD)
PLANS = {
    # SRI-4-like: a 4-point SLEDAI drop on a baseline of ~12 (-33%); chosen after the pilot cohort showed no patient
    # in any arm reaching a 50% drop within 10 days (docs/scenarios.md reports both)
    "sle": dict(route="iv", dose=1e6, days=[0, 7], drop=33.0, label="SRI-4-like (activity -33%)",
                anchor="SLE remission ~1/3 (Wang 2018: 34%; Wang 2014: major 32.5%, partial 27.5%; "
                       "1e6/kg, days 0 and 7)"),
    "ra": dict(route="iv", dose=0.6e6, days=[0], drop=50.0, label="ACR50-like (activity -50%)",
               anchor="RA: DAS28/ESR/CRP lower with 4e7 UC-MSC (~0.6e6/kg) + DMARDs than DMARDs alone (Wang 2019): "
                      "compare drug_low (DMARD background) with drug_low_MSC"),
    "ms": dict(route="intrathecal", dose=1e6, days=[0], drop=20.0, label="improved (EDSS-like activity -20%)",
               anchor="progressive MS: primary endpoint missed, 33% vs 37% improved "
                      "(2024 RCT; intrathecal, 2-monthly)"),
    # the fistula's parenchyma is gut epithelium (issue 22 item 5): enrolment damage is breached epithelium
    "ibd": dict(route="local", dose=0.4e6, days=[0], drop=50.0, label="fistula healing-like (activity -50%)",
                anchor="perianal Crohn's fistula: lasting healing after local injection (Ko 2021, no pooled %)",
                damage_key="cells.EPI.state_fractions.damaged"),
    # the plaque is still growing on day 3 (untreated activity 35 on day 3, flat at ~55 from about day 9, in the
    # day-3 cohort, docs/scenarios.md); trial patients have established chronic plaques, so enrolment is on
    # day 7 (M, changed after that cohort)
    # the plaque's involved skin is hyperproliferative keratinocytes (issue 22 item 4), not damaged tissue cells
    "psoriasis": dict(route="iv", dose=1e6, days=[0, 7], drop=40.0, label="PASI40-like (activity -40%)",
                      anchor="psoriasis: 47.1% PASI40 at 6 months (Cheng 2022)", t0_day=7,
                      damage_key="cells.KERAT.state_fractions.hyperproliferative"),
    "gvhd": dict(route="iv", dose=1e6, days=[0, 7], below=50.0,
                 label="free of clinically significant GVHD (activity <= 50)",
                 anchor="cGVHD 27% vs 43-49% with repeated infusions added to standard prophylaxis (Gao 2016; "
                        "Blood 2022): compare the prophylaxis and prophylaxis_MSC arms", prophylaxis=True),
    "t1d": dict(route="iv", dose=1e6, days=[0, 7], drop=0.0, label="no progression (C-peptide preservation-like)",
                anchor="T1D: no numeric anchor in SCIENCE.md s5"),
    # pSS (issue 22 item 6): one infusion as in the anchor trial; the anchor reports the mean SSDAI change, not a
    # responder split, so the criterion is that mean change rounded down (M, set before any pSS run) and the MSC
    # arm's mean % change is compared with -23% directly (docs/scenarios.md)
    "pss": dict(route="iv", dose=1e6, days=[0], drop=20.0, label="improved (ESSDAI-like activity -20%)",
                anchor="pSS: SSDAI 5.63 -> 4.33 (-23%) at 1 month, unstimulated salivary flow 1.6x at 2 weeks after "
                       "one 1e6/kg UC-MSC infusion (Xu 2012 Blood 120:3142, 24 patients, single arm)"),
}
#: GVHD is prophylaxis: treatment starts on day 1, before clinically significant disease (SCIENCE.md s5: MSC
#: from day +45 in the Blood 2022 trial, before cGVHD), from a lesion with little damage
GVHD_T0 = 1 * DAY
DRUG, DRUG_LOW = 0.5, 0.25
DRUG_MID = 0.375  # the combination's other reduced dose (-25%)
#: GVHD standard prophylaxis (calcineurin inhibitor + MTX/MMF in both trial arms) as the immunosuppressant at the dose
#: whose cGVHD-like incidence in the pilot cohort came closest to the trials' control arms (43-49%; fitted, M).
#: Pilots with primed-CTL influx (incidence on day 13; 10 patients, 30 at 0.3): 0.25 -> 7/10, 0.3 -> 25/30,
#: 0.4 -> 6/10, 0.5 -> 6/10, 0.65 -> 2/10 (0.5 and 0.65 with tryptophan resupply)
PROPHYLAXIS = 0.55
#: the anchors' comparisons with TRIAL_PATIENT_FACTOR x the cohort's patients (cohort_<disease>_trial; GVHD's arms
#: also in its sensitivity specs): disease -> (reference arm, treated arm, the reference's twin in the text, title).
#: GVHD: the relative reduction of incidence; SLE and psoriasis: the MSC arm's responder fraction against its
#: anchor, with a Wilson CI about 0.6x as wide. Same master seed: a trial's first patients are the cohort's.
TRIALS = {
    "gvhd": ("prophylaxis", "prophylaxis_MSC", "prophylaxis-alone", "gvhd, prophylaxis +- MSC"),
    "sle": ("control", "MSC", "untreated", "sle, untreated vs MSC"),
    "psoriasis": ("control", "MSC", "untreated", "psoriasis, untreated vs MSC"),
}
TRIAL_PATIENT_FACTOR = 3

#: the enrolment-damage draw's key, unless the plan names another (psoriasis: keratinocytes)
DAMAGE_KEY = "cells.TISSUE.state_fractions.damaged"
PATIENTS = '''
[patients]
[[patients.vary]]
name = "treg_fraction"          # M: 2-10% of CD4 are FoxP3+ Tregs, lower in active autoimmunity
keys = ["cells.T.state_fractions.Treg"]
dist = "normal"
mean = 0.06
sd = 0.02
clip = [0.01, 0.15]
[[patients.vary]]
name = "inflammation_scale"     # M: baseline inflammation (recruitment from the blood) varies ~1.5-2x between patients
keys = ["influx.T.rate_per_min", "influx.CD8.rate_per_min", "influx.MAC.rate_per_min"]
dist = "lognormal"
median = 1.0
sigma = {infl_sigma}
scale = "multiply"
[[patients.vary]]
name = "initial_damage"         # M: disease activity at enrolment
keys = ["{damage_key}"]
dist = "uniform"
low = {damage_low}
high = {damage_high}
[[patients.vary]]
name = "macrophage_scale"       # M: immune composition: macrophage content ~1.3x between patients
keys = ["cells.MAC.count"]
dist = "lognormal"
median = 1.0
sigma = 0.3
scale = "multiply"
integer = true
[[patients.vary]]
name = "msc_delivery"           # M: share of each infusion reaching and acting in the lesion varies ~2x between
keys = ["interventions.delivery_scale"]  # patients and MSC lots (lung trapping, homing, donor potency: Galipeau &
dist = "lognormal"              # Sensebe 2018 Cell Stem Cell 22:824); only the MSC arms have infusions
median = 1.0
sigma = 0.7
clip = [0.1, 5.0]
'''

SPEC = ('''# Virtual cohort, {key}: {n} patients x {n_arms} arms (issue 8). Generated by scripts/make_cohort_specs.py.
# Run: NUMBA_NUM_THREADS=1 mscabm experiment {name} --threads 1   (docs/scenarios.md)
[experiment]
name = "{name}"
description = """
{intro} on `src/mscabm/presets/disease_{key}.toml`. Each replicate is one patient (draws in [patients], identical in
every arm; common seeds, so the run-in before treatment is identical across arms). Treatment starts on day
{t0_day:g} and the cohort ends on day {end_day:g}: {drug_text}MSC = {route} route, {dose:g} cells/kg per infusion '''
'''on treatment days {days} -> {count} MSCs reach the simulated
patch per infusion (mscabm.biology.dosing.msc_dose) x the patient's msc_delivery.
Responder ({label}): {criterion}. Secondary, paired: end activity >= 25% below the same patient's {twin} twin.
Clinical anchor: {anchor}. A trend proxy, not a trial: see docs/scenarios.md.
"""
master_seed = {seed}
replicates = {n}
steps = {steps}
record_every = 240

[base]
config = "disease_{key}"
{base_set}{patients}
[design]
kind = "conditions"
{conditions}
[readouts]
final = ["disease_activity", "disease_damage_frac", "disease_inflammation", "n_T_Treg", "n_T_Th17", "n_CD8_CTL",
         "n_MSC", "frac_MAC_M2", "influx_total"]

[report]
kind = "cohort"
activity = "disease_activity"
baseline_min = {t0}
{criterion_keys}
responder_label = "{label}"
responder_vs_reference_pct = 25.0
reference = "{reference}"
title = "{title}: disease activity by arm"
''')


#: sensitivity runs of the MSC arms' fit to their anchors (docs/scenarios.md, "Sensitivity of the SLE and psoriasis
#: MSC arms"): the cohort's patients and seeds, the control and MSC arms only (GVHD: the trial spec's arms)
SENSITIVITY = {
    # in-vivo tryptophan/kynurenine exchange 10x slower than the presets' 0.1/min (supply keeps TRP's 25 uM start)
    "slow_exchange": dict(diseases=("sle", "psoriasis"), what="tryptophan exchange 10x slower, 0.01/min",
                          set={"fields.TRP.decay_per_min": 0.01, "fields.TRP.supply_per_min": 0.25,
                               "fields.KYN.decay_per_min": 0.01}),
    "double_dose": dict(diseases=("sle", "psoriasis", "gvhd"), what="double MSC dose", dose_factor=2),
    "day40": dict(diseases=("sle", "psoriasis"), what="horizon to day 40", end_day=40),
}


def conditions(t0: float, infusions: str, prophylaxis: bool) -> dict[str, str]:
    def drug(d: float) -> str:
        return f'"interventions.immunosuppressant" = {d}, "interventions.immunosuppressant_start_min" = {t0}'

    arms = {"control": '"interventions.immunosuppressant" = 0.0',
            "drug": drug(DRUG), "drug_low": drug(DRUG_LOW),
            "MSC": f'"interventions.infusions" = {infusions}'}
    arms["drug_low_MSC"] = f'{drug(DRUG_LOW)}, "interventions.infusions" = {infusions}'
    arms["drug_mid_MSC"] = f'{drug(DRUG_MID)}, "interventions.infusions" = {infusions}'
    if prophylaxis:
        arms["prophylaxis"] = drug(PROPHYLAXIS)
        arms["prophylaxis_MSC"] = f'{drug(PROPHYLAXIS)}, "interventions.infusions" = {infusions}'
    return arms


def design_conditions(arms: dict[str, str]) -> str:
    """The spec's ``[[design.conditions]]`` tables, one per arm (id -> the TOML inline ``set`` body)."""
    return "\n".join(f'[[design.conditions]]\nid = "{k}"\nset = {{ {v} }}' for k, v in arms.items())


#: MSC-EV dose per infusion (pM of the EV field over the patch; M: about the EV level that halves DC maturation in the
#: in-vitro assay, tests/test_biology.py, and ~5x what the 8 infused MSCs of an IV dose release in a day)
EV_DOSE_PM = 20.0


def infusion_list(t0: float, days: list[int], count: int, placement: str, state: str = "") -> str:
    """The TOML inline array of infusions on treatment ``days`` (MSCs of ``state``, default: naive)."""
    st = f', state = "{state}"' if state else ""
    return "[" + ", ".join(f'{{ at_min = {t0 + DAY * d}, count = {count}, placement = "{placement}"{st} }}'
                           for d in days) + "]"


def options_conditions(t0: float, count: int) -> dict[str, str]:
    """SLE treatment options (cohort_sle_options): schedule, IFN-gamma licensing, EVs instead of cells."""
    inf = lambda days, state="": infusion_list(t0, days, count, "uniform", state)  # noqa: E731
    ev = "[" + ", ".join(f'{{ at_min = {t0 + DAY * d}, field = "EV", level = {EV_DOSE_PM} }}' for d in (0, 7)) + "]"
    return {"control": '"interventions.immunosuppressant" = 0.0',
            "MSC_single": f'"interventions.infusions" = {inf([0])}',
            "MSC_repeated": f'"interventions.infusions" = {inf([0, 7])}',
            # pre-treated with IFN-gamma for 48 h before infusion: the expression ODEs give the levels
            "MSC_IFNG_licensed": f'"interventions.infusions" = {inf([0, 7])}, "interventions.prelicense" = "IFNG"',
            "MSC_EV": f'"interventions.doses" = {ev}'}


#: steroid-refractory acute GVHD (issue 22 item 7; SCIENCE.md s2b: Le Blanc 2008 Lancet 371:1579, MSCs as second
#: line after steroid failure, 30 complete responses and 9 improved of 55, 71%). Acute GVHD at diagnosis is an
#: established lesion: enrolment on day 3 with the other diseases' damage range (M). Steroid first line = the
#: cohort drug at DRUG from enrolment, times each patient's steroid sensitivity drawn uniform on [0, 1] (M: steroid
#: response varies between patients; no source for its distribution, so the share that fails is the model's, not
#: fitted). Refractoriness is read after SR_ASSESS_DAYS of steroid (M: no improvement after 5-7 days is the usual
#: definition), MSCs then join as second line: SR_DOSE cells/kg IV (Le Blanc's median 1.4e6/kg) at the
#: assessment and a week later (22 of 55 patients had two doses), to SR_FOLLOW_DAYS after the second line starts.
SR_ASSESS_DAYS = 5
#: its master seed: fixed (it was 8000 + the number of plans + GVHD's index when the cohort was first run, before
#: the pSS plan joined PLANS), so that the cohort's patients stay the ones measured in docs/scenarios.md
SR_SEED = 8012
SR_DOSE = 1.4e6
SR_FOLLOW_DAYS = 14
SR_STEROID_SENSITIVITY = '''[[patients.vary]]
name = "steroid_sensitivity"    # M: share of the steroid's effect a patient's lesion keeps (uniform on [0, 1]; no
keys = ["interventions.immunosuppressant"]  # source for its distribution: the refractory share is not fitted)
dist = "uniform"
low = 0.0
high = 1.0
scale = "multiply"
'''


def sr_gvhd_spec(n: int, seed: int) -> str:
    """The steroid-refractory acute GVHD cohort (cohort_gvhd_sr): steroid first line for every patient, MSCs added
    as second line after SR_ASSESS_DAYS; the refractory patients are found from the steroid arm's own course
    (scripts/cohort_tables.py), the same in both arms up to the second line (common seeds)."""
    t0 = T0
    second = t0 + SR_ASSESS_DAYS * DAY
    end = second + SR_FOLLOW_DAYS * DAY
    count, _ = msc_dose(SR_DOSE, "iv")
    # the steroid is in [base.set], so the patient's sensitivity multiplies it in both arms (a condition that set
    # it would replace the draw: refused by the spec checks)
    arms = {"steroid": "",
            "steroid_MSC": f'"interventions.infusions" = {infusion_list(second, [0, 7], count, "uniform")}'}
    conds = design_conditions(arms)
    pat = PATIENTS.format(infl_sigma=0.5, damage_low=0.2, damage_high=0.5,
                          damage_key=DAMAGE_KEY) + SR_STEROID_SENSITIVITY
    label = "overall response-like (activity -25% from the second line's start)"
    return SPEC.format(
        key="gvhd", name="cohort_gvhd_sr", intro="Steroid-refractory acute GVHD cohort (MSCs as second line)",
        reference="steroid", twin="steroid-alone", title="acute gvhd, steroid +- second-line MSC", n=n, n_arms=2,
        t0_day=t0 / DAY, end_day=end / DAY,
        drug_text=f"steroid first line = immunosuppressant {DRUG} x the patient's steroid_sensitivity (uniform 0-1) "
                  f"from day {t0 / DAY:g}; second line from day {second / DAY:g} (after {SR_ASSESS_DAYS} days of "
                  "steroid): ",
        route="iv", dose=SR_DOSE, days=f"[{SR_ASSESS_DAYS}, {SR_ASSESS_DAYS + 7}]", count=count, label=label,
        criterion=f"activity drop >= 25% from the second line's start (day {second / DAY:g}) to the end; the "
                  f"analysis keeps the steroid-refractory patients (activity on day {second / DAY:g} not >= 25% "
                  f"below enrolment, the same in both arms), scripts/cohort_tables.py",
        anchor="steroid-refractory acute GVHD: 39 of 55 responded to MSCs (30 complete, 9 improved; 71%; Le "
               "Blanc 2008 Lancet 371:1579, median 1.4e6/kg)",
        seed=seed, steps=int(end), t0=second, patients=pat, conditions=conds,
        criterion_keys="responder_drop_pct = 25.0",
        base_set=f'[base.set]\n"interventions.immunosuppressant" = {DRUG}\n'
                 f'"interventions.immunosuppressant_start_min" = {t0}\n')


#: repeated intrathecal dosing for progressive MS (issue 22 item 10; SCIENCE.md s5: the MS-NP phase II trial gave six
#: intrathecal doses two months apart). As far as the horizon allows: the first two doses, 60 days apart, followed to
#: MS_REPEAT_FOLLOW_DAYS after the second (the window the cohorts read after a dose), i.e. day 73, ~6x a cohort run.
#: The cohort_ms patients (same master seed: same draws and seeds), untreated vs repeated; up to the second dose the
#: repeated arm is the single-dose arm of cohort_ms continued, so one run gives both.
MS_REPEAT_INTERVAL_DAYS = 60
MS_REPEAT_DOSES = 2
MS_REPEAT_FOLLOW_DAYS = 10
MS_REPEAT_PATIENTS = 4


def ms_repeated_spec(seed: int) -> str:
    """cohort_ms_repeated: untreated vs intrathecal MSCs every MS_REPEAT_INTERVAL_DAYS (MS_REPEAT_DOSES doses)."""
    p = PLANS["ms"]
    t0 = T0
    days = [MS_REPEAT_INTERVAL_DAYS * k for k in range(MS_REPEAT_DOSES)]
    end = t0 + (days[-1] + MS_REPEAT_FOLLOW_DAYS) * DAY
    count, _ = msc_dose(p["dose"], p["route"])
    arms = {"control": '"interventions.immunosuppressant" = 0.0',
            "MSC_repeated": f'"interventions.infusions" = {infusion_list(t0, days, count, "uniform")}'}
    conds = design_conditions(arms)
    return SPEC.format(
        key="ms", name="cohort_ms_repeated", intro="Repeated intrathecal dosing for progressive MS (first "
        f"{MS_REPEAT_DOSES} of the MS-NP trial's six doses, {MS_REPEAT_INTERVAL_DAYS} days apart)",
        reference="control", twin="untreated", title="progressive ms, repeated intrathecal MSC", n=MS_REPEAT_PATIENTS,
        n_arms=2, t0_day=t0 / DAY, end_day=end / DAY, drug_text="", route=p["route"], dose=p["dose"], days=days,
        count=count, label=p["label"], criterion=f"activity drop >= {p['drop']:g}% from treatment start to the end",
        anchor="progressive MS: primary endpoint missed, 33% vs 37% improved (2024 RCT; six intrathecal MSC-NP doses, "
               "2-monthly)", seed=seed, steps=int(end), t0=t0, patients=PATIENTS.format(infl_sigma=0.5, damage_low=0.2,
                                                                                      damage_high=0.5,
                                                                                      damage_key=DAMAGE_KEY),
        conditions=conds, criterion_keys=f"responder_drop_pct = {p['drop']}", base_set="")


def drug_text(key: str) -> str:
    t = f"drug = steroid-like immunosuppressant {DRUG} (reduced doses with MSC: {DRUG_MID}, {DRUG_LOW}"
    if key == "gvhd":
        t += f"; standard prophylaxis {PROPHYLAXIS}"
    return t + ");\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--arms", default="", help="comma-separated subset of arms (pilot runs)")
    ap.add_argument("--patients", type=int, default=10)
    ap.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "src/mscabm/experiments/specs"))
    a = ap.parse_args()
    root = Path(a.out)
    root.mkdir(parents=True, exist_ok=True)
    only = set(a.arms.split(",")) if a.arms else None
    for i, (key, p) in enumerate(PLANS.items()):
        t0 = GVHD_T0 if key == "gvhd" else p.get("t0_day", T0 / DAY) * DAY
        end = max(END, t0 + TREATMENT_DAYS * DAY)
        count, _ = msc_dose(p["dose"], p["route"])
        placement = "centre" if p["route"] == "local" else "uniform"
        if "below" in p:
            criterion, ckeys = f"end activity <= {p['below']:g}", f"responder_below = {p['below']}"
        else:
            criterion = f"activity drop >= {p['drop']:g}% from treatment start to the end"
            ckeys = f"responder_drop_pct = {p['drop']}"
        pat = PATIENTS.format(infl_sigma=0.5, damage_low=0.0 if key == "gvhd" else 0.2,
                              damage_high=0.1 if key == "gvhd" else 0.5, damage_key=p.get("damage_key", DAMAGE_KEY))

        # render is called only within this iteration, so the loop variables it reads are the current ones (B023)
        def render(arms: dict[str, str], drug: str, days, n: int = a.patients, name: str = f"cohort_{key}",
                   intro: str = "Virtual cohort", reference: str = "control", twin: str = "untreated",
                   title: str = key, count: int = count, end: float = end, base_set: str = "") -> str:
            """One spec: these arms of this disease's plan, named ``name``, paired against ``reference``
            (``count`` MSCs per infusion, to day ``end``/DAY, with ``base_set`` overrides of the preset)."""
            arms = {k: v for k, v in arms.items() if only is None or k in only}
            conds = design_conditions(arms)
            return SPEC.format(key=key, name=name, intro=intro, reference=reference, twin=twin, title=title,  # noqa: B023
                               n=n, n_arms=len(arms), t0_day=t0 / DAY, end_day=end / DAY,  # noqa: B023
                               drug_text=drug, route=p["route"], dose=p["dose"], days=days, count=count,  # noqa: B023
                               label=p["label"], criterion=criterion, anchor=p["anchor"], seed=8000 + i,  # noqa: B023
                               steps=int(end), t0=t0, patients=pat, conditions=conds, criterion_keys=ckeys,  # noqa: B023
                               base_set=base_set)

        arms = conditions(t0, infusion_list(t0, p["days"], count, placement), p.get("prophylaxis", False))
        (root / f"cohort_{key}.toml").write_text(render(arms, drug_text(key), p["days"]))
        print("wrote", root / f"cohort_{key}.toml", count, "MSC per infusion")
        if key in TRIALS:
            # the anchor's comparison alone with 3x the patients (TRIALS)
            ref, treated, twin, title = TRIALS[key]
            trial = {k: v for k, v in arms.items() if k in (ref, treated)}
            text = render(trial, drug_text(key), p["days"], n=TRIAL_PATIENT_FACTOR * a.patients,
                          name=f"cohort_{key}_trial", reference=ref, twin=twin, title=title)
            (root / f"cohort_{key}_trial.toml").write_text(text)
            print("wrote", root / f"cohort_{key}_trial.toml")
        for variant, sens in SENSITIVITY.items():
            if key not in sens["diseases"]:
                continue
            factor = sens.get("dose_factor", 1)
            sarms = conditions(t0, infusion_list(t0, p["days"], factor * count, placement),
                               p.get("prophylaxis", False))
            gvhd_trial = key == "gvhd"  # GVHD: the trial spec's patients too
            sref, streated, stwin = TRIALS.get(key, ("control", "MSC", "untreated"))[:3]
            sset = "".join(f'"{k}" = {v}\n' for k, v in sens.get("set", {}).items())
            name = f"sens_{key}_{variant}"
            text = render({k: v for k, v in sarms.items() if k in (sref, streated)}, drug_text(key), p["days"],
                          n=(TRIAL_PATIENT_FACTOR if gvhd_trial else 1) * a.patients, name=name,
                          intro=f"Sensitivity run ({sens['what']})",
                          reference=sref, twin=stwin,
                          title=f"{key}, {sens['what']}", count=factor * count,
                          end=sens.get("end_day", end / DAY) * DAY, base_set=f"[base.set]\n{sset}" if sset else "")
            (root / f"{name}.toml").write_text(text)
            print("wrote", root / f"{name}.toml")
        if key == "gvhd":
            (root / "cohort_gvhd_sr.toml").write_text(sr_gvhd_spec(3 * a.patients, SR_SEED))
            print("wrote", root / "cohort_gvhd_sr.toml")
        if key == "ms":
            (root / "cohort_ms_repeated.toml").write_text(ms_repeated_spec(8000 + i))
            print("wrote", root / "cohort_ms_repeated.toml")
        if key != "sle":
            continue
        # SLE treatment options (same patients: same master seed): single vs repeated infusion, IFN-gamma-licensed
        # (primed) MSCs, MSC-EVs
        text = render(options_conditions(t0, count), "", "[0] or [0, 7]", name="cohort_sle_options",
                      intro="SLE treatment options (single vs repeated infusion, IFN-gamma-licensed MSCs, MSC-EVs at "
                            f"{EV_DOSE_PM:g} pM per dose x msc_delivery)", title="sle treatment options")
        (root / "cohort_sle_options.toml").write_text(text)
        print("wrote", root / "cohort_sle_options.toml")

if __name__ == "__main__":
    main()
