/** pinUvAuthToken permissions (CTAP 2.1 §6.5.5.7). Combine with bitwise OR. */
export const Permission = {
  makeCredential: 0x01,
  getAssertion: 0x02,
  credentialManagement: 0x04,
  bioEnrollment: 0x08,
  largeBlobWrite: 0x10,
  authenticatorConfig: 0x20,
  /** CTAP 2.2+ persistentCredentialManagementReadOnly: a token that survives power cycles, asked for on its own. */
  persistentCredentialManagementReadOnly: 0x40,
} as const;

export const PERM_MC = Permission.makeCredential;
export const PERM_GA = Permission.getAssertion;
export const PERM_CM = Permission.credentialManagement;
export const PERM_BE = Permission.bioEnrollment;
export const PERM_LBW = Permission.largeBlobWrite;
export const PERM_ACFG = Permission.authenticatorConfig;
export const PERM_PCMR = Permission.persistentCredentialManagementReadOnly;

/** Permissions that are scoped to one RP ID when one is given (§6.5.5.7). */
export const RP_ID_PERMISSIONS = PERM_MC | PERM_GA;

