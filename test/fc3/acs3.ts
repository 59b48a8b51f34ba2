// ACS3-HMAC-SHA256, Alibaba Cloud's V3 request signature, written from its reference ("Request
// syntax and signature method V3",
// https://www.alibabacloud.com/help/en/sdk/product-overview/v3-request-structure-and-signature):
//   CanonicalRequest = Method \n CanonicalURI \n CanonicalQueryString \n CanonicalHeaders \n
//                      SignedHeaders \n HashedRequestPayload
//   StringToSign     = "ACS3-HMAC-SHA256" \n hex(sha256(CanonicalRequest))
//   Signature        = hex(hmac-sha256(AccessKeySecret, StringToSign))
//   Authorization    = ACS3-HMAC-SHA256 Credential=<id>,SignedHeaders=<h1;h2…>,Signature=<sig>
// The stand-in FC server checks every request with it; the test pins it to the page's worked example.

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const ALGORITHM = 'ACS3-HMAC-SHA256';

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** RFC 3986 percent-encoding, as the reference asks (space → %20, * → %2A, ~ kept). */
export function percentEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export interface SignInput {
  method: string;
  /** The path as sent (already percent-encoded). */
  path: string;
  /** Decoded query parameters. */
  query: [string, string][];
  /** Lower-case names; every header to sign. */
  headers: Record<string, string>;
  /** HashedRequestPayload: hex sha256 of the body (x-acs-content-sha256). */
  payloadHash: string;
}

export function canonicalRequest(input: SignInput): { text: string; signedHeaders: string } {
  const query = [...input.query].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join('&');
  const names = Object.keys(input.headers).map((n) => n.toLowerCase()).sort();
  const headers = names.map((n) => `${n}:${input.headers[n].trim()}\n`).join('');
  const signedHeaders = names.join(';');
  return { text: [input.method, input.path, query, headers, signedHeaders, input.payloadHash].join('\n'), signedHeaders };
}

export function signature(input: SignInput, secret: string): { signature: string; hashedCanonicalRequest: string; signedHeaders: string } {
  const { text, signedHeaders } = canonicalRequest(input);
  const hashedCanonicalRequest = sha256Hex(text);
  const signature = createHmac('sha256', secret).update(`${ALGORITHM}\n${hashedCanonicalRequest}`).digest('hex');
  return { signature, hashedCanonicalRequest, signedHeaders };
}

export function authorization(input: SignInput, accessKeyId: string, secret: string): string {
  const signed = signature(input, secret);
  return `${ALGORITHM} Credential=${accessKeyId},SignedHeaders=${signed.signedHeaders},Signature=${signed.signature}`;
}

export interface ReceivedRequest {
  method: string;
  /** Path and query as received. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: Uint8Array;
}

/** Why the request's signature does not verify (FC's 403 reasons), or undefined when it does. */
export function verify(request: ReceivedRequest, secrets: ReadonlyMap<string, string>): { code: string; message: string } | undefined {
  const header = String(request.headers.authorization ?? '');
  const match = /^ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]{64})$/.exec(header);
  if (!match) return { code: 'MissingRequiredHeader', message: 'required HTTP header Authorization (ACS3-HMAC-SHA256) was not specified' };
  const [, accessKeyId, signedHeaders, given] = match;
  const secret = secrets.get(accessKeyId);
  if (secret === undefined) return { code: 'InvalidAccessKeyID', message: `invalid access key ID '${accessKeyId}'` };
  const names = signedHeaders.split(';');
  for (const required of ['host', 'x-acs-action', 'x-acs-content-sha256', 'x-acs-date', 'x-acs-signature-nonce', 'x-acs-version']) {
    if (!names.includes(required)) return { code: 'SignatureNotMatch', message: `${required} must be signed` };
  }
  const payloadHash = String(request.headers['x-acs-content-sha256']);
  if (payloadHash !== sha256Hex(request.body)) return { code: 'SignatureNotMatch', message: 'x-acs-content-sha256 is not the sha256 of the body' };
  const date = Date.parse(String(request.headers['x-acs-date']));
  if (!(Math.abs(Date.now() - date) <= 15 * 60_000)) return { code: 'InvalidArgument', message: 'x-acs-date must be within 15 minutes of now' };
  const url = new URL(request.url, 'http://stand-in');
  const headers = Object.fromEntries(names.map((n) => [n, String(request.headers[n] ?? '')]));
  const expected = signature({ method: request.method, path: url.pathname, query: [...url.searchParams], headers, payloadHash }, secret).signature;
  if (!timingSafeEqual(Buffer.from(expected), Buffer.from(given))) {
    return { code: 'SignatureNotMatch', message: 'The request signature we calculated does not match the signature you provided. Check your access key and signing method' };
  }
  return undefined;
}

/**
 * What a stand-in of an ACS3-signed API checks before anything else, answered as those APIs
 * answer (status, Code, Message): the signature, a nonce used only once, the API version (the
 * Code of a wrong version differs by product).
 */
export class Acs3Checks {
  private readonly nonces = new Set<string>();

  constructor(
    private readonly secrets: ReadonlyMap<string, string>,
    private readonly api: { version: string; wrongVersionCode: string },
  ) {}

  refusal(request: ReceivedRequest): { status: number; code: string; message: string } | undefined {
    const refused = verify(request, this.secrets);
    if (refused) return { status: refused.code === 'MissingRequiredHeader' || refused.code === 'InvalidArgument' ? 400 : 403, ...refused };
    const nonce = String(request.headers['x-acs-signature-nonce']);
    if (this.nonces.has(nonce)) return { status: 403, code: 'SignatureNonceUsed', message: `the nonce ${nonce} was used already` };
    this.nonces.add(nonce);
    if (request.headers['x-acs-version'] !== this.api.version) return { status: 400, code: this.api.wrongVersionCode, message: `x-acs-version must be ${this.api.version}` };
    return undefined;
  }
}
