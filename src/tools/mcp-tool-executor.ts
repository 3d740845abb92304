import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { StreamableHTTPError } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { OfferedTool } from "../protocol/index.js";
import type { ToolCallContext, ToolExecutor, ToolOutcome } from "./tool-executor.js";
import { failureReason, shortReason } from "./tool-failure.js";

/** Where an MCP server is and what it is sent (its headers carry its credentials). */
export interface McpEndpoint {
  url: string;
  headers: Record<string, string>;
}

/** The MCP SDK's parts this uses. */
interface McpSdk {
  Client: typeof import("@modelcontextprotocol/sdk/client/index.js").Client;
  StreamableHTTPClientTransport: typeof import("@modelcontextprotocol/sdk/client/streamableHttp.js").StreamableHTTPClientTransport;
  StreamableHTTPError: typeof StreamableHTTPError;
}

/** The SDK once loaded: until then no error can be one of its own. */
let loadedSdk: McpSdk | undefined;
let loadingSdk: Promise<McpSdk> | undefined;

/**
 * The MCP SDK, loaded on first use (some 250 ms and 20 MB): a node whose agents call no MCP server
 * never pays for it.
 */
function mcpSdk(): Promise<McpSdk> {
  loadingSdk ??= Promise.all([
    import("@modelcontextprotocol/sdk/client/index.js"),
    import("@modelcontextprotocol/sdk/client/streamableHttp.js"),
  ]).then(([client, http]) => {
    loadedSdk = {
      Client: client.Client,
      StreamableHTTPClientTransport: http.StreamableHTTPClientTransport,
      StreamableHTTPError: http.StreamableHTTPError,
    };
    return loadedSdk;
  });
  loadingSdk.catch(() => (loadingSdk = undefined));
  return loadingSdk;
}

/** Longer than any tool's limit: the caller's signal is what bounds a request. */
const SDK_TIMEOUT_MS = 3_600_000;

/**
 * Connects to the server (Streamable HTTP), hands the client to `work`, and closes it after, whatever
 * happens. A connection per call: nothing stays open between calls, and a server that restarted is
 * found again on the next call.
 */
export async function withMcpClient<T>(
  server: McpEndpoint,
  signal: AbortSignal,
  work: (client: Client) => Promise<T>,
): Promise<T> {
  const { Client, StreamableHTTPClientTransport } = await mcpSdk();
  const transport = new StreamableHTTPClientTransport(new URL(server.url), {
    requestInit: { headers: server.headers, redirect: "manual" },
  });
  const client = new Client({ name: "confab", version: "1" });
  try {
    return await untilAborted(
      (async () => {
        await client.connect(transport, { signal, timeout: SDK_TIMEOUT_MS });
        return work(client);
      })(),
      signal,
    );
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** The promise, or a rejection as soon as the signal aborts (a hung server holds nothing). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** The tools the server offers (`GET /admin/mcp-servers/:id/tools`). */
export function listMcpTools(server: McpEndpoint, signal: AbortSignal): Promise<OfferedTool[]> {
  return withMcpClient(server, signal, async (client) => {
    const offered: OfferedTool[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor ? { cursor } : {}, { signal, timeout: SDK_TIMEOUT_MS });
      for (const t of page.tools) {
        offered.push({ name: t.name, description: t.description ?? "", inputSchema: t.inputSchema });
      }
      cursor = page.nextCursor;
    } while (cursor && offered.length < 1000);
    return offered;
  });
}

/**
 * A tool of an MCP server: `tools/call` with the input as arguments. The structured content is the
 * output where the server gives one, else the text of its content; `isError` is an error.
 */
export class McpToolExecutor implements ToolExecutor {
  constructor(
    private readonly server: McpEndpoint | null,
    private readonly toolName: string,
  ) {}

  async run(call: ToolCallContext): Promise<ToolOutcome> {
    const server = this.server;
    if (!server) return { error: "the tool's MCP server is gone or inactive" };
    try {
      const result = await withMcpClient(server, call.signal, (client) =>
        client.callTool(
          { name: this.toolName, arguments: (call.input ?? {}) as Record<string, unknown> },
          undefined,
          { signal: call.signal, timeout: SDK_TIMEOUT_MS },
        ),
      );
      return outcomeOf(result);
    } catch (err) {
      return { error: mcpFailure(err, call.signal) };
    }
  }
}

/**
 * Why a request to an MCP server failed, shortly: the time ran out or the call was stopped, the
 * server answered an HTTP error, the server said why (a JSON-RPC error), or it could not be reached.
 */
export function mcpFailure(err: unknown, signal: AbortSignal): string {
  if (signal.aborted) return failureReason(err, signal);
  if (
    loadedSdk &&
    err instanceof loadedSdk.StreamableHTTPError &&
    typeof err.code === "number" &&
    err.code >= 300
  ) {
    return `the MCP server answered HTTP ${err.code}`;
  }
  if (err instanceof Error && /^MCP error/.test(err.message)) return shortReason(err.message);
  return failureReason(err, signal);
}

/** The result of `tools/call` as an outcome. */
function outcomeOf(result: Record<string, unknown>): ToolOutcome {
  const content = Array.isArray(result.content)
    ? (result.content as { type?: unknown; text?: unknown }[])
    : [];
  const texts = content
    .filter((c) => c.type === "text" && typeof c.text === "string")
    .map((c) => c.text as string);
  if (result.isError === true) return { error: shortReason(texts.join("\n") || "the MCP tool failed") };
  if (result.structuredContent !== undefined) return { output: result.structuredContent };
  if ("toolResult" in result) return { output: result.toolResult };
  if (texts.length === content.length) return { output: texts.join("\n") };
  return { output: content };
}
