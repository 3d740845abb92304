import { createPublicKey } from "node:crypto";
import { z } from "zod";
import { DEFAULT_MAX_OUTPUT_TOKENS } from "./providers/chat-model.js";

/**
 * The environment, parsed once at start into a frozen, typed object (PROTOCOL.md section 1).
 * An empty variable counts as unset; every bad variable is reported in one message.
 */
const empty = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
const optionalString = z.preprocess(empty, z.string().optional());
const url = (protocols: string[]) =>
  z.preprocess(
    empty,
    z
      .string()
      .refine(
        (v) => {
          try {
            return protocols.includes(new URL(v).protocol);
          } catch {
            return false;
          }
        },
        `must be a ${protocols.join(" or ")} URL`,
      )
      .optional(),
  );
/** `https://host[:port]` with nothing after: what browsers send as Origin. */
function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:") && url.origin === value;
  } catch {
    return false;
  }
}

const integer = (fallback: number, min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.preprocess(empty, z.coerce.number().int().min(min).max(max).default(fallback));

const schema = z.object({
  /** "production" turns the production rules on; any other value (development, test, staging…) does not. */
  NODE_ENV: z.preprocess(empty, z.string().default("development")),
  PORT: integer(3000, 0, 65535),
  HOST: z.preprocess(empty, z.string().default("0.0.0.0")),
  DATABASE_URL: url(["postgres:", "postgresql:"]),
  DATA_DIR: z.preprocess(empty, z.string().default("./data")),
  /** Connections to PostgreSQL at DATABASE_URL this node may hold (default 20). */
  DATABASE_POOL_MAX: integer(20, 1, 1000),
  REDIS_URL: url(["redis:", "rediss:"]),
  JWT_SECRET: z.preprocess(
    empty,
    z
      .string()
      .refine((v) => Buffer.byteLength(v, "utf8") >= 32, "must be at least 32 bytes")
      .optional(),
  ),
  JWT_PUBLIC_KEY: z.preprocess(
    empty,
    z
      .string()
      .transform((v) => v.replace(/\\n/g, "\n"))
      .refine((v) => {
        try {
          const type = createPublicKey(v).asymmetricKeyType;
          return type === "rsa" || type === "ec";
        } catch {
          return false;
        }
      }, "must be an RSA or EC public key in PEM")
      .optional(),
  ),
  JWT_ISSUER: optionalString,
  JWT_AUDIENCE: optionalString,
  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: url(["http:", "https:"]),
  ANTHROPIC_API_KEY: optionalString,
  ANTHROPIC_BASE_URL: url(["http:", "https:"]),
  GROQ_API_KEY: optionalString,
  GROQ_BASE_URL: url(["http:", "https:"]),
  CORS_ORIGINS: z.preprocess(
    empty,
    z
      .string()
      .transform((v) =>
        v
          .split(",")
          .map((o) => o.trim())
          .filter(Boolean),
      )
      .refine((origins) => origins.length > 0, "must list at least one origin")
      .refine(
        (origins) => origins.every(isOrigin),
        "must be origins such as https://chat.example.com (scheme, host and port only)",
      )
      .optional(),
  ),
  RATE_LIMIT_MESSAGES_PER_MINUTE: integer(30, 1),
  RATE_LIMIT_CONNECTIONS_PER_MINUTE: integer(120, 1),
  RATE_LIMIT_REQUESTS_PER_MINUTE: integer(600, 1),
  /** Files one user may upload a minute (default 20). */
  RATE_LIMIT_UPLOADS_PER_MINUTE: integer(20, 1),
  /** Events one Socket.IO connection may send per second, joins included (default 30). */
  RATE_LIMIT_SOCKET_EVENTS_PER_SECOND: integer(30, 1),
  STREAM_FLUSH_MS: integer(30, 0, 10_000),
  LOG_LEVEL: z.preprocess(
    empty,
    z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  ),
  /** Milliseconds between two words of the demo model's answer (default 25). */
  DEMO_WORD_DELAY_MS: integer(25, 0, 10_000),
  /** How often the text of an answer being written is saved, in ms (default 1000). */
  CHECKPOINT_MS: integer(1000, 50, 1000),
  /** The most tokens one answer may have (default DEFAULT_MAX_OUTPUT_TOKENS, 1024). */
  MAX_OUTPUT_TOKENS: integer(DEFAULT_MAX_OUTPUT_TOKENS, 1, 1_000_000),
  /** A vendor that sends no first token within this many ms fails the answer (default 30000). */
  PROVIDER_FIRST_TOKEN_TIMEOUT_MS: integer(30_000, 100, 600_000),
  /** A vendor silent for this many ms between two chunks fails the answer (default 30000). */
  PROVIDER_STALL_TIMEOUT_MS: integer(30_000, 100, 600_000),
  /** On SIGTERM, how long running answers may go on before they are stored as interrupted (default 10000). */
  SHUTDOWN_GRACE_MS: integer(10_000, 0, 600_000),
  /** An answer whose writer has not checkpointed for this long is taken for a dead node's (default 10000). */
  GENERATION_LEASE_MS: integer(10_000, 2_000, 600_000),
  /** A dead node's users stay online at most this long plus a third of it (default 45000). */
  PRESENCE_TTL_MS: integer(45_000, 1_000, 600_000),
  /** How often each node looks for dead nodes' answers (default 5000). */
  RECOVERY_INTERVAL_MS: integer(5_000, 500, 600_000),
  /** A tool call nobody decides within this many seconds is denied (default 86400). */
  TOOL_APPROVAL_TTL_SECONDS: integer(86_400, 1, 31_536_000),
  /** The largest file one upload may carry, in bytes (default 10 MiB); a larger one gets `413`. */
  FILE_MAX_BYTES: integer(10 * 1024 * 1024, 1, 1024 * 1024 * 1024),
  /**
   * The key of files' signed links (`GET /files/:id/url`), shared by every node; by default derived
   * from JWT_SECRET (or the development secret).
   */
  FILE_URL_SECRET: z.preprocess(empty, z.string().min(32, "must be at least 32 characters").optional()),
  /** A file uploaded and never sent is deleted after this many seconds (default 86400, a day). */
  FILE_UNSENT_TTL_SECONDS: integer(86_400, 1, 31_536_000),
  /** Prefix of every Redis key and channel, so that several deployments can share one Redis (default "confab"). */
  REDIS_KEY_PREFIX: z.preprocess(
    empty,
    z
      .string()
      .regex(/^[A-Za-z0-9:_-]{1,64}$/)
      .default("confab"),
  ),
  /**
   * How the nodes share rooms through Redis: "sharded" (the default, Redis 7 or later: each node
   * reads only the rooms it holds) or "classic" (every node reads every room; for Redis 6). The two
   * cannot talk: every node of a deployment must use the same.
   */
  REDIS_ADAPTER: z.preprocess(
    empty,
    z.enum(["sharded", "classic"], { message: 'must be "sharded" or "classic"' }).default("sharded"),
  ),
  /** The daily purge hard-deletes conversations soft-deleted more than this many days ago (default 90). */
  PURGE_AFTER_DAYS: integer(90, 0, 36_500),
  /** Take the client IP from X-Forwarded-For (behind a load balancer); default false. */
  TRUST_PROXY: z.preprocess(empty, z.enum(["true", "false", "1", "0"]).default("false")),
  /** Where files' bytes are kept: "postgres" (default, the database itself) or "s3" (a bucket). */
  FILE_STORE: z.preprocess(
    empty,
    z.enum(["postgres", "s3"], { message: 'must be "postgres" or "s3"' }).default("postgres"),
  ),
  /** The bucket of files when FILE_STORE=s3 (required then); credentials come from the AWS variables. */
  S3_BUCKET: optionalString,
  /** An S3-compatible service's URL (MinIO, R2…); unset for AWS S3. Buckets are then in the path. */
  S3_ENDPOINT: url(["http:", "https:"]),
  /** The bucket's region (default us-east-1). */
  S3_REGION: z.preprocess(empty, z.string().default("us-east-1")),
});

type Env = z.infer<typeof schema>;

export interface S3Settings {
  readonly bucket: string;
  /** Unset: AWS S3 itself. */
  readonly endpoint: string | undefined;
  readonly region: string;
}

export interface Config {
  readonly env: Env["NODE_ENV"];
  readonly isProduction: boolean;
  readonly port: number;
  readonly host: string;
  readonly databaseUrl: string | undefined;
  readonly databasePoolMax: number;
  readonly dataDir: string;
  readonly redisUrl: string | undefined;
  readonly redisKeyPrefix: string;
  readonly redisAdapter: "sharded" | "classic";
  readonly jwt: {
    readonly secret: string | undefined;
    readonly publicKey: string | undefined;
    readonly issuer: string | undefined;
    readonly audience: string | undefined;
  };
  readonly providers: {
    readonly openai: { readonly apiKey: string | undefined; readonly baseURL: string | undefined };
    readonly anthropic: { readonly apiKey: string | undefined; readonly baseURL: string | undefined };
    readonly groq: { readonly apiKey: string | undefined; readonly baseURL: string | undefined };
  };
  readonly corsOrigins: readonly string[] | undefined;
  readonly rateLimits: {
    readonly messagesPerMinute: number;
    readonly connectionsPerMinute: number;
    readonly requestsPerMinute: number;
    readonly uploadsPerMinute: number;
    readonly socketEventsPerSecond: number;
  };
  readonly streamFlushMs: number;
  readonly checkpointMs: number;
  readonly demoWordDelayMs: number;
  readonly maxOutputTokens: number;
  readonly shutdownGraceMs: number;
  readonly generationLeaseMs: number;
  /** A node's presence entries live this long unless renewed (every third of it). */
  readonly presenceTtlMs: number;
  readonly recoveryIntervalMs: number;
  /** A tool call nobody decides within this many seconds is denied. */
  readonly toolApprovalTtlSeconds: number;
  readonly trustProxy: boolean;
  readonly purgeAfterDays: number;
  readonly files: {
    readonly maxBytes: number;
    /** Unset: derived from the JWT secret. */
    readonly urlSecret: string | undefined;
    readonly unsentTtlSeconds: number;
  };
  readonly providerTimeouts: { readonly firstTokenMs: number; readonly stallMs: number };
  readonly logLevel: Env["LOG_LEVEL"];
  /** Where files' bytes are kept. */
  readonly fileStore: Env["FILE_STORE"];
  /** The bucket, when `fileStore` is "s3". */
  readonly s3: S3Settings | undefined;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join("; ")}`);
    this.name = "ConfigError";
  }
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(source);
  const problems = parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  problems.push(...secretProblems(source), ...fileStoreProblems(source));
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;
  return deepFreeze({
    env: e.NODE_ENV,
    isProduction: e.NODE_ENV === "production",
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    databasePoolMax: e.DATABASE_POOL_MAX,
    dataDir: e.DATA_DIR,
    redisUrl: e.REDIS_URL,
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
    redisAdapter: e.REDIS_ADAPTER,
    jwt: {
      secret: e.JWT_SECRET,
      publicKey: e.JWT_PUBLIC_KEY,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
    },
    providers: providerSettings(e),
    corsOrigins: e.CORS_ORIGINS,
    rateLimits: {
      messagesPerMinute: e.RATE_LIMIT_MESSAGES_PER_MINUTE,
      connectionsPerMinute: e.RATE_LIMIT_CONNECTIONS_PER_MINUTE,
      requestsPerMinute: e.RATE_LIMIT_REQUESTS_PER_MINUTE,
      uploadsPerMinute: e.RATE_LIMIT_UPLOADS_PER_MINUTE,
      socketEventsPerSecond: e.RATE_LIMIT_SOCKET_EVENTS_PER_SECOND,
    },
    streamFlushMs: e.STREAM_FLUSH_MS,
    checkpointMs: e.CHECKPOINT_MS,
    demoWordDelayMs: e.DEMO_WORD_DELAY_MS,
    maxOutputTokens: e.MAX_OUTPUT_TOKENS,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    generationLeaseMs: e.GENERATION_LEASE_MS,
    presenceTtlMs: e.PRESENCE_TTL_MS,
    recoveryIntervalMs: e.RECOVERY_INTERVAL_MS,
    toolApprovalTtlSeconds: e.TOOL_APPROVAL_TTL_SECONDS,
    trustProxy: e.TRUST_PROXY === "true" || e.TRUST_PROXY === "1",
    purgeAfterDays: e.PURGE_AFTER_DAYS,
    files: {
      maxBytes: e.FILE_MAX_BYTES,
      urlSecret: e.FILE_URL_SECRET,
      unsentTtlSeconds: e.FILE_UNSENT_TTL_SECONDS,
    },
    providerTimeouts: {
      firstTokenMs: e.PROVIDER_FIRST_TOKEN_TIMEOUT_MS,
      stallMs: e.PROVIDER_STALL_TIMEOUT_MS,
    },
    logLevel: e.LOG_LEVEL,
    fileStore: e.FILE_STORE,
    s3: s3Settings(e),
  });
}

/** Each vendor's key and address. */
function providerSettings(e: Env): Config["providers"] {
  return {
    openai: { apiKey: e.OPENAI_API_KEY, baseURL: e.OPENAI_BASE_URL },
    anthropic: { apiKey: e.ANTHROPIC_API_KEY, baseURL: e.ANTHROPIC_BASE_URL },
    groq: { apiKey: e.GROQ_API_KEY, baseURL: e.GROQ_BASE_URL },
  };
}

/** The secrets that must be given together. */
function secretProblems(source: NodeJS.ProcessEnv): string[] {
  const set = (name: string) => (source[name] ?? "").trim() !== "";
  const problems: string[] = [];
  if (source.NODE_ENV?.trim() === "production" && !set("JWT_SECRET") && !set("JWT_PUBLIC_KEY")) {
    problems.push("JWT_SECRET: is required in production (or set JWT_PUBLIC_KEY)");
  }
  if (set("JWT_PUBLIC_KEY") && !set("JWT_SECRET") && !set("FILE_URL_SECRET")) {
    problems.push("FILE_URL_SECRET: is required when tokens are verified with JWT_PUBLIC_KEY alone");
  }
  return problems;
}

/** The settings a file store needs besides its name. */
function fileStoreProblems(source: NodeJS.ProcessEnv): string[] {
  if (source.FILE_STORE?.trim() === "s3" && (source.S3_BUCKET ?? "").trim() === "") {
    return ["S3_BUCKET: is required when FILE_STORE=s3"];
  }
  return [];
}

function s3Settings(e: Env): S3Settings | undefined {
  if (e.FILE_STORE !== "s3" || e.S3_BUCKET === undefined) return undefined;
  return { bucket: e.S3_BUCKET, endpoint: e.S3_ENDPOINT, region: e.S3_REGION };
}

function deepFreeze<T extends object>(value: T): T {
  for (const v of Object.values(value)) if (v && typeof v === "object") deepFreeze(v as object);
  return Object.freeze(value);
}
