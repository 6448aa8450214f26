// Seals a value on the client the way kubeseal does (bitnami-labs/sealed-secrets
// pkg/crypto/crypto.go HybridEncrypt): a fresh 32-byte AES-256-GCM session key per value, the
// value sealed with it under a zero nonce (the key is used once), the key wrapped with RSA-OAEP
// (SHA-256, label = "<namespace>/<name>" for strict scope). Output, base64:
// 2-byte big-endian length of the RSA part ‖ RSA part ‖ AES-GCM ciphertext ‖ 16-byte tag.

import { constants, createCipheriv, publicEncrypt, randomBytes } from 'node:crypto';

export function sealValue(certificatePem: string, label: string, value: Buffer): string {
  const sessionKey = randomBytes(32);
  const wrapped = publicEncrypt({ key: certificatePem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: Buffer.from(label) }, sessionKey);
  const cipher = createCipheriv('aes-256-gcm', sessionKey, Buffer.alloc(12));
  const sealed = Buffer.concat([cipher.update(value), cipher.final(), cipher.getAuthTag()]);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(wrapped.length);
  sessionKey.fill(0);
  return Buffer.concat([length, wrapped, sealed]).toString('base64');
}
