import { waitFor } from "./waiting.js";

/** A small REST client for tests: JSON in, status and JSON out. */
export interface RestResponse<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

/** The body of every error answer (PROTOCOL.md); `details` depend on the code. */
export interface ErrorBody<Details = unknown> {
  error: { code: string; message: string; details?: Details };
}

export type RestClient = ReturnType<typeof rest>;

export function rest(baseUrl: string, token?: string) {
  const send = async <T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    extraHeaders: Record<string, string> = {},
  ): Promise<RestResponse<T>> => {
    const headers: Record<string, string> = { ...extraHeaders };
    if (token) headers.authorization = `Bearer ${token}`;
    let payload: string | undefined;
    if (body !== undefined) {
      headers["content-type"] ??= "application/json";
      payload = typeof body === "string" ? body : JSON.stringify(body);
    }
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      ...(payload !== undefined ? { body: payload } : {}),
    });
    const text = await res.text();
    let parsed: unknown = text;
    if ((res.headers.get("content-type") ?? "").includes("json") && text) parsed = JSON.parse(text);
    return { status: res.status, body: parsed as T, headers: res.headers };
  };
  return {
    get: <T = Record<string, unknown>>(path: string) => send<T>("GET", path),
    post: <T = Record<string, unknown>>(path: string, body?: unknown, headers?: Record<string, string>) =>
      send<T>("POST", path, body, headers),
    patch: <T = Record<string, unknown>>(path: string, body?: unknown) => send<T>("PATCH", path, body),
    delete: <T = Record<string, unknown>>(path: string) => send<T>("DELETE", path),
  };
}

/** Waits until `/readyz` answers 200 on every node: its database and its Redis answer. */
export async function waitUntilReady(urls: string[]): Promise<void> {
  await waitFor(
    `/readyz to answer 200 on ${urls.join(" and ")}`,
    () => Promise.all(urls.map(async (url) => (await rest(url).get("/readyz")).status)),
    (statuses) => statuses.every((status) => status === 200),
    { everyMs: 100 },
  );
}

/**
 * Asks `/healthz` again and again, one request after the other, until `stop()`, which resolves with
 * how long each request waited for its answer (ms): how promptly a node serves others meanwhile.
 */
export function pollHealthz(url: string): { stop: () => Promise<number[]> } {
  let polling = true;
  const waits: number[] = [];
  const poll = (async () => {
    while (polling) {
      const started = performance.now();
      await fetch(`${url}/healthz`);
      waits.push(performance.now() - started);
    }
  })();
  return {
    async stop() {
      polling = false;
      await poll;
      return waits;
    },
  };
}
