import type { ToolCallContext, ToolExecutor, ToolOutcome } from "./tool-executor.js";
import { failureReason, shortReason } from "./tool-failure.js";
import { signatureHeader } from "./webhook-signature.js";

/** The largest answer a webhook tool may give (PROTOCOL.md: at most 64 KB of JSON). */
export const MAX_WEBHOOK_ANSWER_BYTES = 64 * 1024;
const TOO_LARGE = "the tool's answer is larger than 64 KB";

/**
 * A tool the host application runs: Confab POSTs the call, signed with the tool's secret
 * (`Confab-Signature`), and reads `{output}` or `{error}` from a 2xx JSON answer. Redirects are not
 * followed; the answer is read up to 64 KB.
 */
export class WebhookToolExecutor implements ToolExecutor {
  constructor(private readonly tool: { url: string; secret: string }) {}

  async run(call: ToolCallContext): Promise<ToolOutcome> {
    const body = JSON.stringify({
      toolCallId: call.toolCallId,
      toolName: call.toolName,
      input: call.input,
      conversationId: call.conversationId,
      messageId: call.messageId,
      user: call.user,
      approvedBy: call.approvedBy,
    });
    try {
      const res = await fetch(this.tool.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "Confab-Tools/1",
          "confab-signature": signatureHeader(this.tool.secret, body),
        },
        body,
        redirect: "manual",
        signal: call.signal,
      });
      const text = await readCapped(res, MAX_WEBHOOK_ANSWER_BYTES);
      if (text === null) return { error: TOO_LARGE };
      return outcomeOf(res.status, text);
    } catch (err) {
      return { error: failureReason(err, call.signal) };
    }
  }
}

/** What the answer says: `{output}` on a 2xx, otherwise the reason the tool gave or its status. */
function outcomeOf(status: number, text: string): ToolOutcome {
  const json = parseJson(text);
  const error = json && typeof json === "object" && "error" in json ? json.error : undefined;
  if (status < 200 || status > 299) {
    const said = typeof error === "string" ? `: ${error}` : "";
    const redirect = status >= 300 && status < 400 ? " (redirects are not followed)" : "";
    return { error: shortReason(`the tool answered HTTP ${status}${redirect}${said}`) };
  }
  if (json === undefined) return { error: "the tool's answer is not JSON" };
  if (typeof error === "string") return { error: shortReason(error) };
  if (json && typeof json === "object" && "output" in json) return { output: json.output };
  return { error: "the tool's answer has neither output nor error" };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The body as text, or null when it is longer than `limit` bytes (reading stops there). */
async function readCapped(res: Response, limit: number): Promise<string | null> {
  if (!res.body) return "";
  const declared = Number(res.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > limit) {
    await res.body.cancel().catch(() => undefined);
    return null;
  }
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = (await reader.read()) as { done: boolean; value?: Uint8Array };
    if (done || !value) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}
