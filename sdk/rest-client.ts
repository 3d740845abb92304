import { ConfabError, asConfabError } from "./errors.js";
import type { TokenSource } from "./token-source.js";

export type HttpMethod = "GET" | "POST" | "PATCH" | "DELETE";

async function readJson(res: Response): Promise<unknown> {
  const text = await res.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A refused REST call as a `ConfabError`: the contract's `{error: {code, message}}`, or the status. */
export async function refusal(res: Response): Promise<ConfabError> {
  const body = (await readJson(res)) as { error?: { code?: unknown; message?: unknown } } | undefined;
  const code = typeof body?.error?.code === "string" ? body.error.code : `http_${res.status}`;
  const message =
    typeof body?.error?.message === "string" ? body.error.message : `${res.status} ${res.statusText}`;
  const retryAfter = Number(res.headers.get("retry-after"));
  return new ConfabError({
    code,
    message,
    status: res.status,
    ...(retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
  });
}

/**
 * REST under `/api/v1`. Every request carries a token from the client's one `TokenSource` (none goes
 * out before it has one); a `401` gets one fresh token and one more try.
 */
export class RestClient {
  constructor(private readonly deps: { baseUrl: string; tokens: TokenSource; fetch?: typeof fetch }) {}

  /** Resolves with the JSON answer; anything else (a refusal, no token, no network) is a `ConfabError`. */
  async call<T>(method: HttpMethod, path: string, body?: unknown): Promise<T> {
    try {
      return await this.attempt<T>(method, path, body);
    } catch (err) {
      throw asConfabError(err);
    }
  }

  private async attempt<T>(method: HttpMethod, path: string, body: unknown): Promise<T> {
    const { tokens } = this.deps;
    const token = await tokens.current();
    let res = await this.send(method, path, body, token);
    if (res.status === 401 && tokens.renewable) {
      await res.body?.cancel();
      res = await this.send(method, path, body, await tokens.renew(token));
    }
    if (!res.ok) throw await refusal(res);
    return (await readJson(res)) as T;
  }

  private send(method: HttpMethod, path: string, body: unknown, token: string): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    const doFetch = this.deps.fetch ?? fetch;
    return doFetch(new URL("/api/v1" + path, this.deps.baseUrl), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }
}

/**
 * `POST /api/v1/dev/token {sub, name}`: a development token (outside production only), so that the
 * examples need no host application. A host mints its users' JWTs itself.
 */
export async function fetchDevToken(baseUrl: string, sub: string, name?: string): Promise<string> {
  const res = await fetch(new URL("/api/v1/dev/token", baseUrl), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(name ? { sub, name } : { sub }),
  });
  if (!res.ok) throw await refusal(res);
  const body = (await res.json()) as { token?: unknown };
  if (typeof body.token !== "string")
    throw new ConfabError({ code: "internal", message: "no token in the answer", status: res.status });
  return body.token;
}
