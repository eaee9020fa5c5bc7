"""KMS-side issuance of MIKEY-SAKKE key material (the ECCSI and SAKKE KMS halves together).

:class:`IbcKms` holds one KMS's master secrets and produces what TS 33.180
Annex D hands out: the KMS certificate (KmsInit) and per-user key sets
(KmsKeyProv), each key set bound to the user's UID for one key period.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from mcsec.impl.ibc.eccsi import EccsiKms
from mcsec.impl.ibc.key_material import KmsCertificate, UserKeySet
from mcsec.impl.ibc.sakke import SakkeKms
from mcsec.impl.ibc.uid import KeyPeriod


@dataclass(frozen=True)
class IbcKms:
    kms_uri: str
    key_period: KeyPeriod
    eccsi: EccsiKms = field(repr=False)
    sakke: SakkeKms = field(repr=False)

    @classmethod
    def generate(cls, kms_uri: str, key_period: KeyPeriod) -> "IbcKms":
        return cls(kms_uri=kms_uri, key_period=key_period, eccsi=EccsiKms.generate(), sakke=SakkeKms.generate())

    def certificate(self) -> KmsCertificate:
        return KmsCertificate(kms_uri=self.kms_uri, key_period=self.key_period, z_t=self.sakke.z_t,
                              kpak=self.eccsi.kpak)

    def issue_key_set(self, user_uri: str, key_period_no: int) -> UserKeySet:
        uid = self.key_period.uid(user_uri, self.kms_uri, key_period_no)
        signing = self.eccsi.issue(uid)
        return UserKeySet(user_uri=user_uri, user_id=uid, key_period_no=key_period_no,
                          rsk=self.sakke.issue_rsk(uid), ssk=signing.ssk, pvt=signing.pvt)
