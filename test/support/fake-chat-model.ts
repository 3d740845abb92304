import type { ChatModel, ChatRequest, ChatStreamPart, FinishReason } from "../../src/providers/chat-model.js";

export interface FakeScript {
  chunks: string[];
  /** Waits before each chunk (ms); 0 yields to the event loop only. */
  delayMs?: number;
  finishReason?: FinishReason;
  /** null: the vendor reports no usage, so the server counts the tokens itself. */
  usage?: { inputTokens: number; outputTokens: number } | null;
  /** Throw this after the chunks instead of finishing. */
  failWith?: Error;
}

/**
 * A chat model that records every request and plays a script. `hold()` makes the next answers pause
 * after a number of chunks until `release()`, so a test can act in the middle of an answer.
 */
export class FakeChatModel implements ChatModel {
  readonly provider = "demo";
  readonly requests: ChatRequest[] = [];
  private gate: { after: number; open: Promise<void>; release: () => void; reached: () => void } | undefined;
  private reachedWaiters: (() => void)[] = [];

  constructor(public script: FakeScript = { chunks: ["Hello", " there", "!"] }) {}

  /** The next answers stop after `afterChunks` chunks until `release()`. */
  hold(afterChunks: number): void {
    let release!: () => void;
    const open = new Promise<void>((r) => (release = r));
    this.gate = {
      after: afterChunks,
      open,
      release,
      reached: () => {
        for (const w of this.reachedWaiters.splice(0)) w();
      },
    };
  }

  /** Resolves when an answer has paused at the gate. */
  paused(): Promise<void> {
    return new Promise((r) => this.reachedWaiters.push(r));
  }

  release(): void {
    const gate = this.gate;
    this.gate = undefined;
    gate?.release();
  }

  async *stream(request: ChatRequest): AsyncIterable<ChatStreamPart> {
    this.requests.push(request);
    const script = this.script;
    let index = 0;
    for (const chunk of script.chunks) {
      const gate = this.gate;
      if (gate && index === gate.after) {
        gate.reached();
        await Promise.race([gate.open, aborted(request.abortSignal)]);
      }
      if (request.abortSignal.aborted) return;
      await new Promise((r) => setTimeout(r, script.delayMs ?? 0));
      if (request.abortSignal.aborted) return;
      yield { type: "text-delta", delta: chunk };
      index++;
    }
    if (script.failWith) throw script.failWith;
    yield {
      type: "finish",
      finishReason: script.finishReason ?? "stop",
      usage:
        script.usage === null
          ? undefined
          : (script.usage ?? { inputTokens: 10, outputTokens: script.chunks.length }),
    };
  }
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}
