import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { createHmac, timingSafeEqual } from "node:crypto";
import express from "express";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";

/** A server on loopback that a test closes, with every open connection. */
export interface LocalHost {
  url: string;
  close(): Promise<void>;
}

function listenOnLoopback(server: Server): Promise<LocalHost> {
  const sockets = new Set<Socket>();
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

/** A port nothing listens on (it was listened on and closed). */
export async function closedPort(): Promise<string> {
  const host = await listenOnLoopback(createServer());
  await host.close();
  return host.url;
}

/**
 * A webhook receiver as a host application would write it, independently of Confab's code: it
 * checks `Confab-Signature` (HMAC-SHA256 of `<t>.<raw body>` with the secret, compared in constant
 * time, `t` within 5 minutes) and answers by path: `/ok` echoes, `/fail` answers 500, `/hang` never
 * answers, `/silent` never answers anyone, `/big` answers 100 KB, `/error` answers 200 `{error}`.
 */
export interface WebhookReceiver extends LocalHost {
  /** The secret each path checks against (set by the test once Confab has shown it). */
  secrets: Map<string, string>;
  received: { path: string; signatureValid: boolean; body: Record<string, unknown> }[];
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const secrets = new Map<string, string>();
  const received: WebhookReceiver["received"] = [];
  const server = createServer((req, res) => {
    void readBody(req).then((raw) => {
      const path = req.url ?? "/";
      if (path === "/silent") return; // never answers, whoever asks
      const signatureValid = verifies(secrets.get(path) ?? "", req.headers["confab-signature"], raw);
      received.push({ path, signatureValid, body: JSON.parse(raw) as Record<string, unknown> });
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
      };
      if (!signatureValid) return json(401, { error: "bad signature" });
      if (path === "/ok") return json(200, { output: { echoed: JSON.parse(raw) as unknown } });
      if (path === "/fail") return json(500, { error: "the host broke" });
      if (path === "/error") return json(200, { error: "no such order" });
      if (path === "/big") return json(200, { output: "x".repeat(100 * 1024) });
      // /hang: never answers.
    });
  });
  return { ...(await listenOnLoopback(server)), secrets, received };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function verifies(secret: string, header: string | string[] | undefined, raw: string): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(typeof header === "string" ? header : "");
  if (!match || !secret) return false;
  const [, t, v1] = match as unknown as [string, string, string];
  if (Math.abs(Date.now() / 1000 - Number(t)) > 300) return false;
  const expected = createHmac("sha256", secret).update(`${t}.${raw}`).digest();
  return timingSafeEqual(expected, Buffer.from(v1, "hex"));
}

/**
 * A real MCP server (the official SDK's McpServer over Streamable HTTP, stateless) that wants
 * `Authorization: Bearer <token>`, with tools `add` (structured output), `shout` (text), `fail`
 * (throws) and `slow.wait` (never answers until the server closes).
 */
export async function startMcpHost(token: string): Promise<LocalHost & { authorized: () => number }> {
  let authorized = 0;
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  const app = express();
  app.use(express.json());
  app.all("/mcp", async (req, res) => {
    if (req.headers.authorization !== `Bearer ${token}`) {
      res.status(401).json({ error: "unauthorized" });
      return;
    }
    authorized++;
    const mcp = buildMcpServer(released);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on("close", () => {
      void transport.close();
      void mcp.close();
    });
    await mcp.connect(transport);
    await transport.handleRequest(req, res, req.body);
  });
  const host = await listenOnLoopback(createServer(app));
  return {
    url: `${host.url}/mcp`,
    authorized: () => authorized,
    close: () => {
      release();
      return host.close();
    },
  };
}

function buildMcpServer(released: Promise<void>): McpServer {
  const mcp = new McpServer({ name: "test-tools", version: "1.0.0" });
  mcp.registerTool(
    "add",
    {
      description: "Adds two numbers",
      inputSchema: { a: z.number(), b: z.number() },
      outputSchema: { sum: z.number() },
    },
    ({ a, b }) => ({
      content: [{ type: "text", text: String(a + b) }],
      structuredContent: { sum: a + b },
    }),
  );
  mcp.registerTool(
    "shout",
    { description: "Upper-cases", inputSchema: { text: z.string() } },
    ({ text }) => ({
      content: [{ type: "text", text: text.toUpperCase() }],
    }),
  );
  mcp.registerTool("fail", { description: "Always fails", inputSchema: {} }, () => {
    throw new Error("the warehouse is on fire");
  });
  mcp.registerTool("slow.wait", { description: "Never answers", inputSchema: {} }, async () => {
    await released;
    return { content: [] };
  });
  return mcp;
}
