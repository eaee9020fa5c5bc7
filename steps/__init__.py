"""Step definitions, grouped by subject. Each step is a few lines: it asks an agent of the test system
to act (mcsec.fixtures.agents), or an oracle to judge what was observed (mcsec.fixtures.oracles), and
asserts on the findings. Phrases that name a variant (a forgery, a defect, a mutation) are parse types
(mcsec.steps.phrases), so an unknown phrase stops the run before it starts, naming the step."""

STEP_MODULES = (
    "mcsec.steps.context", "mcsec.steps.tokens", "mcsec.steps.kms", "mcsec.steps.sip", "mcsec.steps.wire",
    "mcsec.steps.ibc", "mcsec.steps.mikey", "mcsec.steps.csk_client", "mcsec.steps.kms_prov", "mcsec.steps.http",
    "mcsec.steps.mikey_roles",
    "mcsec.steps.idm", "mcsec.steps.client_iut", "mcsec.steps.client_csk_iut",
)
"""The step modules a conformance run loads (as pytest plugins)."""
