/**
 * Who is calling, decided in one place before any handler runs (the ARM pipeline calls
 * `authenticate`). Strict mode validates `Authorization: Bearer <JWT>` as ARM clients send it:
 * signature from the issuer's JWKS, audience, expiry and not-before, and the issuer with the tenant
 * it names (see `issuers.ts`). Dev mode, for a machine
 * with no identity provider, accepts the fixed tokens `dev` (a customer) and `dev-operator`, or an
 * unsigned JWT whose claims it takes as given; settings refuse it when the app runs in Azure.
 */
import { createHash } from "node:crypto";
import type { Settings } from "../../config/settings";
import { Clock, systemClock } from "../../domain/clock";
import { ServiceError } from "../../domain/errors";
import type { Actor } from "../../domain/job";
import { issuerRefusal } from "../../domain/issuers";
import { KeySetUnavailable, SigningKeys } from "./signing-keys";

export interface Caller {
  /** The Entra ID tenant (`tid`) the caller belongs to; jobs are visible only within it. */
  tenantId: string;
  actor: Actor;
  roles: string[];
  isOperator: boolean;
}

export type Audience = "customer" | "operator";

/** The token settings, as the settings schema checks them (`AUTH_*`). */
type AuthSettings = Settings["auth"];

export const DEV_TENANT = "00000000-0000-0000-0000-00000000dev0";
export const DEV_TOKENS = { customer: "dev", operator: "dev-operator" } as const;

type Claims = Record<string, unknown>;
/** How far `exp` and `nbf` may be off, for clocks that drift (docs/security.md says so). */
const CLOCK_TOLERANCE_SECONDS = 60;
/**
 * A token's signature check (RSA, and jose's parsing and claim checks) costs more CPU than the rest
 * of a Get Job, and clients send the same token for an hour: a verified token's caller is kept, by
 * the token's SHA-256, until the token expires, the signing key set is fetched again (a key may have
 * been withdrawn) or `VERIFIED_TOKEN_CACHE_MS` passes, whichever is first. Never past `exp`
 * itself: the clock tolerance applies only to a full verification.
 */
const VERIFIED_TOKEN_CACHE_MS = 5 * 60_000;
/** The cache forgets its oldest entries beyond this many tokens. */
const MAX_VERIFIED_TOKENS = 10_000;

interface VerifiedToken {
  caller: Caller;
  usableUntilMs: number;
  keyGeneration: number;
}

interface Verifier {
  verify(token: string): Promise<Claims>;
  /** The signing key set's generation (see `SigningKeys.generation`). */
  keyGeneration(): number;
}

export class Authenticator {
  private verifier?: Verifier;
  private readonly verified = new Map<string, VerifiedToken>();
  /** The fixed dev tokens' callers, made once. */
  private devCallers?: Map<string, Caller>;

  constructor(
    private readonly settings: AuthSettings,
    private readonly clock: Clock = systemClock,
  ) {}

  async authenticate(authorization: string | null, audience: Audience): Promise<Caller> {
    const token = bearerTokenOf(authorization);
    if (!token) throw unauthenticated("The request has no bearer token. Send 'Authorization: Bearer <token>'.");
    const caller = this.settings.mode === "dev" ? this.devCaller(token) : await this.verifiedCaller(token);
    if (audience === "operator" && !caller.isOperator) {
      throw new ServiceError(403, "AuthorizationFailed", `The caller does not have the '${this.settings.operatorRole}' role required for the operator API.`);
    }
    return caller;
  }

  private devCaller(token: string): Caller {
    this.devCallers ??= new Map([
      [DEV_TOKENS.customer, this.callerOf({ tid: DEV_TENANT, oid: "dev-user", name: "dev-user" })],
      [DEV_TOKENS.operator, this.callerOf({ tid: DEV_TENANT, oid: "dev-operator", name: "dev-operator", roles: [this.settings.operatorRole] })],
    ]);
    const fixed = this.devCallers.get(token);
    if (fixed) return fixed;
    // An unsigned (or unchecked) JWT: its claims are taken as given, for local testing only.
    const [, payload] = token.split(".");
    try {
      return this.callerOf(JSON.parse(Buffer.from(payload ?? "", "base64url").toString("utf8")) as Claims);
    } catch (error) {
      if (error instanceof ServiceError) throw error;
      throw unauthenticated("Dev mode accepts the tokens 'dev' and 'dev-operator', or a JWT (signed or not) with a 'tid' claim.");
    }
  }

  /** A strict-mode caller: from the cache of verified tokens (see `VERIFIED_TOKEN_CACHE_MS`), else verified. */
  private async verifiedCaller(token: string): Promise<Caller> {
    this.verifier ??= createVerifier(this.settings, this.clock);
    const digest = createHash("sha256").update(token).digest("base64");
    const now = this.clock.now().getTime();
    const cached = this.verified.get(digest);
    if (cached && now < cached.usableUntilMs && cached.keyGeneration === this.verifier.keyGeneration()) return cached.caller;
    this.verified.delete(digest);
    const claims = await this.verify(this.verifier, token);
    const caller = this.callerOf(claims);
    // The generation read after verifying: a verification that fetched the keys belongs to the new set.
    const usableUntilMs = Math.min(Number(claims.exp) * 1000, now + VERIFIED_TOKEN_CACHE_MS);
    if (usableUntilMs > now) {
      if (this.verified.size >= MAX_VERIFIED_TOKENS) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(digest, { caller, usableUntilMs, keyGeneration: this.verifier.keyGeneration() });
    }
    return caller;
  }

  private async verify(verifier: Verifier, token: string): Promise<Claims> {
    try {
      return await verifier.verify(token);
    } catch (error) {
      // The identity provider is failing (its key set can't be fetched, or answers an error page):
      // an outage, not the caller's bad token. jose's own verdicts on the token all have ERR_J… codes.
      if (error instanceof KeySetUnavailable) {
        const unavailable = new ServiceError(503, "ServiceUnavailable", "The token issuer's signing keys can't be reached right now. Retry after a short wait.", undefined, undefined, {
          "Retry-After": "5",
        });
        unavailable.cause = error; // logged with the 503 (arm-http.ts), never sent
        throw unavailable;
      }
      const code = (error as { code?: unknown }).code;
      if (typeof code === "string" && code.startsWith("ERR_J")) throw unauthenticated(`The bearer token was rejected (${code}).`);
      throw error;
    }
  }

  private callerOf(claims: Claims): Caller {
    // A tenant id with a lone surrogate (a dev token's, say) cannot go into a table query: no tenant.
    const tenantId = typeof claims.tid === "string" && !/[\uD800-\uDFFF]/u.test(claims.tid) ? claims.tid : undefined;
    if (!tenantId) throw unauthenticated("The token has no tenant ('tid' claim).");
    const roles = Array.isArray(claims.roles) ? claims.roles.filter((role): role is string => typeof role === "string") : [];
    const id = [claims.upn, claims.unique_name, claims.name, claims.oid, claims.sub].find((value): value is string => typeof value === "string") ?? "unknown";
    return {
      tenantId,
      roles,
      isOperator: roles.includes(this.settings.operatorRole),
      actor: { id: id.slice(0, 256), type: claims.idtyp === "app" ? "Application" : "User" },
    };
  }
}

/** The token of an `Authorization: Bearer <token>` header. */
export function bearerTokenOf(authorization: string | null): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "")?.[1];
}

/** jose is loaded on first use, so it costs nothing at start-up (see the cold-start benchmark). */
function createVerifier(settings: AuthSettings, clock: Clock): Verifier {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const jose = require("jose") as typeof import("jose");
  const keys = new SigningKeys(new URL(settings.jwksUri!), jose, clock);
  return {
    async verify(token) {
      // Microsoft identity platform tokens always carry `exp`; one without it would never expire.
      const { payload } = await jose.jwtVerify(token, keys.resolve, {
        audience: settings.audiences,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ["exp"],
        currentDate: clock.now(),
      });
      // The issuer is checked here, not by jose: with its tenant, and against `{tenantid}` issuers.
      const refusal = issuerRefusal(payload, settings.issuers);
      if (refusal) throw unauthenticated(`The bearer token was rejected: ${refusal}.`);
      return payload as Claims;
    },
    keyGeneration: () => keys.generation,
  };
}

function unauthenticated(message: string): ServiceError {
  return new ServiceError(401, "AuthenticationFailed", message, undefined, undefined, {
    "WWW-Authenticate": 'Bearer error="invalid_token"',
  });
}
