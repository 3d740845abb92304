import { ConfabError, asConfabError } from "./errors.js";
import type { TokenSource } from "./token-source.js";
import { sendUpload, type UploadAnswer, type UploadProgress } from "./upload-request.js";

export type HttpMethod = "GET" | "POST" | "PATCH" | "DELETE";

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

async function readJson(res: Response): Promise<unknown> {
  return parseJson(await res.text());
}

/** A refused answer as a `ConfabError`: the contract's `{error: {code, message}}`, or the status. */
function refusalOf(answer: UploadAnswer): ConfabError {
  const body = parseJson(answer.body) as { error?: { code?: unknown; message?: unknown } } | undefined;
  const code = typeof body?.error?.code === "string" ? body.error.code : `http_${answer.status}`;
  const message =
    typeof body?.error?.message === "string" ? body.error.message : `${answer.status} ${answer.statusText}`;
  const retryAfter = Number(answer.retryAfter);
  return new ConfabError({
    code,
    message,
    status: answer.status,
    ...(retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
  });
}

/** A refused REST call as a `ConfabError`: the contract's `{error: {code, message}}`, or the status. */
export async function refusal(res: Response): Promise<ConfabError> {
  return refusalOf({
    status: res.status,
    statusText: res.statusText,
    body: await res.text(),
    retryAfter: res.headers.get("retry-after"),
  });
}

/** How an upload goes: the name it is stored under, its progress, and a signal that cancels it. */
export interface UploadOptions {
  /** The file's display name (default: a `File`'s own name, else "file"). */
  name?: string;
  /** Bytes of the file sent so far, and its size (see `upload-request.ts` for what Node reports). */
  onProgress?: UploadProgress;
  signal?: AbortSignal;
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

  /**
   * Uploads one file as multipart (field `file`) to `path` and resolves with the JSON answer; a
   * refusal (`413 payload_too_large`, `415 unsupported_media_type`, `422 validation_failed`…) is a
   * `ConfabError` with the server's message, a cancelled upload one with the code `aborted`.
   */
  async upload<T>(path: string, file: Blob, options: UploadOptions = {}): Promise<T> {
    const { tokens } = this.deps;
    const url = new URL("/api/v1" + path, this.deps.baseUrl);
    const own = typeof File === "function" && file instanceof File ? file.name : "";
    const name = options.name || own || "file";
    const request = { url, file, name, onProgress: options.onProgress, signal: options.signal };
    try {
      const token = await tokens.current();
      let answer = await sendUpload({ ...request, token }, this.deps.fetch);
      if (answer.status === 401 && tokens.renewable)
        answer = await sendUpload({ ...request, token: await tokens.renew(token) }, this.deps.fetch);
      if (answer.status < 200 || answer.status >= 300) throw refusalOf(answer);
      return parseJson(answer.body) as T;
    } catch (err) {
      throw asConfabError(err);
    }
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
