"""The PRP preparation record of a treatment session: what was done, what it made, and its class.

Use::

    from regenaid.clinic.prp import PrpPreparation, Spin, derive, protocol_deviations
    prep = PrpPreparation(session_id=..., drawn_at=..., spins=(Spin(rcf_g=300, minutes=5),), ...)
    derived = derive(prep)                       # classes, dose, MIBO completeness, version
    flags = protocol_deviations(prep, protocol)  # outside the clinic's validated protocol

Impossible values are refused when the record is built (:func:`validate`, field named).
Layout: numbers and bands in :mod:`~regenaid.clinic.prp_formulas`, the record in
:mod:`~regenaid.clinic.prp_record`, derivation in :mod:`~regenaid.clinic.prp_derive`, protocols
in :mod:`~regenaid.clinic.prp_protocol`. ``docs/clinic-prp.md`` has the worked examples.

Formulas (counts in ×10³/µL, volumes in mL):

- RCF (× g) = 1.118 × 10⁻⁵ × r (cm) × rpm²; rpm = √(RCF / (1.118 × 10⁻⁵ × r)).
- Concentration factor = PRP platelets / whole-blood platelets.
- Platelet dose (×10⁹) = PRP platelets × final volume / 1000.
- Platelet recovery (%) = 100 × PRP platelets × final volume / (blood platelets × blood volume).
- Purity (%) = 100 × platelets / (platelets + leukocytes + red cells), all in cells/µL.

Classifications and sources (what we could check is marked; see the doc for details):

- PAW: DeLong JM, Russell RP, Mazzocca AD. Platelet-rich plasma: the PAW classification
  system. Arthroscopy 2012;28(7):998-1009. doi:10.1016/j.arthro.2012.04.148, PMID 22738751
  (citation checked on PubMed). P1 ≤ baseline; P2 > baseline-750; P3 > 750-1,250;
  P4 > 1,250 ×10³/µL. x = exogenous activation. White cells A above / B at or below baseline;
  neutrophils α above / β below baseline. The paper itself is paywalled: the bands were read
  in two secondary tables (Front Vet Sci 2021;8:641818 Table 1; Orthop J Sports Med
  2017;5(1):2325967116675272 Table 6), which agree; α/β at exact equality is our choice (β).
- DEPA: Magalon J, Chateau AL, Bertrand B, et al. DEPA classification: a proposal for
  standardising PRP use and a retrospective application of available devices. BMJ Open Sport
  Exerc Med 2016;2:e000060. doi:10.1136/bmjsem-2015-000060, PMID 27900152 (citation and the
  purity definition checked in the abstract). Dose ×10⁹: A > 5, B 3-5, C 1-3, D < 1;
  efficiency and purity %: A > 90, B 70-90, C 30-70, D < 30; activation yes/no. The bands were
  read in a secondary table (a clinic's summary of the paper), not in the paper's own table.
  5 and 90 fall in B (A is "> 5", "> 90"); the shared edges 3 and 70 (B/C) and 1 and 30 (C/D)
  are not assigned there, and we give each to the upper band.
- Dohan Ehrenfest DM, Rasmusson L, Albrektsson T. Classification of platelet concentrates:
  from pure platelet-rich plasma (P-PRP) to leucocyte- and platelet-rich fibrin (L-PRF).
  Trends Biotechnol 2009;27(3):158-167 (title, authors and the four families checked in
  secondary sources; volume/pages and doi:10.1016/j.tibtech.2008.11.009 from memory, not
  checked). Families P-PRP, L-PRP, P-PRF, L-PRF on two axes, leukocytes and fibrin density.
  Our rule: anticoagulated blood → PRP family; no anticoagulant → PRF family; "pure" =
  leukocyte-poor, i.e. PRP leukocytes not above the blood's.
- MIBO: Murray IR, Geeslin AG, Goudie EB, Petrigliano FA, LaPrade RF. Minimum Information for
  Studies Evaluating Biologics in Orthopaedics (MIBO): platelet-rich plasma and mesenchymal
  stem cells. J Bone Joint Surg Am 2017;99(10):809-819 (citation checked; 23 checklist items in
  12 categories per later adherence reviews). The item wording could not be read; our checklist
  (:data:`~regenaid.clinic.prp_derive.MIBO_ITEMS`) paraphrases its preparation and composition
  items, with the ISTH guidance (Harrison P, et al. The use of platelets in regenerative
  medicine and proposal for a new classification system: guidance from the SSC of the ISTH.
  J Thromb Haemost 2018;16(9):1895-1900, doi:10.1111/jth.14223) as a second source.
"""

from regenaid.clinic.prp_derive import (
    FORMULA_VERSION,
    MIBO_ITEMS,
    DepaClass,
    DerivedPrp,
    DerivedSpin,
    MiboCompleteness,
    MiboItem,
    PawClass,
    derive,
    mibo_completeness,
)
from regenaid.clinic.prp_formulas import (
    MAX_RCF_G,
    RCF_CONSTANT,
    DepaGrade,
    DohanEhrenfestFamily,
    LeukocyteContent,
    PawNeutrophils,
    PawPlatelets,
    PawWhiteCells,
    depa_dose_grade,
    depa_percent_grade,
    dohan_ehrenfest_family,
    leukocyte_content,
    paw_neutrophils,
    paw_platelet_band,
    paw_white_cells,
    platelet_dose_e9,
    platelet_purity_percent,
    platelet_recovery_percent,
    rcf_from_rpm,
    rpm_from_rcf,
)
from regenaid.clinic.prp_protocol import (
    Deviation,
    PrpProtocol,
    Range,
    SpinLimits,
    protocol_deviations,
)
from regenaid.clinic.prp_record import (
    Activation,
    Anticoagulant,
    Brake,
    InjectionTechnique,
    PrpPreparation,
    Spin,
    SystemType,
    validate,
)

__all__ = [
    "FORMULA_VERSION",
    "MAX_RCF_G",
    "MIBO_ITEMS",
    "RCF_CONSTANT",
    "Activation",
    "Anticoagulant",
    "Brake",
    "DepaClass",
    "DepaGrade",
    "DerivedPrp",
    "DerivedSpin",
    "Deviation",
    "DohanEhrenfestFamily",
    "InjectionTechnique",
    "LeukocyteContent",
    "MiboCompleteness",
    "MiboItem",
    "PawClass",
    "PawNeutrophils",
    "PawPlatelets",
    "PawWhiteCells",
    "PrpPreparation",
    "PrpProtocol",
    "Range",
    "Spin",
    "SpinLimits",
    "SystemType",
    "depa_dose_grade",
    "depa_percent_grade",
    "derive",
    "dohan_ehrenfest_family",
    "leukocyte_content",
    "mibo_completeness",
    "paw_neutrophils",
    "paw_platelet_band",
    "paw_white_cells",
    "platelet_dose_e9",
    "platelet_purity_percent",
    "platelet_recovery_percent",
    "protocol_deviations",
    "rcf_from_rpm",
    "rpm_from_rcf",
    "validate",
]
