/**
 * API Gateway HTTP API's JWT authorizer, emulated: the identity source
 * `$request.header.Authorization` is checked and the token verified with `jose` against a local
 * JSON Web Key Set, in the order and with the rules API Gateway documents:
 *
 * 1. the header holds the token, alone or after `Bearer `;
 * 2. the token decodes; its header names a `kid` found in the key set, and an RSA algorithm
 *    (API Gateway supports only RSA-based algorithms) whose signature verifies with that key;
 * 3. `iss` equals the configured issuer; `aud` (or `client_id` when there is no `aud`) matches one
 *    configured audience; `exp` is in the future, `nbf` and `iat` in the past.
 *
 * A refusal is a 401 `{"message":"Unauthorized"}` with a `www-authenticate` challenge in API
 * Gateway's format; a success yields `requestContext.authorizer.jwt` as API Gateway builds it.
 */
import {
  createLocalJWKSet,
  decodeProtectedHeader,
  errors,
  type JSONWebKeySet,
  type JWTPayload,
  jwtVerify,
} from 'jose';

/** What an API Gateway JWT authorizer is configured with (`JwtConfiguration`). */
export interface JwtAuthorizerConfig {
  /** `iss` every token must carry, e.g. `https://cognito-idp.us-east-1.amazonaws.com/us-east-1_x`. */
  readonly issuer: string;
  /** `aud` (or `client_id`) values accepted; a token must match one. */
  readonly audiences: readonly string[];
  /** The issuer's public keys, as its `jwks_uri` serves them. */
  readonly jwks: JSONWebKeySet;
}

/** `requestContext.authorizer.jwt` of a payload 2.0 event. */
export interface JwtAuthorizerContext {
  /** Every top-level claim, each value rendered as a string as API Gateway renders it. */
  readonly claims: Record<string, string>;
  /** The token's `scope` (space-separated) or `scp` values; `null` when it carries neither. */
  readonly scopes: string[] | null;
}

type AuthorizationResult =
  | { readonly authorized: true; readonly jwt: JwtAuthorizerContext }
  | { readonly authorized: false; readonly challenge: string };

/** The JWT authorizer in front of every route. */
export interface JwtAuthorizer {
  /** Checks the value of the `Authorization` header (`undefined` when the request has none). */
  authorize(authorization: string | undefined, now?: Date): Promise<AuthorizationResult>;
}

/** The algorithms API Gateway accepts: "currently, only RSA-based algorithms are supported". */
const SUPPORTED_ALGORITHMS = ['RS256', 'RS384', 'RS512'] as const;

/**
 * The challenge API Gateway sends, e.g.
 * `Bearer scope="" error="invalid_token" error_description="the token does not have a valid audience"`
 * (space-separated parameters, not RFC 6750's commas; `scope` lists the route's authorization
 * scopes, none here).
 */
const challenge = (description: string): AuthorizationResult => ({
  authorized: false,
  challenge: `Bearer scope="" error="invalid_token" error_description="${description}"`,
});

/** The reasons, worded after the one API Gateway documents ("...does not have a valid audience"). */
const REASONS = {
  missing: 'the token is missing',
  malformed: 'the token is malformed',
  algorithm: 'the token is not signed with a supported algorithm',
  unknownKey: 'the token is not signed by a known key',
  signature: 'the token signature is invalid',
  issuer: 'the token does not have a valid issuer',
  audience: 'the token does not have a valid audience',
  expired: 'the token has expired',
  notYetValid: 'the token is not valid yet',
  issuedInFuture: 'the token was issued in the future',
} as const;

/** The identity source's value: the token alone or after `Bearer` (any case), nothing else. */
function tokenOf(authorization: string): string | undefined {
  const match = /^(?:bearer +)?([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/i.exec(authorization.trim());
  return match?.[1];
}

/**
 * A claim value as API Gateway passes it in payload 2.0: strings unchanged, numbers and booleans
 * in their JSON text, arrays as `[a b]` and objects as `map[k:v]` (Go's `%v` rendering, keys
 * sorted), nested values rendered the same way.
 */
export function renderClaim(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return `[${value.map(renderClaim).join(' ')}]`;
  if (value === null) return '<nil>';
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `map[${entries.map(([key, inner]) => `${key}:${renderClaim(inner)}`).join(' ')}]`;
  }
  return String(value);
}

/** The claims of a verified token as `requestContext.authorizer.jwt` holds them. */
function authorizerContext(payload: JWTPayload): JwtAuthorizerContext {
  const claims: Record<string, string> = {};
  for (const [name, value] of Object.entries(payload)) claims[name] = renderClaim(value);
  let scopes: string[] | null = null;
  if (typeof payload.scope === 'string') scopes = payload.scope.split(' ').filter(Boolean);
  else if (Array.isArray(payload.scp)) scopes = payload.scp.map(String);
  else if (typeof payload.scp === 'string') scopes = payload.scp.split(' ').filter(Boolean);
  return { claims, scopes };
}

/** Builds the authorizer for one issuer and its key set. */
export function createJwtAuthorizer(config: JwtAuthorizerConfig): JwtAuthorizer {
  const keys = createLocalJWKSet(config.jwks);
  const kids = new Set(config.jwks.keys.map((key) => key.kid).filter((kid) => kid !== undefined));

  return {
    async authorize(authorization, now = new Date()) {
      if (authorization === undefined || authorization.trim() === '') return challenge(REASONS.missing);
      const token = tokenOf(authorization);
      if (token === undefined) return challenge(REASONS.malformed);
      let kid: string | undefined;
      let alg: string | undefined;
      try {
        ({ kid, alg } = decodeProtectedHeader(token));
      } catch {
        return challenge(REASONS.malformed);
      }
      if (!SUPPORTED_ALGORITHMS.includes(alg as (typeof SUPPORTED_ALGORITHMS)[number]))
        return challenge(REASONS.algorithm);
      // API Gateway matches the header's kid; jose alone would also pick a lone key for a token without one.
      if (kid === undefined || !kids.has(kid)) return challenge(REASONS.unknownKey);

      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          algorithms: [...SUPPORTED_ALGORITHMS],
          currentDate: now,
          requiredClaims: ['exp'],
        }));
      } catch (error) {
        if (error instanceof errors.JWTExpired) return challenge(REASONS.expired);
        if (error instanceof errors.JWTClaimValidationFailed) {
          if (error.claim === 'nbf') return challenge(REASONS.notYetValid);
          return challenge(REASONS.malformed);
        }
        if (error instanceof errors.JWSSignatureVerificationFailed) return challenge(REASONS.signature);
        if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys)
          return challenge(REASONS.unknownKey);
        if (error instanceof errors.JOSEAlgNotAllowed) return challenge(REASONS.algorithm);
        return challenge(REASONS.malformed);
      }

      if (payload.iss !== config.issuer) return challenge(REASONS.issuer);
      // aud decides when present; client_id is consulted only when aud is absent.
      const audiences =
        payload.aud !== undefined
          ? Array.isArray(payload.aud)
            ? payload.aud
            : [payload.aud]
          : typeof payload.client_id === 'string'
            ? [payload.client_id]
            : [];
      if (!audiences.some((audience) => config.audiences.includes(audience)))
        return challenge(REASONS.audience);
      if (typeof payload.iat === 'number' && payload.iat > Math.floor(now.getTime() / 1000))
        return challenge(REASONS.issuedInFuture);
      return { authorized: true, jwt: authorizerContext(payload) };
    },
  };
}
