"""Write configs/disease_*.toml: one shared in-vivo lesion block plus each disease's composition and drivers.

Run: python scripts/make_disease_presets.py   (docs/scenarios.md explains every number; tags V/M as SCIENCE.md)
"""

import re
from pathlib import Path

COMMON = '''
# ---- shared in-vivo lesion (all disease presets; docs/scenarios.md "Common lesion model") ----
[model]
name = "{name}"
steps = 7200                 # 1 day run-in + 4 days of treatment at dt = 1 min
max_cells = 20000

[domain]
width_um = 250.0             # a 250 x 250 x 100 um patch of the lesion (small: a cohort of 40 runs in minutes
height_um = 250.0            # on one core; counts and influx scaled by the area, SCALE in the generator)
thickness_um = 100.0

[output]
record_every = 60
snapshot_every = 0

[cells.MSC]
count = 0                    # MSCs only by treatment (interventions.infusions)

[cells.TISSUE]               # parenchymal/target cells (M: ~20% of the patch area)
count = 120
state_fractions = {{ damaged = {damaged} }}

[behaviours.TISSUE.healthy]  # regeneration with contact inhibition (M)
cycle_rate_per_min = {regen}
[behaviours.TISSUE.damaged]
death_rate_per_min = 0.0     # damage is dysfunction (reversible); loss comes from CTL killing only (M)
to_healthy_per_min = {repair}   # intrinsic repair (default 1/(3 d); MS: failing remyelination, 1/(30 d))
[rules.hgf_repairs_tissue]
saturation = {repair_boost}
[rules.tgfb_repairs_tissue]
saturation = {repair_boost}
[rules.il10_repairs_tissue]
saturation = {repair_boost}

[rules.tissue_contact_inhibition]
cell_type = "TISSUE"
state = "healthy"
signal = "contact:TISSUE"
direction = "decreases"
behaviour = "cycle_rate_per_min"
saturation = 0.0
half_max = 1.5
hill_power = 4.0
source = "M: parenchymal regeneration stops at confluence (contact inhibition)"

# ANTIGEN SOURCE: immature DCs take up autoantigen from damaged tissue and mature (with DAMP, default rule
# damp_matures_dc). Removing the antigen = disabling this rule, damp_matures_dc and tnf_matures_dc
# (tests/test_scenarios.py); saturation must equal damp_matures_dc's (shared behaviour).
[rules.autoantigen_matures_dc]
cell_type = "DC"
state = "immature"
signal = "contact:TISSUE.damaged"
direction = "increases"
behaviour = "to_mature_per_min"
saturation = 0.004166666666666667
half_max = 0.5
hill_power = 1.0
source = "M: autoantigen uptake from damaged parenchyma matures DCs (issue 8)"

# tissue damage by effector cytokines: 2-day time scale in vivo (default 12 h is an in-vitro assay scale, M)
[rules.tnf_damages_tissue]
saturation = 0.000347
[rules.ifng_damages_tissue]
saturation = 0.000347
[rules.il17_damages_tissue]
saturation = 0.000347
[rules.ig_damages_tissue]
saturation = 0.000347

# in-vivo clearance: cytokines leave the tissue by lymph/blood and receptor uptake (~7 min half-life, M;
# the default 1 h half-life is a culture-well value)
[fields.IFNG]
decay_per_min = 0.1
[fields.TNF]
decay_per_min = 0.1
[fields.IL2]
decay_per_min = 0.1
[fields.IL6]
decay_per_min = 0.1
[fields.IL10]
decay_per_min = 0.1
[fields.IL12]
decay_per_min = 0.1
[fields.IL17]
decay_per_min = 0.1
[fields.CXCL]
decay_per_min = 0.1
[fields.DAMP]
decay_per_min = 0.1
[fields.TSG6]
decay_per_min = 0.1
[fields.HGF]
decay_per_min = 0.1
# in-vivo exchange of small solutes with the blood (M): tryptophan is resupplied toward its starting level
# (25 uM; supply/decay) and kynurenine drains, on the cytokines' ~7 min scale (small solutes cross capillary
# walls at least as fast as proteins leave by lymph). The culture well has no blood supply: without this,
# IDO's depletion was permanent and MSC arms kept tryptophan at 1-4 uM for days after the last MSC had gone.
[fields.TRP]
decay_per_min = 0.1
supply_per_min = 2.5
[fields.KYN]
decay_per_min = 0.1

# in-vivo contraction: effectors live ~2 days in the lesion (activation-induced death, egress; M); naive
# cells leave within a day (recirculation, M); expansion in tissue slower than in an IL-2-rich well (M)
[behaviours.T.naive]
death_rate_per_min = 0.000694
[behaviours.CD8.naive]
death_rate_per_min = 0.000694
[behaviours.T.activated]
death_rate_per_min = 0.000347
[behaviours.T.Th1]
death_rate_per_min = 0.000347
[behaviours.T.Th17]
death_rate_per_min = 0.000347
[behaviours.T.Treg]
death_rate_per_min = 0.000231
[behaviours.CD8.CTL]
death_rate_per_min = 0.000347
kill_TISSUE_per_min = {ctl_kill}
[behaviours.B.activated]
death_rate_per_min = 0.000347   # activated B cells ~2 days in the lesion like T effectors (M)
[behaviours.NK.resting]
kill_TISSUE_per_min = 0.0
[behaviours.NK.active]
kill_TISSUE_per_min = 0.0
[behaviours.MSC.naive]
death_rate_per_min = {msc_death}   # MSC persistence at the lesion for this disease's route (disease.ROUTES)
[behaviours.MSC.primed]
death_rate_per_min = {msc_death}
[behaviours.MSC.licensed]
death_rate_per_min = {msc_death}
[rules.il2_drives_T_activated_division]
saturation = 0.000694
[rules.il2_drives_T_Th1_division]
saturation = 0.000694
[rules.il2_drives_T_Th17_division]
saturation = 0.000694
[rules.il2_drives_T_Treg_division]
saturation = 0.000347
[rules.il2_drives_CD8_CTL_division]
saturation = 0.000694
[rules.il2_drives_B_activated_division]
saturation = 0.000694

# RESOLUTION WITHOUT ANTIGEN (issue 8 sanity check; M): inflammatory macrophages need continued signals.
# M1 macrophages revert to M0 within ~{m1_revert_h} h (polarisation is plastic and decays without stimulus) unless
# antigen-driven IFN-gamma (T/NK cells) holds them; danger signals and TNF alone polarise weakly
# (half-max raised from 50 to 150 / 200: sterile injury resolves). Antibody deposits in tissue are cleared by Fc-receptor
# uptake and drainage on a ~1-day scale (tissue, not serum: serum IgG half-life is ~3 weeks).
[behaviours.MAC.M1]
to_M0_per_min = {m1_revert}
death_rate_per_min = 0.000139   # monocyte-derived macrophages turn over in inflamed tissue (~5 days, M); without
[behaviours.MAC.M0]             # turnover CXCL-driven influx piled up 300+ macrophages whose IL-10/TGF-beta (M2)
death_rate_per_min = 0.000139   # resolved the untreated RA and IBD lesions within two weeks
[behaviours.MAC.M2]
death_rate_per_min = 0.000139
[rules.ifng_holds_m1]
cell_type = "MAC"
state = "M1"
signal = "field:IFNG"
direction = "decreases"
behaviour = "to_M0_per_min"
saturation = 0.0
half_max = 10.0
hill_power = 1.0
source = "M: IFN-gamma (antigen-driven T/NK) sustains the M1 phenotype"
[rules.damp_polarises_m1]
half_max = 150.0
[rules.tnf_polarises_m1]
half_max = 200.0             # TNF alone is a weak M1 signal in vivo (classical activation needs IFN-gamma; M)
[fields.IG]
decay_per_min = 0.0005

# DRAINING SOURCE: new cells enter at the patch edges, up to max_fold x faster as CXCL9/10 rises
# (CXCR3 ligands recruit effector T cells, SCIENCE.md s2); rates M, varied per patient in the cohorts
[influx.T]
rate_per_min = {t_influx}
max_fold = 10.0
field = "CXCL"
half_max = 20.0
[influx.CD8]
rate_per_min = {cd8_influx}
max_fold = 10.0
field = "CXCL"
half_max = 20.0{cd8_influx_state}
[influx.DC]
rate_per_min = 0.0008
max_fold = 5.0
field = "CXCL"
half_max = 20.0
[influx.MAC]
rate_per_min = {mac_influx}
max_fold = 5.0
field = "CXCL"
half_max = 20.0
state = "M0"

# disease activity index (docs/scenarios.md): K of each inflammation field = its median level in the untreated
# lesion over days 3-13 (pilot control arm, 8 patients; M), so c / (c + K) reads 0.5 at typical untreated activity
# and responds to treatment (a K far below the untreated level saturates the index)
[disease]
enabled = true
clinical_index = "{index}"
damage_weight = {damage_weight}
inflammation = {inflammation}
'''

#: GVHD: alloreactive donor CD8 T cells are primed by host APCs in secondary lymphoid organs and home to the
#: target organs as effectors (Shlomchik 2007 Nat Rev Immunol 7:340; Ferrara et al. 2009 Lancet 373:1550); in
#: the autoimmune lesions entering CD8 cells are naive and must be primed on site. Without it the MSC course
#: (two IV infusions) added to prophylaxis kept 27/30 virtual patients free of GVHD (docs/scenarios.md): the
#: lesion could only be fed by local priming, which MSCs block.
GVHD_PRIMED_CTL_INFLUX = """
state = "CTL"                # primed in lymphoid organs: alloreactive CTLs arrive as effectors (GVHD; M, see generator)"""

DISEASES = {
    "sle": dict(
        title="Systemic lupus erythematosus (kidney/skin lesion)",
        header="""# SLE: B cells and plasma cells make autoantibody (IG field; immune-complex damage, default rule
# ig_damages_tissue), Th17 up / Treg down, type I IFN signature (no IFN-alpha field: IFN-gamma stands in).
# Sources: Chen 2024 Front Immunol 15:1525380 (SCIENCE.md s1); Th17/Treg imbalance and B-cell hyperactivity
# in SLE (SCIENCE.md s2, M for the numbers). Clinical anchor: Wang 2018 Stem Cell Rep 10:933, remission 34%
# with 1e6 UC-MSC/kg IV (V, SCIENCE.md s5).""",
        cells="""[cells.T]
count = 150
state_fractions = { Treg = 0.04, Th1 = 0.08, Th17 = 0.15 }   # Treg low, Th17 high (M, SCIENCE.md s2)
[cells.CD8]
count = 40
state_fractions = { CTL = 0.1 }
[cells.B]
count = 60                                                   # B-cell hyperactivity (M)
state_fractions = { activated = 0.3, plasma = 0.2 }
[cells.NK]
count = 10
[cells.DC]
count = 15
initial_state = "immature"
state_fractions = { mature = 0.4 }
[cells.MAC]
count = 30
state_fractions = { M1 = 0.3 }
""",
        damaged=0.3, regen=0.000174, ctl_kill=0.0002, t_influx=0.02, cd8_influx=0.005, mac_influx=0.004,
        route="iv", index="SLEDAI-like", damage_weight=0.5,
        inflammation='{ IG = 400.0, IFNG = 100.0, IL17 = 40.0 }'),
    "ra": dict(
        title="Rheumatoid arthritis (synovium)",
        header="""# RA synovium: M1 macrophages (TNF, IL-6), Th17 (IL-17), few CD8; TNF and IL-6 drive inflammation.
# Sources: SCIENCE.md s1-2 (conventional therapy targets IL-1, IL-6, TNF); composition M. Anchor: Wang 2019
# Drug Des Devel Ther 13:4331, 4e7 UC-MSC IV with DMARDs lowers DAS28 at 1 and 3 y (V, SCIENCE.md s5).""",
        cells="""[cells.T]
count = 120
state_fractions = { Treg = 0.06, Th1 = 0.08, Th17 = 0.15 }
[cells.CD8]
count = 30
state_fractions = { CTL = 0.05 }
[cells.B]
count = 20
[cells.NK]
count = 10
[cells.DC]
count = 15
initial_state = "immature"
state_fractions = { mature = 0.3 }
[cells.MAC]
count = 70                                                   # macrophage-rich synovium (M)
state_fractions = { M1 = 0.5 }
""",
        damaged=0.3, regen=0.000174, ctl_kill=0.0001, t_influx=0.015, cd8_influx=0.003, mac_influx=0.01,
        route="iv", index="DAS28-like", damage_weight=0.4,
        inflammation='{ TNF = 100.0, IL6 = 40.0, IL17 = 20.0 }'),
    "ms": dict(
        title="Progressive multiple sclerosis (CNS lesion)",
        header="""# MS lesion: Th1/Th17 and CD8 CTLs attack myelin/neurons (IFN-gamma); CNS tissue barely regenerates
# (regeneration 10x slower here, M), so accumulated loss dominates the EDSS-like index (damage weight 0.8).
# Route: intrathecal. Anchor: Stem Cell Res Ther 2024 15:151 phase II, 6 intrathecal MSC-NP doses, primary
# endpoint missed (33% vs 37% improved) (V, SCIENCE.md s5).""",
        cells="""[cells.T]
count = 120
state_fractions = { Treg = 0.06, Th1 = 0.15, Th17 = 0.1 }
[cells.CD8]
count = 60
state_fractions = { CTL = 0.15 }
[cells.B]
count = 15
[cells.NK]
count = 10
[cells.DC]
count = 12
initial_state = "immature"
state_fractions = { mature = 0.3 }
[cells.MAC]
count = 40                                                   # microglia/macrophages (M)
state_fractions = { M1 = 0.4 }
""",
        damaged=0.35, regen=0.0000174, ctl_kill=0.0005, t_influx=0.015, cd8_influx=0.008, mac_influx=0.004,
        repair=0.0000231, repair_boost=0.000139,  # progressive MS: remyelination fails, 10x slower repair (M)
        route="intrathecal", index="EDSS-like", damage_weight=0.8,
        inflammation='{ IFNG = 60.0, TNF = 80.0, IL17 = 20.0 }'),
    "ibd": dict(
        title="Perianal Crohn's fistula (IBD)",
        header="""# Perianal Crohn's fistula: macrophage-rich (M1: TNF, IL-12), Th1/Th17; MSCs injected locally into the
# fistula tract (placement centre, full dose). Index: fistula healing = damage (weight 0.7).
# Anchor: Ko 2021 Biomolecules 11:82 (32 studies), local injection for perianal fistula: lasting efficacy
# (V, SCIENCE.md s5); systemic use in luminal IBD mixed.""",
        cells="""[cells.T]
count = 130
state_fractions = { Treg = 0.06, Th1 = 0.12, Th17 = 0.12 }
[cells.CD8]
count = 30
state_fractions = { CTL = 0.05 }
[cells.B]
count = 20
[cells.NK]
count = 10
[cells.DC]
count = 15
initial_state = "immature"
state_fractions = { mature = 0.4 }
[cells.MAC]
count = 70
state_fractions = { M1 = 0.5 }
""",
        damaged=0.4, regen=0.000174, ctl_kill=0.0001, t_influx=0.015, cd8_influx=0.003, mac_influx=0.01,
        route="local", index="fistula closure (damage)", damage_weight=0.7,
        inflammation='{ TNF = 140.0, IFNG = 70.0, IL17 = 35.0 }'),
    "psoriasis": dict(
        title="Psoriasis (skin plaque)",
        header="""# Psoriasis plaque: Th17/IL-17 drive keratinocyte activation (IL-17 damage half-max 100 pM, default rule
# il17_damages_tissue) with TNF; Tregs low. Anchor: Cheng 2022 Signal Transduct Target Ther 7:263, 47.1%
# reached PASI40 at 6 months, Treg up and Th17/IL-17 down in responders (V, SCIENCE.md s5).""",
        cells="""[cells.T]
count = 150
state_fractions = { Treg = 0.05, Th1 = 0.05, Th17 = 0.25 }
[cells.CD8]
count = 30
state_fractions = { CTL = 0.05 }
[cells.B]
count = 10
[cells.NK]
count = 10
[cells.DC]
count = 15
initial_state = "immature"
state_fractions = { mature = 0.4 }
[cells.MAC]
count = 30
state_fractions = { M1 = 0.3 }
""",
        damaged=0.35, regen=0.000347, ctl_kill=0.0001, t_influx=0.02, cd8_influx=0.003, mac_influx=0.004,
        route="iv", index="PASI-like", damage_weight=0.5,
        inflammation='{ IL17 = 25.0, TNF = 75.0 }'),
    "gvhd": dict(
        title="Chronic graft-versus-host disease (target organ)",
        header="""# GVHD: alloreactive donor CD4 (Th1) and CD8 CTLs expand against host tissue presented by host APCs
# (mature DCs high); high T influx. Prophylaxis arm: repeated infusions. Anchors: Gao 2016 J Clin Oncol
# 34:2843 (repeated UC-MSC, 2-y cGVHD 27.4% vs 49.0%); Blood 2022 140(S1):7651 (1e6/kg every 2 weeks x4,
# 27% vs 43.2%) (V, SCIENCE.md s5).""",
        cells="""[cells.T]
count = 150
state_fractions = { Treg = 0.05, Th1 = 0.15, Th17 = 0.05 }
[cells.CD8]
count = 80
state_fractions = { CTL = 0.15 }
[cells.B]
count = 15
[cells.NK]
count = 15
[cells.DC]
count = 20
initial_state = "immature"
state_fractions = { mature = 0.5 }
[cells.MAC]
count = 30
state_fractions = { M1 = 0.3 }
""",
        damaged=0.3, regen=0.000174, ctl_kill=0.0004, t_influx=0.025, cd8_influx=0.012, mac_influx=0.004,
        cd8_influx_state=GVHD_PRIMED_CTL_INFLUX,
        route="iv", index="GVHD-grade-like", damage_weight=0.5,
        inflammation='{ IFNG = 140.0, TNF = 130.0 }'),
    "t1d": dict(
        title="Type 1 diabetes (islet, insulitis)",
        header="""# T1D insulitis: CD8 CTLs kill beta cells (irreversible: beta cells barely regenerate, 10x slower, M);
# CD4 Th1 help, IFN-gamma. Index: beta-cell loss and damage (C-peptide-like, damage weight 0.8).
# Sources: SCIENCE.md s1 (T1D among the MSC indications); no numeric anchor in SCIENCE.md s5.""",
        cells="""[cells.T]
count = 100
state_fractions = { Treg = 0.06, Th1 = 0.12, Th17 = 0.05 }
[cells.CD8]
count = 70
state_fractions = { CTL = 0.15 }
[cells.B]
count = 20
[cells.NK]
count = 10
[cells.DC]
count = 12
initial_state = "immature"
state_fractions = { mature = 0.3 }
[cells.MAC]
count = 30
state_fractions = { M1 = 0.3 }
""",
        damaged=0.3, regen=0.0000174, ctl_kill=0.0005, t_influx=0.012, cd8_influx=0.008, mac_influx=0.004,
        route="iv", index="C-peptide-like (beta-cell loss)", damage_weight=0.8,
        inflammation='{ IFNG = 90.0, TNF = 110.0 }'),
}

M1_REVERT_H = 12.0
MSC_DEATH = {"iv": 0.000455, "local": 0.0000992, "intrathecal": 0.000139}  # disease.ROUTES, rounded

#: area scaling from the first 400 x 400 um draft to the 250 x 250 um patch (cell counts and influx rates)
SCALE = 0.4


def _scaled(d: dict) -> dict:
    d = dict(d)
    d.setdefault("repair", 1 / (3 * 24 * 60))  # the default damaged -> healthy rate, 1/(3 d)
    d.setdefault("repair_boost", 1 / 720)  # the default repair-rule saturation, 1/(12 h)
    d.setdefault("cd8_influx_state", "")  # entering CD8 cells are naive unless the disease says otherwise
    d["cells"] = re.sub(r"^count = (\d+)", lambda m: f"count = {max(1, round(int(m.group(1)) * SCALE))}", d["cells"],
                        flags=re.M)
    for k in ("t_influx", "cd8_influx", "mac_influx"):
        d[k] = round(d[k] * SCALE, 6)
    return d


if __name__ == "__main__":
    root = Path(__file__).resolve().parents[1] / "configs"
    for key, d in DISEASES.items():
        d = _scaled(d)
        text = (f"# {d['title']}: disease preset (issue 8; docs/scenarios.md). Generated by "
                f"scripts/make_disease_presets.py.\n# MSC route: {d['route']}.\n" + d["header"] + "\n\n" + d["cells"]
                + COMMON.format(name=f"disease_{key}", msc_death=MSC_DEATH[d["route"]], m1_revert_h=f"{M1_REVERT_H:g}",
                              m1_revert=round(1.0 / (60 * M1_REVERT_H), 6), **d))
        (root / f"disease_{key}.toml").write_text(text)
        print("wrote", root / f"disease_{key}.toml")
