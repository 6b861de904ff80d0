"""Provider credentials recognised by their shape (KD301), from the maintained rule sets.

The patterns follow detect-secrets' plugins (1.5: AWS, Azure storage, Artifactory, Discord,
GitHub, GitLab, JWT, Mailchimp, npm, OpenAI, PyPI, SendGrid, Slack, Square, Stripe, Telegram,
Twilio, private keys) and gitleaks' default rules for the providers those miss (Google, Anthropic,
Hugging Face, DigitalOcean, Shopify, Mailgun, HashiCorp Vault, Databricks, ...). Word boundaries
keep a key from matching inside a longer identifier; a match that is an obvious placeholder
(``sk_live_XXXXXXXXXXXXXXXXXXXXXXXX``) is not a credential.
"""

from __future__ import annotations

import re

_B = r"(?<![A-Za-z0-9_])"  # start of a token
_E = r"(?![A-Za-z0-9_])"  # end of a token

PROVIDER_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        (
            "AWS access key id",
            rf"{_B}(?:A3T[A-Z0-9]|ABIA|ACCA|AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{{16}}{_E}",
        ),
        ("Amazon MWS key", r"amzn\.mws\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
        ("Azure storage account key", r"AccountKey=[a-zA-Z0-9+/=]{88}"),
        ("Google API key", rf"{_B}AIza[0-9A-Za-z_-]{{35}}{_E}"),
        ("Google OAuth client secret", rf"{_B}GOCSPX-[0-9A-Za-z_-]{{28}}{_E}"),
        ("GitHub token", rf"{_B}gh[pousr]_[A-Za-z0-9_]{{36,}}{_E}"),
        ("GitHub fine-grained token", rf"{_B}github_pat_[A-Za-z0-9_]{{22,}}{_E}"),
        (
            "GitLab token",
            rf"{_B}(?:glpat|gldt|glft|glsoat|glrt|glcbt|glimt|glptt|gloas)-[A-Za-z0-9_-]{{20,}}{_E}",
        ),
        ("GitLab runner token", rf"{_B}GR1348941[A-Za-z0-9_-]{{20,50}}{_E}"),
        ("Slack token", r"\bxox[abposre]-[A-Za-z0-9-]{10,}"),
        ("Slack app token", rf"{_B}xapp-\d-[A-Z0-9]+-\d+-[a-z0-9]+{_E}"),
        ("Slack webhook", r"https://hooks\.slack\.com/(?:services|workflows)/[A-Za-z0-9_/+]{20,}"),
        ("Discord bot token", rf"{_B}[MNO][a-zA-Z\d_-]{{23,25}}\.[a-zA-Z\d_-]{{6}}\.[a-zA-Z\d_-]{{27,}}{_E}"),
        ("Stripe key", rf"{_B}(?:sk|rk)_(?:test|live|prod)_[0-9a-zA-Z]{{10,99}}{_E}"),
        ("SendGrid API key", rf"{_B}SG\.[a-zA-Z0-9_-]{{22}}\.[a-zA-Z0-9_-]{{43}}{_E}"),
        ("Twilio account SID", rf"{_B}AC[a-f0-9]{{32}}{_E}"),
        ("Twilio API key", rf"{_B}SK[0-9a-fA-F]{{32}}{_E}"),
        ("Mailgun API key", rf"{_B}key-[a-f0-9]{{32}}{_E}"),
        ("Mailchimp API key", rf"{_B}[0-9a-f]{{32}}-us[0-9]{{1,2}}{_E}"),
        ("Sendinblue API key", rf"{_B}xkeysib-[a-f0-9]{{64}}-[a-zA-Z0-9]{{16}}{_E}"),
        ("OpenAI API key", r"\bsk-(?:[A-Za-z0-9_-]*[A-Za-z0-9])?[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9_-]{20,}"),
        ("OpenAI project key", rf"{_B}sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{{40,}}{_E}"),
        ("Anthropic API key", rf"{_B}sk-ant-(?:api|admin)0\d-[A-Za-z0-9_-]{{80,}}{_E}"),
        ("Hugging Face token", rf"{_B}hf_[A-Za-z]{{34}}{_E}"),
        ("npm token", rf"{_B}npm_[A-Za-z0-9]{{36}}{_E}"),
        ("npm registry auth token", r"//[^\s]+/:_authToken=\s*[A-Za-z0-9-]{36}"),
        ("PyPI token", r"\bpypi-AgE(?:IcHlwaS5vcmc|NdGVzdC5weXBpLm9yZw)[A-Za-z0-9_-]{50,}"),
        ("RubyGems API key", rf"{_B}rubygems_[a-f0-9]{{48}}{_E}"),
        ("Square OAuth secret", rf"{_B}sq0csp-[0-9A-Za-z_-]{{43}}{_E}"),
        ("Square access token", rf"{_B}(?:EAAA|sq0atp-)[0-9A-Za-z_-]{{22,60}}{_E}"),
        ("Shopify token", rf"{_B}shp(?:at|ca|pa|ss)_[a-fA-F0-9]{{32}}{_E}"),
        ("Telegram bot token", rf"{_B}\d{{8,10}}:AA[0-9A-Za-z_-]{{33}}{_E}"),
        ("DigitalOcean token", rf"{_B}do[opr]_v1_[a-f0-9]{{64}}{_E}"),
        ("HashiCorp Vault token", rf"{_B}hv[sb]\.[A-Za-z0-9_-]{{24,}}{_E}"),
        ("Terraform Cloud token", rf"{_B}[a-zA-Z0-9]{{14}}\.atlasv1\.[a-zA-Z0-9_=-]{{60,70}}{_E}"),
        ("Databricks token", rf"{_B}dapi[a-f0-9]{{32}}(?:-\d)?{_E}"),
        ("Doppler token", rf"{_B}dp\.(?:pt|st|sa|ct|scim|audit)\.[a-zA-Z0-9]{{40,44}}{_E}"),
        ("Postman API key", rf"{_B}PMAK-[a-f0-9]{{24}}-[a-f0-9]{{34}}{_E}"),
        ("Linear API key", rf"{_B}lin_api_[a-zA-Z0-9]{{40}}{_E}"),
        ("New Relic key", rf"{_B}NRAK-[A-Z0-9]{{27}}{_E}"),
        (
            "Grafana token",
            rf"{_B}(?:glc_[A-Za-z0-9+/]{{32,400}}={{0,2}}|glsa_[A-Za-z0-9]{{32}}_[A-Fa-f0-9]{{8}})",
        ),
        ("Artifactory API key", rf"{_B}AKCp[A-Za-z0-9]{{69}}{_E}"),
        ("Age secret key", r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}"),
        ("JSON Web Token", rf"{_B}eyJ[A-Za-z0-9_-]{{10,}}\.eyJ[A-Za-z0-9_-]{{10,}}\.[A-Za-z0-9_-]{{10,}}"),
        ("private key block", r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"),
    )
)
#: a piece every pattern above contains, searched first: one alternation of 45 patterns with
#: look-behinds is several times slower than this over a file that holds no key (most files)
ANCHORS = re.compile(
    r"A3T|ABIA|ACCA|AKIA|ASIA|AGPA|AIDA|AROA|ANPA|amzn\.|AccountKey|AIza|GOCSPX|gh[pousr]_|github_pat"
    r"|gl[a-z]{1,5}[-_]|GR1348941|xox|xapp-|hooks\.slack|SG\.|AC[0-9a-f]|SK[0-9a-fA-F]|key-|-us\d"
    r"|xkeysib|[sr]k[-_]|hf_|npm_|_authToken|pypi-|rubygems_|sq0|EAAA|shp|do[opr]_|hv[sb]\.|atlasv1"
    r"|dapi|dp\.|PMAK|lin_api|NRAK|AKCp|AGE-SECRET|eyJ|PRIVATE KEY|:AA|\.[\w-]{6}\."
)
#: what a documentation example puts where the key goes: XXXX, ****, <...>, 00000000
_FILLER = re.compile(r"(?i)x{4,}|\*{3,}|\.{3}|<[^>]*>|([0-9A-Za-z])\1{7,}")


def is_filler(text: str) -> bool:
    """``sk_test_XXXXXXXX``, ``AKIA0000000000000000``: a key's shape around a placeholder."""
    return _FILLER.search(text) is not None


_KEY_BODY = re.compile(r"[A-Za-z0-9+/=]{40,}")


def key_body_follows(kind: str, lines: list[str], index: int, end: int) -> bool:
    """A private key block is a key only with its base64 body after the header (on the same
    line in a string with \\n escapes, or on the next lines): a header alone is a constant,
    as in every library that parses keys."""
    if kind != "private key block":
        return True
    after = " ".join([lines[index][end:], *lines[index + 1 : index + 3]])
    return _KEY_BODY.search(after.replace("\\n", " ")) is not None
